"""Bad input from outside is a 4xx that names the field, never a 500: JSON that is nested too deeply or holds a
number too long to be real, NUL bytes and broken characters in any text, and names that hide or reorder what
they say. Run on PostgreSQL too (SKILLS_HUB_TEST_DATABASE_URL): PostgreSQL refuses NUL in text."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from sqlalchemy import func, select

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


# Forms on pages: a hidden or broken character is an error by its box, named by its label; nothing else is lost ----

HIDDEN = [("\u202e", "U+202E"), ("\u2067", "U+2067"), ("\u0000", "U+0000"), ("\u0007", "U+0007")]


@pytest.fixture
def staff_page(client, make_branch, staff_in, login_as, make_user):
    """A signed-in member of staff with one resident of their branch (王秀英), to change on the edit page."""
    branch = make_branch()
    login_as(staff_in(branch))
    return make_user(Role.LEARNER, given_name="秀英", family_name="王", branches=[branch], email=None)


def _shown_again(response, field: str, label: str, code: str, kept: dict[str, str]) -> str:
    import html

    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422, page
    assert "Validation failed" not in page and "There is a problem" in page
    assert f'href="#{field}">{label}: this had a hidden character ({code})' in page
    assert f'id="{field}-error"' in page, "the error stands by the box too"
    for value in kept.values():
        assert f'value="{value}"' in page or f">{value}</textarea>" in page, value
    return page


@pytest.mark.parametrize(("character", "code"), HIDDEN)
def test_a_hidden_character_on_the_staff_edit_page_is_an_error_by_the_box(app, client, staff_page, character, code):
    path = f"/staff/residents/{staff_page.id}/edit"
    token = csrf_token_from(client.get(path).text)
    kept = {"given_name": "Xiuying", "family_name": "Wang", "phone": "07700 900123", "date_of_birth-year": "1970"}
    response = client.post(path, data={"csrf_token": token, "version": "1", **kept, "date_of_birth-day": "2",
                                       "date_of_birth-month": "1", "display_name": f"Nguyễn{character} Thị Hương"})
    page = _shown_again(response, "display_name", "Full name", code, kept)
    assert 'value="Nguyễn Thị Hương"' in page, "what is left of the box, without the hidden character"
    assert character not in page
    with app.app_context():
        assert db.session.get(User, staff_page.id).given_name == "秀英", "nothing is saved"


@pytest.mark.parametrize(("character", "code"), HIDDEN)
def test_a_hidden_character_on_the_staff_register_page_is_an_error_by_the_box(app, client, staff_page, character,
                                                                              code):
    token = csrf_token_from(client.get("/staff/residents/new").text)
    kept = {"given_name": "Niamh", "family_name": "Ní Bhriain", "postcode": "M13 9PL"}
    response = client.post("/staff/residents/new", data={"csrf_token": token, **kept,
                                                         "phone": f"07700{character}900123"})
    page = _shown_again(response, "phone", "Phone number", code, kept)
    assert 'value="07700900123"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.given_name == "Niamh")) == 0


@pytest.mark.parametrize(("character", "code"), HIDDEN)
def test_a_hidden_character_in_a_residents_own_name_is_an_error_by_the_box(app, client, make_user, login_as,
                                                                           character, code):
    resident = make_user(Role.LEARNER, given_name="محمد", family_name="خان")
    login_as(resident)
    token = csrf_token_from(client.get("/account").text)
    response = client.post("/account/name", data={"csrf_token": token, "version": "1",
                                                  "display_name": f"محمد{character} خان"})
    page = _shown_again(response, "display_name", "Full name", code, {"display_name": "محمد خان"})
    assert "Your account" in page
    with app.app_context():
        assert db.session.get(User, resident.id).name_as_written is None


@pytest.mark.parametrize(("character", "code"), HIDDEN)
@pytest.mark.parametrize(("field", "label"), [("address", "Address"), ("opening_hours", "Opening hours"),
                                              ("phone", "Phone number")])
def test_a_hidden_character_in_a_branch_detail_is_an_error_by_the_box(app, client, make_user, make_branch, login_as,
                                                                      field, label, character, code):
    from skills_hub.accounts.models import Branch

    login_as(make_user(Role.ADMIN))
    branch = make_branch("Eastside Library")
    token = csrf_token_from(client.get(f"/admin/branches/{branch.id}").text)
    form = {"name": "Eastside Library", "address": "3 Quayside Row", "phone": "0161 496 0123",
            "opening_hours": "Monday to Friday: 9am to 7pm"}
    typed = {**form, field: form[field][:4] + character + form[field][4:]}
    response = client.post(f"/admin/branches/{branch.id}", data={"csrf_token": token, **typed})
    _shown_again(response, field, label, code, form)
    with app.app_context():
        assert not db.session.get(Branch, branch.id).address, "nothing is saved"


def test_a_hidden_character_on_other_forms_is_an_error_by_the_box(app, client, make_user, login_as):
    register = client.post("/register", data={
        "csrf_token": csrf_token_from(client.get("/register").text), "given_name": "Ann\u202e",
        "family_name": "Lee", "email": "ann@example.test", "password": TEST_PASSWORD})
    assert 'value="ann@example.test"' in _shown_again(register, "given_name", "First name", "U+202E",
                                                      {"family_name": "Lee", "given_name": "Ann"})
    login_as(make_user(Role.ADMIN))
    place = client.post("/admin/places", data={"csrf_token": csrf_token_from(client.get("/admin/places").text),
                                               "kind": "branch", "name": "East\u0000side"})
    _shown_again(place, "name", "Name", "U+0000", {"name": "Eastside"})


def test_a_hidden_character_in_a_referral_is_an_error_by_the_box(client, login_as, make_branch, make_user, staff_in,
                                                                 make_service):
    branch = make_branch()
    learner = make_user(Role.LEARNER, branches=[branch])
    login_as(staff_in(branch))
    service = make_service()
    path = f"/referrals/new?service={service.id}&learner={learner.id}"
    page = client.get(path).text
    client_id = page.split('name="client_id" value="')[1].split('"')[0]
    response = client.post(path, data={"csrf_token": csrf_token_from(page), "client_id": client_id,
                                       "need": "Smartphone\u2067 basics", "access_needs": "Large print",
                                       "contact_route": "phone", "permission": "yes", "method": "in_person"})
    page = _shown_again(response, "need", "What they need help with", "U+2067", {})
    assert "Large print" in page and "Smartphone basics" in page


def test_a_hidden_character_in_an_upload_form_is_an_error_by_the_box(client, staff_page):
    page = client.get("/staff/imports").text
    response = client.post("/staff/imports", content_type="multipart/form-data", data={
        "csrf_token": csrf_token_from(page), "file": (io.BytesIO(b"given_name\n"), "sheet\u202egpj.csv")})
    import html

    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and "There is a problem" in text, text
    assert 'href="#file">The file\'s name has a hidden character (U+202E)' in text


def test_a_page_that_reads_its_form_without_a_schema_still_refuses_a_hidden_character(app, client, staff_page):
    from skills_hub.accounts.models import ApiToken

    token = csrf_token_from(client.get("/account").text)
    response = client.post("/staff/device-tokens", data={"csrf_token": token, "name": "Laptop\u0000 2"})
    assert response.status_code == 422 and "Name: this has a hidden character (U+0000)" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


@pytest.mark.parametrize("body", ["Ann%ED%B3%BF", "%FF%FE", "Ann\xff".encode("latin-1")])
def test_a_form_that_is_not_utf_8_is_refused_by_the_box(app, client, staff_page, body):
    from urllib.parse import urlencode

    path = f"/staff/residents/{staff_page.id}/edit"
    token = csrf_token_from(client.get(path).text)
    good = urlencode({"csrf_token": token, "version": "1", "given_name": "秀英", "family_name": "王"})
    raw = good.encode() + b"&display_name=" + (body if isinstance(body, bytes) else body.encode())
    response = client.post(path, data=raw, content_type="application/x-www-form-urlencoded")
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert 'href="#display_name">Full name: this had a broken character (U+DC' in page
    assert "%ED" not in page and "%FF" not in page and "\ufffd" not in page
    with app.app_context():
        assert db.session.get(User, staff_page.id).name_as_written is None


def test_a_multipart_form_that_is_not_utf_8_is_refused_by_the_box(app, client, staff_page):
    path = f"/staff/residents/{staff_page.id}/edit"
    token = csrf_token_from(client.get(path).text)
    parts = [(b"csrf_token", token.encode()), (b"version", b"1"), (b"given_name", "秀英".encode()),
             (b"family_name", "王".encode()), (b"display_name", b"Ann\xed\xb3\xbf")]
    body = b"".join(b'--B\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
                    for name, value in parts) + b"--B--\r\n"
    response = client.post(path, data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 422 and "Full name: this had a broken character (U+DCED)" in response.text
    with app.app_context():
        assert db.session.get(User, staff_page.id).name_as_written is None


@pytest.mark.parametrize(("given", "family", "shown"), [
    ("Siobhán", "O'Brien", ""), ("Thị Hương", "Nguyễn", "Nguyễn Thị Hương"), ("محمد", "عبد الله", ""),
    ("秀英", "王", "王 秀英"), ("می\u200cخواهم", "Rezaei", ""),  # noqa: RUF001  (a ZWNJ is spelling)
])
def test_names_in_every_script_still_save_on_the_staff_edit_page(app, client, staff_page, given, family, shown):
    path = f"/staff/residents/{staff_page.id}/edit"
    token = csrf_token_from(client.get(path).text)
    response = client.post(path, data={"csrf_token": token, "version": "1", "given_name": given,
                                       "family_name": family, "display_name": shown})
    assert response.status_code == 302, response.text
    with app.app_context():
        saved = db.session.get(User, staff_page.id)
        assert (saved.given_name, saved.family_name, saved.name_as_written) == (given, family, shown or None)


def test_a_stale_edit_on_the_staff_page_keeps_what_was_typed_and_says_so_at_the_top(app, client, staff_page):
    path = f"/staff/residents/{staff_page.id}/edit"
    token = csrf_token_from(client.get(path).text)
    assert client.post(path, data={"csrf_token": token, "version": "1", "given_name": "秀英", "family_name": "王",
                                   "postcode": "M13 9PL"}).status_code == 302
    stale = client.post(path, data={"csrf_token": token, "version": "1", "given_name": "Xiuying",
                                    "family_name": "Wang", "phone": "07700 900123"})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 422, page
    assert 'href="#given_name"' not in page and 'id="given_name-error"' not in page
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert "Someone else changed this resident" in summary and 'href="#details-form"' in summary
    assert 'id="details-form"' in page
    for kept in ('value="Xiuying"', 'value="Wang"', 'value="07700 900123"'):
        assert kept in page
    assert 'name="version" value="2"' in page, "saving again, after checking, overwrites on purpose"
    again = client.post(path, data={"csrf_token": token, "version": "2", "given_name": "Xiuying",
                                    "family_name": "Wang", "phone": "07700 900123"})
    assert again.status_code == 302
    with app.app_context():
        assert db.session.get(User, staff_page.id).given_name == "Xiuying"


def test_a_line_break_in_a_one_line_box_is_named_by_its_label(client, staff_page):
    token = csrf_token_from(client.get("/staff/residents/new").text)
    response = client.post("/staff/residents/new", data={"csrf_token": token, "given_name": "Ann\nMarie",
                                                         "family_name": "Lee"})
    assert response.status_code == 422
    assert 'href="#given_name">First name: keep this on one line. Take out the tab or line break.' in response.text
    assert 'value="Lee"' in response.text


def test_a_body_of_thousands_of_unknown_fields_is_answered_with_the_first_fifty(app, client, make_branch, staff_in,
                                                                                 bearer):
    staff = staff_in(make_branch("Central"))
    body = {**new_learner_body(), **{f"unknown_{n}": n for n in range(5_000)}}
    answer = client.post("/api/v1/learners", json=body, headers=bearer(staff))
    assert answer.status_code == 422
    errors = answer.json["errors"]
    assert len(errors) == 51
    assert all(errors[key] == ["Unknown field."] for key in errors if key != "_more")
    assert errors["_more"] == ["4,950 more fields have problems. Fix these first."]
    assert len(answer.data) < 10_000  # not every one of 5,000 echoed back
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.LEARNER)) == 0


def test_a_key_given_twice_in_one_object_is_refused(client):
    problem = _problem(client.post("/api/v1/tokens", data='{"username": "a@example.test", "username": "b@example.test",'
                                   ' "password": "x"}', content_type="application/json"), 400)
    assert 'The key "username" appears twice in one object' in problem["detail"]


def test_a_version_sent_as_text_is_refused_by_name(client, make_branch, staff_in, bearer, make_user):
    branch = make_branch("Central")
    staff = staff_in(branch)
    learner = make_user(Role.LEARNER, branches=[branch])
    problem = _problem(client.patch(f"/api/v1/learners/{learner.id}", json={"version": "1", "postcode": "M13 9PL"},
                                    headers=bearer(staff)), 422)
    assert problem["errors"]["version"] == ["Send the version as a whole number, as you read it."]
