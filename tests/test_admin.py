"""Admin: invite staff and providers, add branches and organisations, and `flask users create-admin`."""

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
