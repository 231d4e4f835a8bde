"""Who is signed in, for how long, and how signing out ends it for good.

Browsers use the flask-login session cookie (and CSRF tokens on every write). API clients send a bearer token
and need no CSRF token. Each user has a session_version in the database, held in the cookie: raising it (sign
out, password change, PIN reset, deactivation) makes every copy of an old session or remember cookie useless,
and works without Redis.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from flask import Flask, current_app, flash, g, has_request_context, redirect, request, session, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_user, logout_user

from skills_hub import i18n
from skills_hub.accounts import tokens
from skills_hub.accounts.models import Role, User
from skills_hub.audit import services as audit
from skills_hub.extensions import csrf, db, login_manager

SHARED_COMPUTER_IDLE_MINUTES = 15
STAFF_IDLE_MINUTES = 30
REMEMBER_DAYS = 30
WARNING_SECONDS = 120  # the page offers "stay signed in" this long before a timeout (WCAG 2.2.1)
# Adding or changing an email address, a password or two-step verification needs the PIN or password typed this
# recently (at sign-in, or on the "confirm it's you" page): a session left open on a shared PC is not enough.
CONFIRMED_SECONDS = 5 * 60
# Endpoints that take writes without a CSRF token: signing in for an API token needs no cookie.
# The language chooser only changes how pages read (its cookie is SameSite=Lax, so another site cannot change a
# signed-in resident's saved choice): it works on a page kept open past the form's CSRF token.
CSRF_EXEMPT_ENDPOINTS = {"accounts_api.create_token", "pages.choose_language"}


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None


@login_manager.user_loader
def load_user(value: str) -> User | None:
    """From the session or remember cookie: `<user id>:<session version>`."""
    if bearer_secret():
        return None  # a bearer request is the token's user, whatever cookies came with it
    user_id, _, version = value.partition(":")
    try:
        user = db.session.get(User, uuid.UUID(user_id))
    except ValueError:
        return None
    if user is None or str(user.session_version) != version:
        return None
    return user


@login_manager.request_loader
def load_user_from_bearer_token(_request) -> User | None:
    secret = bearer_secret()
    found = tokens.user_for_api_token(secret) if secret else None
    if found is None:
        return None
    user, g.api_token = found
    return user


def idle_minutes_for(user: User, shared_computer: bool) -> int | None:
    """Minutes without activity before sign-out; None for a learner on their own device (remembered)."""
    if user.role != Role.LEARNER:
        return STAFF_IDLE_MINUTES
    return SHARED_COMPUTER_IDLE_MINUTES if shared_computer else None


def start(user: User, *, shared_computer: bool) -> None:
    """Sign in with a fresh session (never reuse the one from before sign-in)."""
    session.clear()
    remember = idle_minutes_for(user, shared_computer) is None
    login_user(user, remember=remember, duration=timedelta(days=REMEMBER_DAYS))
    session.permanent = True
    session["idle_minutes"] = idle_minutes_for(user, shared_computer)
    session["seen"] = int(time.time())
    confirmed()


def confirmed() -> None:
    """The PIN or password was typed just now."""
    session["confirmed_at"] = int(time.time())


def recently_confirmed() -> bool:
    """Whether the PIN or password was typed in this session within the last 5 minutes."""
    return int(time.time()) - session.get("confirmed_at", 0) <= CONFIRMED_SECONDS


def end_everywhere(user: User) -> None:
    """Make every session and remember cookie of this user stop working. The caller commits."""
    user.session_version += 1


def sign_out() -> None:
    if session_is_shared():  # the next person at a library computer starts in the browser's own language
        i18n.forget_choice()
    if current_user.is_authenticated and not g.get("api_token"):
        user = db.session.get(User, current_user.id)
        end_everywhere(user)
        db.session.commit()
    logout_user()
    session.clear()


def seconds_left() -> int | None:
    """Seconds until this browser session times out, for the warning; None when it does not."""
    idle = session.get("idle_minutes")
    if not idle or not current_user.is_authenticated:
        return None
    return max(0, idle * 60 - (int(time.time()) - session.get("seen", 0)))


# Pages a staff member without two-step verification may still reach when it is required.
TWO_STEP_SETUP_ENDPOINTS = {"accounts.two_step_setup", "accounts.confirm_its_you", "accounts.sign_out",
                            "accounts.keep_alive", "accounts.privacy_notice", "static"}


def _insist_on_two_step():
    from skills_hub.accounts import two_step
    from skills_hub.errors import Forbidden, is_api_request

    if not current_user.is_authenticated or request.endpoint in TWO_STEP_SETUP_ENDPOINTS:
        return None
    if not two_step.required_for(current_user) or two_step.is_on(current_user):
        return None
    if is_api_request():
        raise Forbidden("Your account must turn on two-step verification first, on your account page.")
    flash(gettext("Your account must use two-step verification. Set it up to go on."), "info")
    return redirect(url_for("accounts.two_step_setup"))


def _needs_csrf_check() -> bool:
    """Every browser write, and API writes riding on a session cookie. An API call with no session and no
    token carries no one's authority, so it gets the API's 401 rather than a CSRF error."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or not request.endpoint:
        return False
    if request.endpoint in CSRF_EXEMPT_ENDPOINTS:
        return False
    return current_user.is_authenticated or not request.path.startswith("/api/")


def _signed_in_user_id() -> uuid.UUID | None:
    """The acting user for audit entries a service records without naming one: the signed-in user, if any."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def init_app(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, where bearer requests are told apart
    login_manager.session_protection = "basic"
    audit.actor_from(_signed_in_user_id)

    @app.before_request
    def _check_csrf_and_idle_time():
        if bearer_secret():
            return
        if _needs_csrf_check():
            csrf.protect()
        idle = session.get("idle_minutes")
        if idle and current_user.is_authenticated:
            if int(time.time()) - session.get("seen", 0) > idle * 60:
                # Worded before signing out: in the language this resident was reading.
                message = ngettext("You were signed out because nothing happened for %(num)s minutes.",
                                   "You were signed out because nothing happened for %(num)s minutes.", idle)
                i18n.forget_choice()  # a shared computer (only they time out): the next person starts afresh
                logout_user()
                session.clear()
                flash(message, "info")
                return
            if request.endpoint != "static":
                session["seen"] = int(time.time())
        return _insist_on_two_step()

    @app.context_processor
    def _session_timeout():
        return {"session_seconds_left": seconds_left(), "session_warning_seconds": WARNING_SECONDS}


def session_is_shared() -> bool:
    return session.get("idle_minutes") is not None
