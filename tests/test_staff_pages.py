"""Staff pages: register a resident with no email, print their login card, find and link residents."""

import uuid

import pytest
from sqlalchemy import select

from skills_hub.accounts.models import Role, User
from skills_hub.audit.models import AuditEvent
from skills_hub.extensions import db
from skills_hub.pdf import OwnAssetsFetcher, RefusedResource
from tests.conftest import csrf_token_from, pdf_text
from tests.test_accounts import sign_in

RESIDENT = {"given_name": "Mohammed", "family_name": "Khan", "date_of_birth": "1958-02-03", "postcode": "M13 9PL",
            "consent_method": "in_person", "privacy_notice_version": "2026-11"}


@pytest.fixture
def staff_client(client, make_branch, make_user, login_as):
    branch = make_branch("Central Library")
    client.staff = make_user(Role.STAFF, branches=[branch])
    client.branch = branch
    login_as(client.staff)
    return client


def register(client, **changes):
    page = client.get("/staff/residents/new")
    form = {k: v for k, v in {**RESIDENT, **changes}.items() if v is not None}
    return client.post("/staff/residents/new", data={"csrf_token": csrf_token_from(page.text), **form})


def shown(html: str, label: str) -> str:
    return html.split(f"<dt>{label}</dt><dd class=\"code\">")[1].split("<")[0]


def test_staff_register_a_resident_print_the_card_and_the_resident_signs_in_elsewhere(app, staff_client, tmp_path):
    response = register(staff_client)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    number, pin = shown(response.text, "Learner number"), shown(response.text, "PIN")
    assert "only time the PIN is shown" in response.text
    learner_id = response.text.split("/staff/residents/")[1].split("/card")[0]
    card = staff_client.post(f"/staff/residents/{learner_id}/card",
                             data={"csrf_token": csrf_token_from(response.text), "pin": pin, "with_pin": "yes"})
    assert card.status_code == 200 and card.mimetype == "application/pdf"
    assert card.headers["Cache-Control"] == "no-store"
    text = pdf_text(card.data, tmp_path)
    # The card prints the name as written, family name too (it used to print the given name alone, so that a lost
    # card told a finder less). The name "as written, for everything printed or shown" was asked for, and the card
    # is handed to the resident: the learner number and PIN on it are what need keeping safe, and it says so.
    assert number in text and pin in text and "Mohammed Khan" in " ".join(text.split())
    assert "http://127.0.0.1:5000/sign-in" in "".join(text.split()), "the address as text, beside the QR code"
    another_browser = app.test_client()
    assert sign_in(another_browser, method="pin", learner_number=number, pin=pin).status_code == 302
    assert "Mohammed Khan" in another_browser.get("/account").text


def test_the_card_leaves_the_pin_off_unless_ticked_and_never_prints_a_wrong_pin(staff_client, tmp_path):
    response = register(staff_client)
    pin = shown(response.text, "PIN")
    learner_id = response.text.split("/staff/residents/")[1].split("/card")[0]
    token = csrf_token_from(response.text)
    without = staff_client.post(f"/staff/residents/{learner_id}/card", data={"csrf_token": token, "pin": pin})
    assert pin not in pdf_text(without.data, tmp_path)
    wrong = staff_client.post(f"/staff/residents/{learner_id}/card",
                              data={"csrf_token": token, "pin": "000000", "with_pin": "yes"})
    assert wrong.status_code == 404


def test_the_form_shows_every_problem_and_keeps_what_was_typed(staff_client):
    response = register(staff_client, given_name=None, postcode="nowhere", consent_method=None,
                        family_name="O'Brien-Nguyễn")
    assert response.status_code == 422
    for field in ("given_name", "postcode", "consent_method"):
        assert f'href="#{field}"' in response.text and f'id="{field}"' in response.text
    assert 'value="O&#39;Brien-Nguyễn"' in response.text


def test_a_likely_duplicate_shows_the_candidate_and_needs_a_tick_to_go_on(app, staff_client):
    register(staff_client)
    again = register(staff_client, given_name="mohammed", family_name="Kan")
    assert again.status_code == 422 and "may be someone who already has an account" in again.text
    assert "Mohammed Khan" in again.text and 'name="confirm_not_duplicate"' in again.text
    assert register(staff_client, given_name="mohammed", family_name="Kan",
                    confirm_not_duplicate="yes").status_code == 200
    with app.app_context():
        assert len(db.session.scalars(select(User).where(User.role == Role.LEARNER)).all()) == 2


def test_staff_find_a_resident_of_another_library_and_link_them(app, staff_client, make_branch, make_user):
    other_branch = make_branch("Northside Library")
    resident = make_user(Role.LEARNER, email=None, learner_number="DEM0001D", pin="246810",
                         given_name="Grace", family_name="Mensah", branches=[other_branch])
    search = staff_client.get("/staff?q=grace")
    assert "0 residents found" in search.text
    found = staff_client.get("/staff/residents/lookup?learner_number=dem0-001d")
    assert found.status_code == 200 and "Grace" in found.text and "Mensah" not in found.text
    assert staff_client.get(f"/staff/residents/{resident.id}").status_code == 404
    linked = staff_client.post(f"/staff/residents/{resident.id}/link",
                               data={"csrf_token": csrf_token_from(found.text),
                                     "branch_id": str(staff_client.branch.id)})
    assert linked.status_code == 302
    assert "Grace Mensah" in staff_client.get(f"/staff/residents/{resident.id}").text
    assert "1 resident found" in staff_client.get("/staff?q=grace").text
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == resident.id)))
    assert {"learner.looked_up", "learner.linked_to_branch", "learner.viewed"} <= actions


def test_a_lookup_that_matches_nobody_says_so(staff_client):
    response = staff_client.get("/staff/residents/lookup?given_name=No&family_name=One&date_of_birth=1970-01-01")
    assert response.status_code == 404 and "No resident matches exactly" in response.text
    typo = staff_client.get("/staff/residents/lookup?learner_number=DEM0001E")
    assert typo.status_code == 422 and "mistyped" in typo.text


@pytest.mark.parametrize("role", [Role.LEARNER, Role.PROVIDER])
def test_learners_and_providers_get_404_on_staff_pages(client, make_user, login_as, role):
    login_as(make_user(role))
    for path in ("/staff", "/staff/residents/new", f"/staff/residents/{uuid.uuid4()}"):
        assert client.get(path).status_code == 404


def test_the_pdf_fetcher_serves_only_our_own_static_files(app, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    fetcher = OwnAssetsFetcher(static)
    assert fetcher.fetch((static / "logo.svg").as_uri()).read().startswith(b"<svg")
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    for url in ("http://169.254.169.254/latest/meta-data/", "https://evil.example/x.png", "file:///etc/passwd",
                (static / ".." / "secret.txt").as_uri(), "ftp://example.test/file"):
        with pytest.raises(RefusedResource):
            fetcher.fetch(url)


def test_sending_the_register_form_twice_makes_one_resident(app, staff_client):
    page = staff_client.get("/staff/residents/new").text
    client_id = page.split('name="client_id" value="')[1].split('"')[0]
    form = {"csrf_token": csrf_token_from(page), "client_id": client_id, **RESIDENT}
    first = staff_client.post("/staff/residents/new", data=form)
    again = staff_client.post("/staff/residents/new", data=form)
    assert first.status_code == again.status_code == 200
    assert "is already registered" in again.text and "<dt>PIN</dt>" not in again.text
    assert shown(first.text, "Learner number") == shown(again.text, "Learner number")
    with app.app_context():
        assert len(db.session.scalars(select(User).where(User.role == Role.LEARNER)).all()) == 1
