"""Bad input from outside is a 4xx that names the field, never a 500: JSON that is nested too deeply or holds a
number too long to be real, NUL bytes and broken characters in any text, and names that hide or reorder what
they say. Run on PostgreSQL too (SKILLS_HUB_TEST_DATABASE_URL): PostgreSQL refuses NUL in text."""

from __future__ import annotations

import io
import json
import uuid

import pytest

from skills_hub.accounts.models import Role, User
from skills_hub.extensions import db
from skills_hub.validation import MAX_JSON_DEPTH, JSONUnreadable, parse_json
from tests.conftest import TEST_PASSWORD, csrf_token_from, new_learner_body

DEEP = "[" * 100_000
LONG_NUMBER = "1" * 5_000


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


# 1. JSON that is nested too deeply, or holds a number too long to be real ------------------------------------------

@pytest.mark.parametrize(("body", "words"), [
    (DEEP, "nested too deeply"),
    ('{"username": "a@b.c", "password": ' + DEEP + "}", "nested too deeply"),
    ('{"username": "a@b.c", "password": "x", "otp": ' + LONG_NUMBER + "}", "number is too long"),
    ('{"username": "a@b.c", "password": 1e999}', "too large"),
    ('{"username": "a@b.c", "password": NaN}', "not a JSON number"),
    ('{"username": ', "not well-formed JSON"),
])
def test_a_token_request_that_cannot_be_read_is_a_plain_400(client, body, words):
    problem = _problem(client.post("/api/v1/tokens", data=body, content_type="application/json"), 400)
    assert words in problem["detail"]


def test_json_nested_to_the_limit_is_still_read():
    assert parse_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    assert parse_json('{"text": "' + "[" * 1000 + '"}') == {"text": "[" * 1000}  # brackets in strings do not count
    with pytest.raises(JSONUnreadable, match="line 2, column 1"):
        parse_json('{"a":\n' + "1" * 40 + "}")


def test_every_json_reader_refuses_a_deep_body_without_a_500(client, make_user, bearer, login_as):
    """The erasure endpoint and the sign-in page read JSON with request.get_json, outside the endpoint wrapper."""
    admin = make_user(Role.ADMIN)
    learner = make_user(Role.LEARNER)
    erase = client.post(f"/api/v1/learners/{learner.id}/erase", data=DEEP, content_type="application/json",
                        headers=bearer(admin))
    assert 400 <= erase.status_code < 500
    sign_in = client.post("/sign-in", data=DEEP, content_type="application/json")
    assert 400 <= sign_in.status_code < 500


@pytest.mark.parametrize(("content", "status", "words"), [
    (DEEP.encode(), 422, "nested too deeply"),
    (("[{\"id\": " + LONG_NUMBER + "}]").encode(), 422, "number is too long"),
    (b'[{"name": "a\\u0000b"}]', 200, "This has a hidden character (U+0000)"),  # one record's problem
])
def test_the_directory_import_page_reports_an_unreadable_file(client, make_user, login_as, content, status, words):
    login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get("/admin/directory").text)
    response = client.post("/admin/directory", data={"csrf_token": token, "file": (io.BytesIO(content), "x.json")},
                           content_type="multipart/form-data")
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


# 2. NUL bytes and broken characters in any text --------------------------------------------------------------------

def test_a_nul_in_a_token_request_names_the_field(client):
    problem = _problem(client.post("/api/v1/tokens", json={"username": "a\u0000@x.y", "password": "x"}), 422)
    assert "U+0000" in problem["errors"]["username"][0]


def test_a_lone_surrogate_in_a_name_names_the_field(client, make_branch, staff_in, bearer):
    staff = staff_in(make_branch())
    body = json.dumps(new_learner_body(given_name="\ud800"))  # json.dumps writes it as the escape \ud800
    problem = _problem(client.post("/api/v1/learners", data=body, content_type="application/json",
                                   headers=bearer(staff)), 422)
    assert "broken character" in problem["errors"]["given_name"][0]


def test_a_nul_anywhere_in_a_body_names_the_nested_field(client, make_branch, staff_in, bearer):
    staff = staff_in(make_branch())
    body = new_learner_body()
    body["consent"]["method"] = "in_\u0000person"
    problem = _problem(client.post("/api/v1/learners", json=body, headers=bearer(staff)), 422)
    assert "U+0000" in problem["errors"]["consent"]["method"][0]


def test_a_nul_in_a_search_query_names_the_parameter(client, make_branch, staff_in, bearer):
    staff = staff_in(make_branch())
    problem = _problem(client.get("/api/v1/learners?q=a%00b", headers=bearer(staff)), 422)
    assert "U+0000" in problem["errors"]["q"][0]


def test_a_nul_in_a_changed_detail_names_the_field(client, make_branch, staff_in, bearer):
    branch = make_branch()
    staff = staff_in(branch)
    created = client.post("/api/v1/learners", json=new_learner_body(branch_id=str(branch.id)), headers=bearer(staff))
    learner = created.get_json()
    problem = _problem(client.patch(f"/api/v1/learners/{learner['id']}", headers=bearer(staff),
                                    json={"family_name": "O\u0000Brien", "version": learner["version"]}), 422)
    assert "U+0000" in problem["errors"]["family_name"][0]


@pytest.mark.parametrize("address", [
    "/staff/residents/lookup?given_name=a%00b&family_name=B&date_of_birth=1960-01-01",
    "/staff?q=a%00b",
])
def test_a_nul_in_a_staff_page_query_names_the_field(client, make_branch, staff_in, login_as, address):
    login_as(staff_in(make_branch()))
    response = client.get(address)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "hidden character" in page and ("given_name" in page or "q:" in page)


def test_a_nul_in_the_audit_filter_names_the_field(client, make_user, login_as):
    login_as(make_user(Role.ADMIN))
    response = client.get("/admin/audit?action=learner%00.viewed")
    assert response.status_code == 422 and "action" in response.get_data(as_text=True)


def test_a_nul_in_a_form_field_names_the_field(client, make_branch, staff_in, login_as):
    login_as(staff_in(make_branch()))
    token = csrf_token_from(client.get("/staff/residents/new").text)
    response = client.post("/staff/residents/new", data={"csrf_token": token, "given_name": "Ann\u0000",
                                                         "family_name": "Lee"})
    assert response.status_code == 422 and "given_name" in response.get_data(as_text=True)


def test_a_nul_in_an_address_is_a_400(client):
    assert client.get("/courses/using%00email").status_code == 400
    assert client.get("/api/v1/courses/using%00email").status_code == 400


# 3. Names: no hidden or reordering characters, never blank; every script welcome ----------------------------------

@pytest.mark.parametrize(("name", "words"), [
    ("Y<b>bold</b>\u202egnp.exe", "hidden character (U+202E)"),
    ("\u2066Ann\u2069", "hidden character (U+2066)"),
    ("Ann\u0085", "hidden character (U+0085)"),
    ("Ann\tLee", "one line"),
    ("Ann\nLee", "one line"),
    ("   ", "Enter the first name"),
    ("\u200b\u200c\u200d", "Enter the first name"),
    ("\u3164", "Enter the first name"),
    ("", "Enter the first name"),
])
def test_names_that_hide_or_reorder_what_they_say_are_refused(client, make_branch, staff_in, bearer, name, words):
    staff = staff_in(make_branch())
    problem = _problem(client.post("/api/v1/learners", json=new_learner_body(given_name=name), headers=bearer(staff)),
                       422)
    assert words in problem["errors"]["given_name"][0]


@pytest.mark.parametrize(("given", "family"), [
    ("Siobhán", "O'Brien"), ("Nguyễn Thị", "Hương"), ("محمد", "عبدالله"), ("秀英", "王"), ("Anne-Marie", "Zoë"),
    ("می\u200cخواهم", "Rezaei"),  # noqa: RUF001  (a ZWNJ inside a Persian word is spelling, not a trick)
    ("  Ann  ", "Lee"),
])
def test_names_in_every_script_are_kept_as_typed(app, client, make_branch, staff_in, bearer, given, family):
    staff = staff_in(make_branch())
    response = client.post("/api/v1/learners", json=new_learner_body(given_name=given, family_name=family,
                                                                      date_of_birth=None, postcode=None),
                           headers=bearer(staff))
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        learner = db.session.get(User, uuid.UUID(response.get_json()["id"]))
        assert (learner.given_name, learner.family_name) == (given.strip(), family)


def test_a_self_registration_form_refuses_a_blank_name_and_keeps_the_rest(client):
    token = csrf_token_from(client.get("/register").text)
    response = client.post("/register", data={"csrf_token": token, "given_name": " \u200b ", "family_name": "Lee",
                                              "email": "ann@example.test", "password": TEST_PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Enter the first name" in page and "ann@example.test" in page


# Names are shown isolated, and a name frozen before these checks cannot reorder a certificate ----------------------

def test_a_certificate_prints_a_name_as_typed_even_with_an_override_stored_before(app, tmp_path):
    from skills_hub.certificates import pdf
    from tests.conftest import pdf_text
    from tests.test_certificate_pdf import certificate_named

    with app.test_request_context():
        html = pdf.certificate_html(certificate_named("Y<b>bold</b>\u202egnp.exe"))
        rendered = pdf.render(certificate_named("Y<b>bold</b>\u202egnp.exe"))
    assert "<bdi>Y&lt;b&gt;bold&lt;/b&gt;gnp.exe</bdi>" in html and "unicode-bidi: isolate" in html
    text = pdf_text(rendered, tmp_path)
    assert "Y<b>bold</b>gnp.exe" in text and "exe.png" not in text


def test_a_residents_name_is_isolated_where_it_stands_next_to_other_words(client, make_branch, staff_in, login_as,
                                                                            bearer):
    branch = make_branch()
    staff = staff_in(branch)
    created = client.post("/api/v1/learners", headers=bearer(staff), json=new_learner_body(
        given_name="محمد", family_name="خان", branch_id=str(branch.id))).get_json()
    login_as(staff)
    page = client.get(f"/staff/residents/lookup?learner_number={created['learner_number']}").get_data(as_text=True)
    assert "<bdi>محمد</bdi>" in page
    dashboard = client.get("/staff?q=محمد").get_data(as_text=True)
    assert "<bdi>محمد خان</bdi>" in dashboard or "<bdi>محمد</bdi>" in dashboard


def test_a_nul_in_one_sync_operation_rejects_that_one_alone(client, make_branch, staff_in, bearer):
    branch = make_branch()
    staff = staff_in(branch)

    def create(given_name: str) -> dict:
        body = new_learner_body(given_name=given_name)
        return {"op_id": str(uuid.uuid4()), "type": "create_learner", "recorded_at": "2026-11-28T10:00:00+00:00",
                "payload": body}

    response = client.post("/api/v1/sync", headers=bearer(staff), json={
        "device_id": "laptop-1", "operations": [create("Ann\u0000"), create("Grace")]})
    assert response.status_code == 200, response.get_json()
    bad, good = response.get_json()["results"]
    assert bad["status"] == "rejected" and "U+0000" in str(bad["errors"]["payload"]["given_name"])
    assert good["status"] == "applied"
