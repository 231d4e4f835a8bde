"""Security headers on every response, request ids, and no personal data in logs."""

import json
import logging

import pytest

from skills_hub.logs import JsonFormatter


@pytest.mark.parametrize("path", ["/", "/courses", "/healthz", "/api/v1/courses", "/no-such-page"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers, "HSTS only in production"


def test_a_request_id_is_returned_and_a_valid_incoming_one_is_kept(client):
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc12345-lb"}).headers["X-Request-ID"] == "abc12345-lb"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id <x>"}).headers["X-Request-ID"] != "bad id <x>"


def test_request_logs_are_json_with_the_path_but_never_the_query_string(app, client, caplog):
    logger = logging.getLogger("skills_hub.request")
    logger.addHandler(caplog.handler)
    try:
        client.get("/courses?area=Siobh%C3%A1n-O%27Brien", headers={"X-Request-ID": "req-12345678"})
    finally:
        logger.removeHandler(caplog.handler)
    record = next(r for r in caplog.records if r.name == "skills_hub.request")
    with app.test_request_context(headers={"X-Request-ID": "req-12345678"}):
        from flask import g

        g.request_id = "req-12345678"
        line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/courses" and line["status"] == 200 and line["request_id"] == "req-12345678"
    assert "Siobh" not in json.dumps(line)


def test_a_huge_body_is_refused_with_413(client):
    response = client.post("/sign-in", data={"method": "email", "email": "x" * (6 * 1024 * 1024)})
    assert response.status_code == 413


@pytest.mark.parametrize("how", ["etag", "head"])
def test_a_static_file_answered_without_a_body_leaves_no_file_open(client, how):
    import gc
    import warnings

    first = client.get("/static/timeout.js")
    first.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        if how == "etag":
            answer = client.get("/static/timeout.js", headers={"If-None-Match": first.headers["ETag"]})
            assert answer.status_code == 304
        else:
            answer = client.head("/static/timeout.js")
            assert answer.status_code == 200
        del answer
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
