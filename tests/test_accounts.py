"""Sign in with email and password or learner number and PIN; safe redirects; throttling; sign out."""

import pytest
from markupsafe import escape

from skills_hub import codes
from skills_hub.accounts.models import Role
from tests.conftest import TEST_PASSWORD, csrf_token_from, make_test_app


def sign_in(client, **form):
    token = csrf_token_from(client.get("/sign-in").text)
    return client.post("/sign-in", data={"csrf_token": token, **form})


@pytest.mark.parametrize(("role", "home"), [(Role.LEARNER, "/my-learning"), (Role.STAFF, "/staff"),
                                            (Role.PROVIDER, "/provider"), (Role.ADMIN, "/admin")])
def test_each_role_signs_in_with_email_and_lands_at_home(client, make_user, role, home):
    user = make_user(role, email="Person@Example.test")
    response = sign_in(client, method="email", email="  person@example.TEST ", password=TEST_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == home
    assert str(escape(user.display_name)) in client.get("/account").text  # O'Brien → O&#39;Brien


def test_a_learner_without_email_signs_in_with_number_and_pin_in_any_case_and_spacing(client, make_user):
    make_user(Role.LEARNER, email=None, password=None, learner_number="DEM0001D", pin="246810",
              given_name="محمد", family_name="Nguyễn")
    response = sign_in(client, method="pin", learner_number="dem0-001d ", pin="246810")
    assert response.status_code == 302
    assert "محمد Nguyễn" in client.get("/account").text


def test_a_mistyped_learner_number_is_reported_as_mistyped(client, make_user):
    make_user(Role.LEARNER, email=None, learner_number="DEM0001D", pin="246810")
    response = sign_in(client, method="pin", learner_number="DEM0001E", pin="246810")
    assert response.status_code == 422
    assert "looks mistyped" in response.text and 'href="#learner_number"' in response.text


def test_wrong_pin_or_password_is_refused_without_saying_which(client, make_user):
    make_user(Role.LEARNER, email="a@example.test", learner_number="DEM0001D", pin="246810")
    wrong_pin = sign_in(client, method="pin", learner_number="DEM0001D", pin="111111")
    assert wrong_pin.status_code == 401 and "learner number or PIN is not right" in wrong_pin.text
    wrong_password = sign_in(client, method="email", email="a@example.test", password="nope")
    unknown = sign_in(client, method="email", email="nobody@example.test", password="nope")
    assert wrong_password.status_code == unknown.status_code == 401
    assert "email address or password is not right" in unknown.text
    assert client.get("/account").status_code == 302, "still signed out"


def test_missing_fields_are_named_in_the_error_summary(client):
    response = sign_in(client, method="email")
    assert response.status_code == 422
    assert 'href="#email">Enter your email address.' in response.text
    assert 'href="#password">Enter your password.' in response.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, make_user, target):
    make_user(Role.STAFF, email="s@example.test")
    response = sign_in(client, method="email", email="s@example.test", password=TEST_PASSWORD, next=target)
    assert response.headers["Location"] == "/staff"


def test_next_takes_a_local_path(client, make_user):
    make_user(Role.STAFF, email="s@example.test")
    response = sign_in(client, method="email", email="s@example.test", password=TEST_PASSWORD,
                       next="/courses/using-email")
    assert response.headers["Location"] == "/courses/using-email"


def test_sign_out_needs_a_post_with_csrf_and_ends_the_session(client, make_user, login_as):
    login_as(make_user(Role.LEARNER))
    assert client.get("/account").status_code == 200
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400, "no CSRF token"
    token = csrf_token_from(client.get("/account").text)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/account").status_code == 302


def test_the_session_cookie_is_http_only_and_expires(client, make_user):
    make_user(Role.STAFF, email="s@example.test")
    response = sign_in(client, method="email", email="s@example.test", password=TEST_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_passwords_and_pins_are_stored_hashed(app, make_user):
    user = make_user(Role.LEARNER, learner_number="DEM0001D", pin="246810")
    assert TEST_PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert "246810" not in user.pin_hash


def test_sign_in_is_throttled(database_url, tmp_path, make_user):
    app = make_test_app(database_url, tmp_path)
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [sign_in(client, method="email", email="x@example.test", password="wrong").status_code
                for _ in range(4)]
    assert statuses[:3] == [401, 401, 401] and statuses[3] == 429


def test_non_admins_get_404_for_the_admin_page(client, make_user, login_as):
    for role in (Role.LEARNER, Role.STAFF, Role.PROVIDER):
        login_as(make_user(role))
        assert client.get("/admin").status_code == 404


def test_learner_numbers_catch_every_single_character_typo():
    number = codes.generate(8)
    assert codes.has_valid_check(number)
    for position in range(8):
        for ch in codes.ALPHABET:
            if ch != number[position]:
                typo = number[:position] + ch + number[position + 1:]
                assert not codes.has_valid_check(typo)


def test_codes_read_o_as_zero_and_i_l_as_one():
    assert codes.normalise(" dem0-oo1d ") == "DEM0001D"
    assert codes.normalise("il-IL") == "1111"


def test_the_per_account_limit_reads_the_name_as_sign_in_does_and_counts_page_and_api_together(
        database_url, tmp_path, make_user):
    make_user(Role.LEARNER, email="ratelimit@x.test")
    make_user(Role.LEARNER, email=None, learner_number="DEM0001D", pin="246810")
    app = make_test_app(database_url, tmp_path)
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per minute"
    client = app.test_client()
    tries = [sign_in(client, method="email", email="ratelimit@x.test", password="wrong").status_code,
             client.post("/api/v1/tokens", json={"username": "RateLimit@X.test", "password": "wrong"}).status_code,
             sign_in(client, method="email", email="  RATELIMIT@x.test", password="wrong").status_code]
    assert tries == [401, 401, 401]
    spaced = sign_in(client, method="email", email=" ratelimit@x.test  \t", password=TEST_PASSWORD)
    assert spaced.status_code == 429, "spaces and capitals make no fresh count"
    by_api = client.post("/api/v1/tokens", json={"username": "ratelimit@x.test ", "password": TEST_PASSWORD})
    assert by_api.status_code == 429
    numbers = [sign_in(client, method="pin", learner_number="DEM0001D", pin="000000").status_code,
               client.post("/api/v1/tokens", json={"username": "dem0-001d", "password": "000000"}).status_code,
               sign_in(client, method="pin", learner_number=" dem0 001d ", pin="000000").status_code]
    assert numbers == [401, 401, 401]
    assert sign_in(client, method="pin", learner_number="DEMO-OO1D", pin="246810").status_code == 429
