"""Two-step verification: setting it up, signing in with a code or a recovery code, requiring it, resetting it."""

import pyotp
import pytest
from sqlalchemy import select

from skills_hub.accounts.models import Role, User
from skills_hub.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token_from, make_test_app
from tests.test_accounts import sign_in


def set_up_two_step(client) -> tuple[str, list[str]]:
    """Turn it on from the account pages, as a person would. Returns the secret and the recovery codes."""
    page = client.get("/account/two-step").text
    secret = page.split('<span class="code token">')[1].split("<")[0]
    done = client.post("/account/two-step", data={"csrf_token": csrf_token_from(page),
                                                   "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    recovery = done.text.split('<ul class="code recovery-codes">')[1].split("</ul>")[0]
    return secret, [code.split("</li>")[0] for code in recovery.split("<li>")[1:]]


def second_step(client, code):
    page = client.get("/sign-in/two-step")
    return client.post("/sign-in/two-step", data={"csrf_token": csrf_token_from(page.text), "code": code})


@pytest.fixture
def staff_with_two_step(app, client, make_user):
    make_user(Role.STAFF, email="s@example.test")
    sign_in(client, method="email", email="s@example.test", password=TEST_PASSWORD)
    secret, recovery = set_up_two_step(client)
    client.post("/sign-out", data={"csrf_token": csrf_token_from(client.get("/account").text)})
    return secret, recovery


def test_setup_needs_a_right_code_and_stores_the_secret_encrypted(app, client, make_user):
    make_user(Role.LEARNER, email="l@example.test")
    sign_in(client, method="email", email="l@example.test", password=TEST_PASSWORD)
    page = client.get("/account/two-step").text
    assert 'alt="QR code to add Skills Hub to your authenticator app"' in page
    secret = page.split('<span class="code token">')[1].split("<")[0]
    wrong = client.post("/account/two-step", data={"csrf_token": csrf_token_from(page), "code": "000000"})
    assert wrong.status_code == 422 and 'href="#code"' in wrong.text
    client.post("/account/two-step", data={"csrf_token": csrf_token_from(page), "code": pyotp.TOTP(secret).now()})
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == "l@example.test")).one()
        assert user.mfa_secret and secret not in user.mfa_secret and len(user.mfa_recovery_hashes) == 10


def test_sign_in_asks_for_the_code_after_the_password(client, staff_with_two_step):
    secret, _ = staff_with_two_step
    first = sign_in(client, method="email", email="s@example.test", password=TEST_PASSWORD)
    assert first.headers["Location"] == "/sign-in/two-step"
    assert client.get("/staff").status_code == 302, "not signed in until the second step"
    wrong = second_step(client, "123456")
    assert wrong.status_code == 401 and "code is not right" in wrong.text
    right = second_step(client, pyotp.TOTP(secret).now())
    assert right.status_code == 302 and right.headers["Location"] == "/staff"
    assert client.get("/staff").status_code == 200


def test_a_recovery_code_works_once(app, client, staff_with_two_step):
    _, recovery = staff_with_two_step
    sign_in(client, method="email", email="s@example.test", password=TEST_PASSWORD)
    assert second_step(client, recovery[0].lower()).status_code == 302
    other = app.test_client()
    sign_in(other, method="email", email="s@example.test", password=TEST_PASSWORD)
    assert second_step(other, recovery[0]).status_code == 401


def test_five_wrong_codes_send_you_back_to_the_start(client, staff_with_two_step):
    sign_in(client, method="email", email="s@example.test", password=TEST_PASSWORD)
    statuses = [second_step(client, "000000").status_code for _ in range(5)]
    assert statuses[:4] == [401] * 4 and statuses[4] == 302
    assert client.get("/sign-in/two-step").headers["Location"] == "/sign-in"


def test_api_tokens_need_the_otp_when_two_step_is_on(client, staff_with_two_step):
    secret, _ = staff_with_two_step
    missing = client.post("/api/v1/tokens", json={"username": "s@example.test", "password": TEST_PASSWORD})
    assert missing.status_code == 401 and "otp" in missing.json["errors"]
    wrong = client.post("/api/v1/tokens", json={"username": "s@example.test", "password": TEST_PASSWORD,
                                                 "otp": "000000"})
    assert wrong.status_code == 401
    right = client.post("/api/v1/tokens", json={"username": "s@example.test", "password": TEST_PASSWORD,
                                                 "otp": pyotp.TOTP(secret).now()})
    assert right.status_code == 201


def test_when_required_staff_must_set_it_up_before_anything_else(database_url, tmp_path, make_user):
    app = make_test_app(database_url, tmp_path, SKILLS_HUB_REQUIRE_MFA="true")
    make_user(Role.STAFF, email="s@example.test")
    make_user(Role.LEARNER, email="l@example.test")
    client = app.test_client()
    sign_in(client, method="email", email="s@example.test", password=TEST_PASSWORD)
    response = client.get("/staff")
    assert response.status_code == 302 and response.headers["Location"] == "/account/two-step"
    token = client.post("/api/v1/tokens", json={"username": "s@example.test", "password": TEST_PASSWORD})
    assert token.status_code == 403
    set_up_two_step(client)
    assert client.get("/staff").status_code == 200
    learner = app.test_client()
    sign_in(learner, method="email", email="l@example.test", password=TEST_PASSWORD)
    assert learner.get("/account").status_code == 200, "residents are never made to use it"


def test_staff_cannot_turn_it_off_when_required_but_residents_can(database_url, tmp_path, make_user):
    app = make_test_app(database_url, tmp_path, SKILLS_HUB_REQUIRE_MFA="true")
    make_user(Role.LEARNER, email="l@example.test")
    client = app.test_client()
    sign_in(client, method="email", email="l@example.test", password=TEST_PASSWORD)
    secret, _ = set_up_two_step(client)
    page = client.get("/account/two-step").text
    off = client.post("/account/two-step/off", data={"csrf_token": csrf_token_from(page),
                                                     "code": pyotp.TOTP(secret).now()})
    assert off.status_code == 302
    make_user(Role.STAFF, email="s@example.test")
    staff = app.test_client()
    sign_in(staff, method="email", email="s@example.test", password=TEST_PASSWORD)
    staff_secret, _ = set_up_two_step(staff)
    page = staff.get("/account/two-step").text
    assert "Turn it off" not in page
    refused = staff.post("/account/two-step/off", data={"csrf_token": csrf_token_from(page),
                                                        "code": pyotp.TOTP(staff_secret).now()})
    assert refused.status_code == 403


def test_an_admin_reset_turns_it_off_and_ends_the_sessions(app, client, staff_with_two_step, make_user, login_as):
    secret, _ = staff_with_two_step
    theirs = app.test_client()
    sign_in(theirs, method="email", email="s@example.test", password=TEST_PASSWORD)
    second_step(theirs, pyotp.TOTP(secret).now())
    login_as(make_user(Role.ADMIN))
    with app.app_context():
        staff_id = db.session.scalars(select(User.id).where(User.email == "s@example.test")).one()
    page = client.get("/admin/users").text
    assert client.post(f"/admin/users/{staff_id}/two-step/reset",
                       data={"csrf_token": csrf_token_from(page)}).status_code == 302
    assert theirs.get("/staff").status_code == 302
    again = app.test_client()
    assert sign_in(again, method="email", email="s@example.test", password=TEST_PASSWORD).headers["Location"] \
        == "/staff"


def test_staff_made_to_set_it_up_after_5_minutes_confirm_first_without_a_loop(database_url, tmp_path, make_user):
    app = make_test_app(database_url, tmp_path, SKILLS_HUB_REQUIRE_MFA="true")
    make_user(Role.STAFF, email="s@example.test")
    client = app.test_client()
    sign_in(client, method="email", email="s@example.test", password=TEST_PASSWORD)
    with client.session_transaction() as session:
        session["confirmed_at"] -= 5 * 60 + 1
    assert client.get("/staff").headers["Location"] == "/account/two-step"
    assert client.get("/account/two-step").headers["Location"] == "/account/confirm?next=/account/two-step"
    page = client.get("/account/confirm?next=/account/two-step")
    assert page.status_code == 200 and "type your password again" in page.text
    confirmed = client.post("/account/confirm", data={"csrf_token": csrf_token_from(page.text),
                                                      "secret": TEST_PASSWORD, "next": "/account/two-step"})
    assert confirmed.headers["Location"] == "/account/two-step"
    set_up_two_step(client)
    assert client.get("/staff").status_code == 200
