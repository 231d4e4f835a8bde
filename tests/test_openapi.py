"""The OpenAPI document describes every answer an operation can give, from the one `api_endpoint` registry; the
privacy notice a consent must quote is served; and (marked `schemathesis`, run by .ci/run on PostgreSQL) every
operation, called with generated input as staff, an admin, a learner and a provider, answers only what the
document describes and never a server error."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from skills_hub.accounts import privacy
from skills_hub.accounts.models import Role
from skills_hub.endpoints import OPERATIONS

WRITES = {"post", "put", "patch"}


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def _operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_json_write_documents_400_413_415_and_422(spec):
    writes = [(path, method, op) for path, method, op in _operations(spec) if "requestBody" in op]
    assert len(writes) >= 10
    for path, method, operation in writes:
        assert {"400", "413", "415", "422"} <= operation["responses"].keys(), (method, path)
        for code in ("400", "413", "415", "422"):
            assert "application/problem+json" in operation["responses"][code]["content"], (method, path, code)


def test_every_operation_with_a_token_documents_401_and_403_and_each_one_400_422_and_503(spec):
    for path, method, operation in _operations(spec):
        assert {"400", "422", "503"} <= operation["responses"].keys(), (method, path)
        if operation.get("security"):
            assert {"401", "403"} <= operation["responses"].keys(), (method, path)
        if "{" in path:
            assert "404" in operation["responses"], (method, path)


def test_rate_limited_operations_document_429_from_their_limits(spec):
    assert "429" in spec["paths"]["/api/v1/tokens"]["post"]["responses"]
    assert "429" in spec["paths"]["/api/v1/verify/{code}"]["get"]["responses"]
    assert "429" not in spec["paths"]["/api/v1/courses"]["get"]["responses"]


def test_files_are_documented_with_their_own_content_type(spec):
    export = spec["paths"]["/api/v1/learners/{learner_id}/export"]["get"]["responses"]["200"]["content"]
    assert list(export) == ["application/zip"]
    report = spec["paths"]["/api/v1/imports/{import_id}/report.csv"]["get"]["responses"]["200"]["content"]
    assert list(report) == ["text/csv"]
    credential = spec["paths"]["/api/v1/certificates/{code}/credential"]["get"]["responses"]
    assert list(credential["200"]["content"]) == ["application/vc+ld+json"] and "202" in credential
    assert "content" not in spec["paths"]["/api/v1/tokens/current"]["delete"]["responses"]["204"]


def test_what_the_answers_hold_is_described_as_it_is(spec):
    match = spec["components"]["schemas"]["ServiceMatchOut"]["properties"]["location"]
    assert "null" in match["type"]  # an online-only service has no location
    summary = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/reports/summary"]["get"]["parameters"]}
    assert summary["to"].get("format") != "date" and summary["to"]["pattern"].endswith(")?$")  # `to=` is allowed


def test_the_sheet_import_does_not_promise_consent_defaults(spec):
    params = {p["name"]: p for p in spec["paths"]["/api/v1/imports/learners"]["post"]["parameters"]}
    for name in ("consent_notice_version", "consent_method"):
        assert "default" not in params[name]["description"].lower().replace("no default", "")
        assert "Required with a file" in params[name]["description"]


def test_the_registry_knows_every_api_route(app):
    api_rules = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")}
    assert api_rules - {"openapi.openapi_document"} <= OPERATIONS.keys()


def test_the_privacy_notice_gives_the_version_a_consent_must_quote(app, client):
    response = client.get("/api/v1/privacy-notice")
    assert response.status_code == 200 and response.mimetype == "application/json"
    notice = response.get_json()
    with app.app_context():
        assert notice["version"] == privacy.current_version()
    assert notice["url"].endswith(f"/privacy?version={notice['version']}")
    assert len(notice["text"]) > 200 and "#" in notice["text"]  # the Markdown itself
    assert client.get("/" + notice["url"].split("://", 1)[1].split("/", 1)[1]).status_code == 200


def test_a_client_can_register_a_resident_with_the_version_it_was_given(client, make_branch, staff_in, bearer):
    from tests.conftest import new_learner_body

    version = client.get("/api/v1/privacy-notice").get_json()["version"]
    staff = staff_in(make_branch())
    body = new_learner_body()
    body["consent"]["privacy_notice_version"] = version
    assert client.post("/api/v1/learners", json=body, headers=bearer(staff)).status_code == 201


# Generated input against the document (schemathesis) ---------------------------------------------------------------

EXAMPLES = int(os.environ.get("SKILLS_HUB_SCHEMATHESIS_EXAMPLES", "5"))


@pytest.mark.schemathesis
def test_every_operation_answers_only_what_the_document_describes(app, catalogue, make_branch, staff_in,
                                                                   make_user, make_service, bearer):
    """Any 5xx, a status or content type the document does not list, or a body that does not match its schema,
    fails. Seed: a branch with staff and a learner, a provider with a service, the real courses, an admin."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )
    from schemathesis.core.failures import FailureGroup
    from schemathesis.generation import GenerationMode

    branch = make_branch()
    staff = staff_in(branch)
    learner = make_user(Role.LEARNER, branches=[branch])
    provider = make_user(Role.PROVIDER)
    make_service(organisation_id=provider.organisation_id)
    admin = make_user(Role.ADMIN)
    people = {"staff": staff, "admin": admin, "learner": learner, "provider": provider}
    tokens = {role: bearer(user) for role, user in people.items()}

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []
    seen: list[int] = []
    tried = 0
    def run(operation, mode) -> None:
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case):
            nonlocal tried
            for role, headers in tokens.items():
                tried += 1
                try:
                    seen.append(case.call_and_validate(headers=headers, checks=checks).status_code)
                except (AssertionError, FailureGroup) as error:  # collected, so one run names every operation
                    failures.append(f"{operation.label} as {role} ({mode.value}): {str(error)[:600]}")

        try:
            call()
        except Unsatisfiable:  # nothing invalid can be made for an operation with no input: nothing to try
            assert mode is GenerationMode.NEGATIVE, operation.label

    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run(result.ok(), mode)
            # DELETE /api/v1/tokens/current revokes the token it is sent with: fresh ones for what follows
            tokens.update({role: bearer(user) for role, user in people.items()})
    statuses = Counter(seen)
    print(f"schemathesis: {tried} calls; answers by status: {dict(sorted(statuses.items()))}")  # shown with -s
    assert statuses[200] + statuses[201] > 50, statuses  # the tokens worked: not everything was 401
    assert tried > 100
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:15])
