"""Holes found from outside (accounts): staff cannot hand an account to a new address, a session left open cannot
add a way in, one-time links end when the account changes, and registering is throttled and told to the owner."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from skills_hub.accounts import services, two_step
from skills_hub.accounts.models import OneTimeLink, Role, User
from skills_hub.audit.models import AuditEvent
from skills_hub.extensions import db, utcnow
from tests.conftest import TEST_PASSWORD, csrf_token_from, make_test_app, new_learner_body
from tests.test_accounts import sign_in
from tests.test_registration import GOOD, emails, link_in, register


def mail_to(app, address: str) -> list[str]:
    return [mail for mail in emails(app) if f"To: {address}\n" in mail]


def clear_mail(app) -> None:
    for sent in app.config["MAIL_DIR"].glob("*.eml"):
        sent.unlink()


def user_named(app, user_id) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


@pytest.fixture
def staff(staff_in, branch):
    return staff_in(branch, email="staff@example.test")


# 1. Staff change a resident's email ---------------------------------------------------------------------------

def test_a_staff_email_change_waits_for_the_new_address_and_tells_the_old_one(app, client, make_user, staff, branch,
                                                                              bearer, drain_jobs):
    learner = make_user(Role.LEARNER, email="resident@example.test", branches=[branch], learner_number="DEM0001D",
                        pin="246810")
    url = f"/api/v1/learners/{learner.id}"
    changed = client.patch(url, json={"email": "Taker@Example.test", "version": 1}, headers=bearer(staff))
    assert changed.status_code == 200, changed.json
    assert changed.json["email"] == "resident@example.test", "the old address still counts"
    assert changed.json["pending_email"] == "taker@example.test"
    # A password reset to the new address finds no account: the address does not count yet.
    client.post("/password-reset", data={"csrf_token": csrf_token_from(client.get("/password-reset").text),
                                         "email": "taker@example.test"})
    drain_jobs()
    [to_taker] = mail_to(app, "taker@example.test")
    assert "/account/email/" in to_taker and "/password-reset/" not in to_taker
    [to_resident] = mail_to(app, "resident@example.test")
    assert "asked to change the email address" in to_resident and "taker" not in to_resident
    assert sign_in(app.test_client(), method="email", email="resident@example.test",
                   password=TEST_PASSWORD).status_code == 302
    # Its owner confirms it: now it counts, and the old address hears that it changed.
    clear_mail(app)
    path = link_in(to_taker)
    page = client.get(path)
    assert client.post(path, data={"csrf_token": csrf_token_from(page.text)}).status_code == 302
    assert user_named(app, learner.id).email == "taker@example.test"
    drain_jobs()
    [told] = mail_to(app, "resident@example.test")
    assert "has changed" in told
    again = client.get(url, headers=bearer(staff)).json
    assert again["email"] == "taker@example.test" and again["pending_email"] is None


def test_an_address_staff_add_to_a_pin_only_account_counts_once_its_owner_chooses_a_password(
        app, client, make_user, staff, branch, bearer, drain_jobs):
    learner = make_user(Role.LEARNER, email=None, password=None, branches=[branch], learner_number="DEM0001D",
                        pin="246810")
    changed = client.patch(f"/api/v1/learners/{learner.id}", json={"email": "new@example.test", "version": 1},
                           headers=bearer(staff))
    assert changed.status_code == 200 and changed.json["email"] is None
    assert changed.json["pending_email"] == "new@example.test"
    assert user_named(app, learner.id).email is None
    drain_jobs()
    [invitation] = mail_to(app, "new@example.test")
    path = link_in(invitation)
    assert path.startswith("/password-reset/")
    page = client.get(path)
    assert client.post(path, data={"csrf_token": csrf_token_from(page.text),
                                   "password": "purple tractor sunrise"}).status_code == 302
    assert sign_in(app.test_client(), method="email", email="new@example.test",
                   password="purple tractor sunrise").status_code == 302


def test_a_new_resident_registered_by_staff_with_an_email_gets_it_once_they_open_the_invitation(
        app, client, staff, bearer, drain_jobs):
    made = client.post("/api/v1/learners", json=new_learner_body(email="Grace@Example.test"),
                       headers=bearer(staff))
    assert made.status_code == 201 and made.json["email"] is None
    assert made.json["pending_email"] == "grace@example.test"
    drain_jobs()
    [invitation] = mail_to(app, "grace@example.test")
    path = link_in(invitation)
    page = client.get(path)
    client.post(path, data={"csrf_token": csrf_token_from(page.text), "password": "purple tractor sunrise"})
    assert user_named(app, uuid.UUID(made.json["id"])).email == "grace@example.test"
    assert sign_in(app.test_client(), method="email", email="grace@example.test",
                   password="purple tractor sunrise").status_code == 302


def test_an_address_taken_meanwhile_is_refused_when_confirmed(app, client, make_user, staff, branch, bearer,
                                                               drain_jobs):
    learner = make_user(Role.LEARNER, email=None, branches=[branch], learner_number="DEM0001D", pin="246810")
    client.patch(f"/api/v1/learners/{learner.id}", json={"email": "both@example.test", "version": 1},
                 headers=bearer(staff))
    drain_jobs()
    path = link_in(mail_to(app, "both@example.test")[0])
    make_user(Role.LEARNER, email="both@example.test")
    assert client.get(path).status_code == 404
    assert user_named(app, learner.id).email is None


# 2. A session left open on a shared PC --------------------------------------------------------------------------

def five_minutes_pass(client) -> None:
    with client.session_transaction() as session:
        session["confirmed_at"] = int(time.time()) - 5 * 60 - 1


def test_a_session_left_open_must_type_the_pin_again_before_adding_a_way_in(app, client, make_user, drain_jobs):
    learner = make_user(Role.LEARNER, email=None, password=None, learner_number="DEM0001D", pin="246810")
    assert sign_in(client, method="pin", learner_number="DEM0001D", pin="246810").status_code == 302
    five_minutes_pass(client)
    token = csrf_token_from(client.get("/account").text)
    for path, form in (("/account/email", {"email": "taker@example.test"}),
                       ("/account/password", {"password": "purple tractor sunrise"}),
                       ("/account/two-step", {"code": "000000"})):
        answer = client.post(path, data={"csrf_token": token, **form})
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/account/confirm"), path
        assert client.get(path).headers["Location"] == f"/account/confirm?next={path}"
    drain_jobs()
    assert emails(app) == [], "no link was sent"
    stored = user_named(app, learner.id)
    assert stored.password_hash is None and stored.mfa_secret is None
    page = client.get("/account/confirm?next=/account/password")
    assert page.status_code == 200 and "type your PIN again" in page.text
    wrong = client.post("/account/confirm", data={"csrf_token": csrf_token_from(page.text), "secret": "111111",
                                                  "next": "/account/password"})
    assert wrong.status_code == 401 and 'href="#secret"' in wrong.text
    assert user_named(app, learner.id).failed_pin_attempts == 1, "a wrong PIN here counts towards the lock"
    right = client.post("/account/confirm", data={"csrf_token": csrf_token_from(page.text), "secret": "246810",
                                                  "next": "/account/password"})
    assert right.status_code == 302 and right.headers["Location"] == "/account/password"
    added = client.post("/account/password", data={"csrf_token": token, "password": "purple tractor sunrise"})
    assert added.status_code == 302 and added.headers["Location"] == "/account"
    assert user_named(app, learner.id).password_hash is not None


def test_confirming_never_sends_you_to_another_site(client, make_user):
    make_user(Role.LEARNER, email="l@example.test")
    sign_in(client, method="email", email="l@example.test", password=TEST_PASSWORD)
    page = client.get("/account/confirm?next=https://evil.example/")
    right = client.post("/account/confirm", data={"csrf_token": csrf_token_from(page.text), "secret": TEST_PASSWORD,
                                                  "next": "https://evil.example/"})
    assert right.status_code == 302 and right.headers["Location"] == "/account"


def test_a_pin_reset_can_take_off_what_was_added_since_a_date_and_staff_see_every_way_in(
        app, client, make_user, staff, branch, login_as, drain_jobs):
    learner = make_user(Role.LEARNER, email=None, password=None, learner_number="DEM0001D", pin="246810",
                        branches=[branch])
    with app.app_context():  # the PIN was given a month ago
        user = db.session.get(User, learner.id)
        user.pin_set_at = utcnow() - timedelta(days=30)
        db.session.commit()
    # Someone at the PC the resident left signed in adds an email address, a password and two-step verification.
    taker = app.test_client()
    sign_in(taker, method="pin", learner_number="DEM0001D", pin="246810")
    token = csrf_token_from(taker.get("/account").text)
    taker.post("/account/password", data={"csrf_token": token, "password": "purple tractor sunrise"})
    token = csrf_token_from(taker.get("/account").text)  # a password change starts a fresh session
    taker.post("/account/email", data={"csrf_token": token, "email": "taker@example.test"})
    drain_jobs()
    path = link_in(mail_to(app, "taker@example.test")[0])
    taker.post(path, data={"csrf_token": token})
    with app.app_context():
        user = db.session.get(User, learner.id)
        two_step.turn_on(user, two_step.new_secret())
        db.session.commit()
    assert user_named(app, learner.id).email == "taker@example.test"
    login_as(staff)
    page = client.get(f"/staff/residents/{learner.id}").text
    table = page.split('id="sign-in-methods"')[1].split("</table>")[0]
    for label in ("Learner number and PIN", "Email address", "Password", "Two-step verification"):
        assert label in table
    assert "taker@example.test" in table
    assert (utcnow() - timedelta(days=30)).strftime("%-d %B %Y") in table.split("Email address")[0], "the PIN's date"
    assert table.split("Email address")[1].count(utcnow().strftime("%-d %B %Y")) == 3, "added today"
    reset = client.post(f"/staff/residents/{learner.id}/pin", data={
        "csrf_token": csrf_token_from(page), "remove_added": "yes",
        "added_since": (utcnow() - timedelta(days=1)).date().isoformat()})
    assert reset.status_code == 200
    assert "Also taken off: the email address, the password, two-step verification." in reset.text
    stored = user_named(app, learner.id)
    assert stored.email is None and stored.password_hash is None and stored.mfa_secret is None
    assert stored.pin_hash is not None
    assert sign_in(app.test_client(), method="email", email="taker@example.test",
                   password="purple tractor sunrise").status_code == 401
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.details).where(
            AuditEvent.action == "learner.sign_in_methods_removed"))["removed"] == "email,password,two_step"


def test_a_pin_reset_without_the_box_ticked_keeps_the_other_ways_in(app, client, make_user, staff, branch,
                                                                     login_as):
    learner = make_user(Role.LEARNER, email="resident@example.test", learner_number="DEM0001D", pin="246810",
                        branches=[branch])
    login_as(staff)
    page = client.get(f"/staff/residents/{learner.id}").text
    assert client.post(f"/staff/residents/{learner.id}/pin",
                       data={"csrf_token": csrf_token_from(page)}).status_code == 200
    stored = user_named(app, learner.id)
    assert stored.email == "resident@example.test" and stored.password_hash is not None
    missing = client.post(f"/staff/residents/{learner.id}/pin", data={"csrf_token": csrf_token_from(page),
                                                                      "remove_added": "yes", "added_since": ""})
    assert missing.status_code == 302
    assert "Enter the date" in client.get(missing.headers["Location"]).text


# 5. One-time links end when the account changes -----------------------------------------------------------------

def invitation_for(app, learner_id, drain_jobs) -> str:
    with app.test_request_context():
        services.send_link(db.session.get(User, learner_id), "invitation")
        db.session.commit()
    drain_jobs()
    path = link_in(emails(app)[-1])
    clear_mail(app)
    return path


def reset_link(app, client, address, drain_jobs) -> str:
    client.post("/password-reset", data={"csrf_token": csrf_token_from(client.get("/password-reset").text),
                                         "email": address})
    drain_jobs()
    path = link_in(mail_to(app, address)[-1])
    clear_mail(app)
    return path


NEW_PASSWORD = "purple tractor sunrise"


def choose(client, path, password=NEW_PASSWORD):
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"csrf_token": csrf_token_from(page.text), "password": password})


def test_an_unused_invitation_ends_when_a_password_reset_sets_the_password(app, client, make_user, drain_jobs):
    user = make_user(Role.STAFF, email="new@example.test", password=None)
    invitation = invitation_for(app, user.id, drain_jobs)
    assert choose(client, reset_link(app, client, "new@example.test", drain_jobs)).status_code == 302
    assert client.get(invitation).status_code == 404
    assert choose(client, invitation, "another long password").status_code == 404


def test_an_unused_invitation_ends_when_the_email_changes(app, client, make_user, drain_jobs):
    user = make_user(Role.LEARNER, email="old@example.test", password=None, learner_number="DEM0001D",
                     pin="246810")
    invitation = invitation_for(app, user.id, drain_jobs)
    with app.app_context():
        db.session.get(User, user.id).email = "moved@example.test"
        db.session.commit()
    assert client.get(invitation).status_code == 404


def test_a_reset_link_asked_for_before_a_password_change_ends_with_it(app, client, make_user, drain_jobs):
    make_user(Role.LEARNER, email="an@example.test")
    early = reset_link(app, client, "an@example.test", drain_jobs)
    sign_in(client, method="email", email="an@example.test", password=TEST_PASSWORD)
    page = client.get("/account/password")
    client.post("/account/password", data={"csrf_token": csrf_token_from(page.text),
                                           "current_password": TEST_PASSWORD, "password": "cloud kettle violin"})
    assert client.get(early).status_code == 404
    assert sign_in(app.test_client(), method="email", email="an@example.test",
                   password="cloud kettle violin").status_code == 302


def test_an_email_confirmation_link_ends_with_a_pin_reset(app, client, make_user, staff, branch, login_as,
                                                          drain_jobs):
    learner = make_user(Role.LEARNER, email=None, learner_number="DEM0001D", pin="246810", branches=[branch])
    resident = app.test_client()
    sign_in(resident, method="pin", learner_number="DEM0001D", pin="246810")
    resident.post("/account/email", data={"csrf_token": csrf_token_from(resident.get("/account/email").text),
                                          "email": "taker@example.test"})
    drain_jobs()
    path = link_in(mail_to(app, "taker@example.test")[0])
    login_as(staff)
    page = client.get(f"/staff/residents/{learner.id}").text
    client.post(f"/staff/residents/{learner.id}/pin", data={"csrf_token": csrf_token_from(page)})
    assert app.test_client().get(path).status_code == 404
    with app.app_context():
        assert all(link.state_hash for link in db.session.scalars(select(OneTimeLink)))


# 6. Registering with an address that has an account; the remember cookie ----------------------------------------

def test_registering_with_a_taken_address_tells_its_owner_once_an_hour_and_names_no_one(app, make_user, drain_jobs):
    make_user(Role.LEARNER, email="an@example.test", given_name="Owner", family_name="Person")
    tries = [register(app.test_client(), email=address) for address in ("an@example.test", "AN@Example.test")]
    assert all(t.status_code == 422 and "already has an account" in t.text for t in tries)
    drain_jobs()
    [notice] = mail_to(app, "an@example.test")
    assert "tried to make a new Skills Hub account with this email address" in notice
    assert "/password-reset" in notice and GOOD["given_name"] not in notice and "Owner" not in notice
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "account.registration_tried")).all()) == 2


def test_register_is_throttled_per_address_with_the_sign_in_count(database_url, tmp_path, make_user):
    make_user(Role.LEARNER, email="an@example.test")
    app = make_test_app(database_url, tmp_path)
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per minute"
    statuses = []
    for i, address in enumerate(("an@example.test", " An@Example.test", "AN@example.test\t", "an@example.test ")):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{i}"
        statuses.append(register(client, email=address).status_code)
    assert statuses == [422, 422, 422, 429]
    assert sign_in(app.test_client(), method="email", email="an@example.test",
                   password=TEST_PASSWORD).status_code == 429, "one count with signing in"


def test_the_remember_cookie_is_same_site_lax_and_http_only(client, make_user):
    make_user(Role.LEARNER, email="l@example.test")
    response = sign_in(client, method="email", email="l@example.test", password=TEST_PASSWORD, shared_computer="no")
    [remember] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert "SameSite=Lax" in remember and "HttpOnly" in remember
