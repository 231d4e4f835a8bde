"""Residents sign up themselves; the privacy notice; password rules; password reset and email change by email."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from skills_hub.accounts import passwords
from skills_hub.accounts.models import Consent, OneTimeLink, Role, User
from skills_hub.extensions import db, utcnow
from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.test_accounts import sign_in

GOOD = {"given_name": "Nguyễn", "family_name": "Văn An", "email": "an@example.test",
        "password": "cloud kettle violin", "privacy_notice_version": "2026-11", "agree": "yes"}


def register(client, **changes):
    form = {**GOOD, **changes}
    form = {k: v for k, v in form.items() if v is not None}
    return client.post("/register", data={"csrf_token": csrf_token_from(client.get("/register").text), **form})


def emails(app) -> list[str]:
    """Each email written this test, as headers and decoded body."""
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in app.config["MAIL_DIR"].glob("*.eml")]
    return [f"To: {m['To']}\nSubject: {m['Subject']}\n\n{m.get_content()}" for m in messages]


def link_in(text: str) -> str:
    return re.search(r"http://[^\s]+(/(?:password-reset|account/email)/[^\s]+)", text).group(1)


def test_the_privacy_notice_has_a_version_and_old_versions_stay_readable(client):
    page = client.get("/privacy")
    assert page.status_code == 200 and "<h1>Privacy notice</h1>" in page.text
    assert 'Version <bdi dir="ltr">2026-11</bdi>' in page.text  # a version reads left to right in Urdu too
    assert client.get("/privacy?version=2026-11").status_code == 200
    assert client.get("/privacy?version=1999-01").status_code == 404


def test_a_resident_registers_with_consent_and_is_signed_in(app, client):
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "Nguyễn Văn An" in client.get("/account").text
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "an@example.test")).one()
        assert user.role == Role.LEARNER and user.learner_number
        consent = db.session.scalars(select(Consent).where(Consent.user_id == user.id)).one()
        assert (consent.notice_version, consent.given_by, consent.method) == ("2026-11", "learner", "online")


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"agree": None}, "agree", "Tick the box"),
    ({"password": "short"}, "password", "at least 8 characters"),
    ({"password": "x" * 129}, "password", "128 characters or fewer"),
    ({"password": "password123"}, "password", "too common"),
    ({"password": "Iloveyou1"}, "password", "too common"),
    ({"email": "not-an-email"}, "email", "like name@example.com"),
    ({"given_name": ""}, "given_name", "Enter the first name"),
    ({"given_name": "x" * 101}, "given_name", "100 characters or fewer"),
    ({"privacy_notice_version": "1999-01"}, "agree", "privacy notice has changed"),
])
def test_bad_registrations_are_refused_with_a_linked_error(app, client, changes, field, message):
    response = register(client, **changes)
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text and message in response.text
    assert "cloud kettle violin" not in response.text, "the password is never shown back"
    with app.app_context():
        assert db.session.scalar(select(User.id)) is None


def test_an_unknown_form_field_is_refused(client):
    response = register(client, role="admin")
    assert response.status_code == 422 and "Unknown field" in response.text


def test_a_128_character_password_is_kept_whole(client):
    long_password = "correct horse " * 9 + "ab"
    assert len(long_password) == 128
    assert register(client, password=long_password).status_code == 302
    other = client.application.test_client()
    assert sign_in(other, method="email", email="an@example.test", password=long_password).status_code == 302
    assert sign_in(other, method="email", email="an@example.test", password=long_password[:72]).status_code == 401


def test_the_common_password_list_is_bundled_and_large():
    assert passwords.problem_with("qwertyuiop") and passwords.problem_with("PASSWORD1")
    assert len(passwords._common_passwords()) > 5000
    assert passwords.problem_with("purple tractor sunrise") is None


def test_an_email_that_already_has_an_account_is_named(client, make_user):
    make_user(Role.LEARNER, email="an@example.test")
    response = register(client)
    assert response.status_code == 422 and "already has an account" in response.text


def test_password_reset_answers_the_same_whether_or_not_the_email_exists(app, client, make_user, drain_jobs):
    make_user(Role.LEARNER, email="an@example.test")
    answers = []
    for address in ("an@example.test", "nobody@example.test"):
        token = csrf_token_from(client.get("/password-reset").text)
        answers.append(client.post("/password-reset", data={"csrf_token": token, "email": address}))
    assert answers[0].status_code == answers[1].status_code == 200
    assert answers[0].text == answers[1].text
    drain_jobs()
    [mail] = emails(app)
    assert "To: an@example.test" in mail and "Nguy" not in mail


def ask_for_a_reset_link(app, client, drain_jobs) -> str:
    token = csrf_token_from(client.get("/password-reset").text)
    client.post("/password-reset", data={"csrf_token": token, "email": "an@example.test"})
    drain_jobs()
    return link_in(emails(app)[0])


def test_a_reset_link_works_once_and_sets_the_new_password(app, client, make_user, drain_jobs):
    make_user(Role.LEARNER, email="an@example.test")
    path = ask_for_a_reset_link(app, client, drain_jobs)
    page = client.get(path)
    assert page.status_code == 200
    common = client.post(path, data={"csrf_token": csrf_token_from(page.text), "password": "12345678"})
    assert common.status_code == 422
    done = client.post(path, data={"csrf_token": csrf_token_from(page.text), "password": "purple tractor sunrise"})
    assert done.status_code == 302
    assert client.get(path).status_code == 404, "used once"
    assert sign_in(client, method="email", email="an@example.test", password=TEST_PASSWORD).status_code == 401
    assert sign_in(client, method="email", email="an@example.test",
                   password="purple tractor sunrise").status_code == 302


def test_a_reset_link_expires_after_30_minutes(app, client, make_user, drain_jobs):
    make_user(Role.LEARNER, email="an@example.test")
    path = ask_for_a_reset_link(app, client, drain_jobs)
    with app.app_context():
        link = db.session.scalars(select(OneTimeLink)).one()
        assert timedelta(minutes=29) < link.expires_at - link.created_at <= timedelta(minutes=30)
        assert path.rsplit("/", 1)[1] not in link.token_hash, "only the hash is stored"
        link.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.get(path).status_code == 404


def test_an_email_change_happens_only_when_the_new_address_confirms_it(app, client, make_user, drain_jobs):
    make_user(Role.LEARNER, email=None, learner_number="DEM0001D", pin="246810")
    sign_in(client, method="pin", learner_number="DEM0001D", pin="246810")
    page = client.get("/account/email").text
    assert "Add an email address" in page
    client.post("/account/email", data={"csrf_token": csrf_token_from(page), "email": "New@Example.test"})
    drain_jobs()
    [mail] = emails(app)
    assert "To: new@example.test" in mail
    path = link_in(mail)
    confirm = client.get(path)
    assert confirm.status_code == 200 and "new@example.test" in confirm.text
    assert client.post(path, data={"csrf_token": csrf_token_from(confirm.text)}).status_code == 302
    assert "new@example.test" in client.get("/account").text
    assert client.get(path).status_code == 404


def test_a_learner_with_a_pin_can_add_a_password(client, make_user):
    make_user(Role.LEARNER, email="an@example.test", password=None, learner_number="DEM0001D", pin="246810")
    sign_in(client, method="pin", learner_number="DEM0001D", pin="246810")
    page = client.get("/account/password").text
    assert "Add a password" in page and "current_password" not in page
    client.post("/account/password", data={"csrf_token": csrf_token_from(page), "password": "purple tractor sunrise"})
    other = client.application.test_client()
    assert sign_in(other, method="email", email="an@example.test",
                   password="purple tractor sunrise").status_code == 302
