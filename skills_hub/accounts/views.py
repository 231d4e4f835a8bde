"""Sign in (email and password, or learner number and PIN), sign out, and the account page."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError

from skills_hub.accounts import services
from skills_hub.accounts.models import Role, User
from skills_hub.accounts.schemas import EmailSignInForm, PinSignInForm
from skills_hub.errors import ValidationFailed
from skills_hub.extensions import db, limiter, login_manager
from skills_hub.validation import flatten_errors

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, uuid.UUID(user_id))
    except ValueError:
        return None


def safe_next(target: str | None) -> str | None:
    """A local path to go to after signing in, or None: never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def home_for(user: User) -> str:
    return url_for("admin.dashboard") if user.role == Role.ADMIN else url_for("accounts.account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in():
    if request.method == "GET":
        return render_template("accounts/sign_in.html", errors=[], values={},
                               next=safe_next(request.args.get("next")) or "")
    method = request.form.get("method")
    schema = PinSignInForm() if method == "pin" else EmailSignInForm()
    values = {k: v for k, v in request.form.items() if k not in {"password", "pin", "csrf_token"}}
    try:
        form = schema.load(request.form.to_dict())
        if method == "pin":
            user = services.authenticate_by_pin(form["learner_number"], form["pin"])
            wrong = ("learner_number", "The learner number or PIN is not right. Check your login card, or ask "
                                       "library staff to reset your PIN.")
        else:
            user = services.authenticate_by_email(form["email"], form["password"])
            wrong = ("email", "The email address or password is not right.")
    except ValidationError as error:
        return _sign_in_again(flatten_errors(error.messages), values)
    except ValidationFailed as error:
        return _sign_in_again(flatten_errors(error.errors), values)
    if user is None:
        return _sign_in_again([wrong], values, status=401)
    session.clear()
    login_user(user)
    session.permanent = True  # ends after SKILLS_HUB_SESSION_MINUTES without activity
    return redirect(safe_next(form.get("next")) or home_for(user))


def _sign_in_again(errors: list[tuple[str, str]], values: dict, status: int = 422):
    return render_template("accounts/sign_in.html", errors=errors, values=values,
                           next=safe_next(values.get("next")) or "", method=values.get("method")), status


@bp.post("/sign-out")
def sign_out():
    logout_user()
    session.clear()
    return redirect(url_for("pages.home"))


@bp.get("/account")
@login_required
def account():
    return render_template("accounts/account.html", branches=services.branch_names(current_user))
