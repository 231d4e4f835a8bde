"""Admin: invite staff and providers, add branches and organisations, and `flask users create-admin`."""

import html

import pytest
from sqlalchemy import select

from skills_hub.accounts.models import Branch, Organisation, Role, User
from skills_hub.extensions import db
from tests.conftest import csrf_token_from
from tests.test_accounts import sign_in


def test_an_admin_adds_a_branch_and_an_organisation_and_a_repeat_is_named(app, client, make_user, login_as):
    login_as(make_user(Role.ADMIN))
    page = client.get("/admin/places").text
    token = csrf_token_from(page)
    assert client.post("/admin/places", data={"csrf_token": token, "kind": "branch",
                                              "name": "  Eastside   Library "}).status_code == 302
    assert client.post("/admin/places", data={"csrf_token": token, "kind": "organisation",
                                              "name": "Adult Learning Trust"}).status_code == 302
    again = client.post("/admin/places", data={"csrf_token": token, "kind": "branch", "name": "Eastside Library"})
    assert again.status_code == 422 and "already a branch called Eastside Library" in again.text
    empty = client.post("/admin/places", data={"csrf_token": token, "kind": "branch", "name": ""})
    assert empty.status_code == 422 and 'href="#name">Enter a name.' in empty.text
    with app.app_context():
        assert db.session.scalars(select(Branch.name)).all() == ["Eastside Library"]
        assert db.session.scalars(select(Organisation.name)).all() == ["Adult Learning Trust"]


def test_an_invited_provider_sets_a_password_from_the_email_and_signs_in(app, client, make_user, login_as,
                                                                        drain_jobs):
    from tests.test_registration import emails, link_in

    admin = make_user(Role.ADMIN)
    with app.app_context():
        organisation = Organisation(name="Adult Learning Trust")
        db.session.add(organisation)
        db.session.commit()
        organisation_id = str(organisation.id)
    login_as(admin)
    token = csrf_token_from(client.get("/admin/users").text)
    missing = client.post("/admin/users", data={"csrf_token": token, "given_name": "Priya", "family_name": "Shah",
                                                "email": "priya@example.test", "role": "provider"})
    assert missing.status_code == 422 and 'href="#organisation_id"' in missing.text
    invited = client.post("/admin/users", data={"csrf_token": token, "given_name": "Priya", "family_name": "Shah",
                                                "email": "priya@example.test", "role": "provider",
                                                "organisation_id": organisation_id})
    assert invited.status_code == 302
    drain_jobs()
    [mail] = emails(app)
    assert "To: priya@example.test" in mail and "Set up your Skills Hub account" in mail
    newcomer = app.test_client()
    path = link_in(mail)
    page = newcomer.get(path)
    newcomer.post(path, data={"csrf_token": csrf_token_from(page.text), "password": "purple tractor sunrise"})
    assert sign_in(newcomer, method="email", email="priya@example.test",
                   password="purple tractor sunrise").status_code == 302
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "priya@example.test")).one()
        assert user.role == Role.PROVIDER and str(user.organisation_id) == organisation_id


def test_flask_users_create_admin(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["users", "create-admin", "--email", "boss@example.test", "--given-name", "Ada",
                               "--family-name", "Lovelace", "--password", "password"])
    assert weak.exit_code == 1 and "too common" in weak.output
    made = runner.invoke(args=["users", "create-admin", "--email", "boss@example.test", "--given-name", "Ada",
                               "--family-name", "Lovelace", "--password", "purple tractor sunrise"])
    assert made.exit_code == 0, made.output
    again = runner.invoke(args=["users", "create-admin", "--email", "boss@example.test", "--given-name", "Ada",
                                "--family-name", "Lovelace", "--password", "purple tractor sunrise"])
    assert again.exit_code == 1 and "already has an account" in again.output
    client = app.test_client()
    response = sign_in(client, method="email", email="boss@example.test", password="purple tractor sunrise")
    assert response.headers["Location"] == "/admin"


def test_an_admin_gives_a_branch_its_address_phone_and_opening_hours(app, client, make_user, make_branch, login_as):
    login_as(make_user(Role.ADMIN))
    branch = make_branch("Eastside Library")
    places = client.get("/admin/places").text
    assert f'href="/admin/branches/{branch.id}">Eastside Library</a>' in places and "Contact details missing" in places
    page = client.get(f"/admin/branches/{branch.id}").text
    form = {"csrf_token": csrf_token_from(page), "name": "Eastside Library",
            "address": " 3 Quayside Row \r\n\r\nManchester  M4 6XX ", "phone": "0161  496 0123",
            "opening_hours": "Monday to Friday: 9am to 7pm\r\nSaturday: 10am to 4pm\r\nSunday: closed"}
    assert client.post(f"/admin/branches/{branch.id}", data=form).status_code == 302
    with app.app_context():
        saved = db.session.get(Branch, branch.id)
        assert (saved.address, saved.phone, saved.opening_hours) == (
            "3 Quayside Row\nManchester M4 6XX", "0161 496 0123",
            "Monday to Friday: 9am to 7pm\nSaturday: 10am to 4pm\nSunday: closed")
    places = client.get("/admin/places").text
    assert "3 Quayside Row, Manchester M4 6XX. 0161 496 0123" in places and "Contact details missing" not in places
    assert client.post(f"/admin/branches/{branch.id}", data={**form, "phone": "+44 (0)161 496-0123"}).status_code == 302
    with app.app_context():
        assert db.session.get(Branch, branch.id).phone == "+44 (0)161 496-0123"


@pytest.mark.parametrize(("field", "value", "words"), [
    ("phone", "12345", "Enter the library's phone number as a UK number, like 0161 496 0123."),
    ("phone", "0161 496 01234 5", "as a UK number"),
    ("phone", "+1 212 555 0123", "as a UK number"),
    ("name", "", "Enter the library's name."),
    ("name", "Other Library", "There is already a branch called Other Library."),
    ("opening_hours", "x" * 1001, "Enter the opening hours in 1,000 characters or fewer."),
])
def test_a_bad_branch_detail_is_422_naming_the_field(app, client, make_user, make_branch, login_as, field, value,
                                                      words):
    login_as(make_user(Role.ADMIN))
    branch = make_branch("Eastside Library")
    make_branch("Other Library")
    page = client.get(f"/admin/branches/{branch.id}").text
    form = {"csrf_token": csrf_token_from(page), "name": "Eastside Library", "address": "3 Quayside Row",
            "phone": "0161 496 0123", "opening_hours": "Monday to Friday: 9am to 7pm", field: value}
    refused = client.post(f"/admin/branches/{branch.id}", data=form)
    assert refused.status_code == 422 and f'href="#{field}"' in refused.text
    assert words in html.unescape(refused.text)
    with app.app_context():
        assert db.session.get(Branch, branch.id).phone == ""


@pytest.mark.parametrize("value", ["3 Quayside Row\u202e", "3 Quayside Row\x00", "3 Quayside\x1bRow"])
def test_a_branch_address_with_control_or_bidi_characters_is_refused(app, client, make_user, make_branch, login_as,
                                                                      value):
    login_as(make_user(Role.ADMIN))
    branch = make_branch("Eastside Library")
    page = client.get(f"/admin/branches/{branch.id}").text
    refused = client.post(f"/admin/branches/{branch.id}", data={"csrf_token": csrf_token_from(page),
                                                                 "name": "Eastside Library", "address": value})
    assert refused.status_code in (400, 422)
    with app.app_context():
        assert db.session.get(Branch, branch.id).address == ""


def test_an_unknown_branch_is_404(client, make_user, login_as):
    import uuid

    login_as(make_user(Role.ADMIN))
    assert client.get(f"/admin/branches/{uuid.uuid4()}").status_code == 404


def test_every_demo_library_has_an_address_a_drama_range_phone_number_and_opening_hours(app, catalogue):
    import re

    from skills_hub.demo import load_demo_data

    with app.app_context():
        assert load_demo_data()
        db.session.commit()
        branches = db.session.scalars(select(Branch).order_by(Branch.name)).all()
        assert len(branches) == 3
        for branch in branches:
            assert branch.address and branch.opening_hours.count("\n") >= 2
            assert re.fullmatch(r"0161 496 0[0-9]{3}", branch.phone), "Ofcom's drama range: it rings nobody"
