"""Pages for everyone's account: sign in and out, register, the privacy notice, passwords and email."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from skills_hub import codes
from skills_hub.accounts import privacy, services, sessions, tokens, two_step
from skills_hub.accounts.models import Role, User
from skills_hub.accounts.schemas import (
    ConfirmItsYouForm,
    DisplayNameForm,
    EmailForm,
    EmailSignInForm,
    NewPasswordForm,
    PasswordForm,
    PinSignInForm,
    ResetRequestForm,
    SelfRegisterForm,
    TwoStepForm,
)
from skills_hub.audit import services as audit
from skills_hub.errors import DomainError, Forbidden, NotFound
from skills_hub.extensions import db, limiter, login_manager
from skills_hub.i18n import N_
from skills_hub.validation import flatten_errors, load_form

bp = Blueprint("accounts", __name__)
TWO_STEP_TRIES = 5




login_manager.login_view = "accounts.sign_in"
login_manager.login_message = N_("Sign in to see that page.")
login_manager.login_message_category = "info"


MAX_NEXT_LENGTH = 2000


def safe_next(target: str | None) -> str | None:
    """A local path to go to after signing in, or None: never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if len(target) > MAX_NEXT_LENGTH or any(ord(character) < 0x20 or ord(character) == 0x7F for character in target):
        return None  # a line break would be a header injection (and a 500); a huge one, a huge Location
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def home_for(user: User) -> str:
    return {
        Role.ADMIN: url_for("admin.dashboard"),
        Role.STAFF: url_for("staff.dashboard"),
        Role.LEARNER: url_for("learning.my_learning"),
        Role.PROVIDER: url_for("referrals.inbox"),
    }.get(user.role, url_for("accounts.account"))


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def account_key() -> str:
    """Throttle per account as well as per address: the email, learner number or API username tried, read the
    way signing in reads it (an email stripped and in lower case, a learner number through codes.normalise), so
    spaces or capitals never make a fresh count."""
    body = request.get_json(silent=True) if request.is_json else None
    tried = (body or {}).get("username") if isinstance(body, dict) else None
    if not tried:
        field = "learner_number" if request.form.get("method") == "pin" else "email"
        tried = request.form.get(field) or request.form.get("email") or request.form.get("learner_number")
    if not tried and current_user.is_authenticated:  # the "confirm it's you" page: the account signed in
        tried = current_user.email or current_user.learner_number or str(current_user.id)
    return "account:" + normalised_username(str(tried or ""))


def normalised_username(tried: str) -> str:
    return services.normalise_email(tried) if "@" in tried else codes.normalise(tried)


# One count per account, shared by the sign-in page, POST /api/v1/tokens and /register.
account_limit = limiter.shared_limit(_account_limit, scope="sign-in-account", key_func=account_key,
                                     methods=["POST"])


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@account_limit
def sign_in():
    if request.method == "GET":
        return render_template("accounts/sign_in.html", errors=[], values={"shared_computer": "yes"},
                               next=safe_next(request.args.get("next")) or "")
    pin = request.form.get("method") == "pin"
    values = {k: v for k, v in request.form.items() if k not in {"password", "pin", "csrf_token"}}
    form, errors = load_form(PinSignInForm() if pin else EmailSignInForm())
    if errors:
        return _sign_in_again(errors, values)
    try:
        if pin:
            user = services.authenticate_by_pin(form["learner_number"], form["pin"])
            wrong = ("learner_number", gettext("The learner number or PIN is not right. Check your login card, "
                                               "or ask library staff to reset your PIN."))
        else:
            user = services.authenticate_by_email(form["email"], form["password"])
            wrong = ("email", gettext("The email address or password is not right."))
    except services.PinLocked as error:
        db.session.commit()  # keep the lock
        return _sign_in_again(flatten_errors(error.errors), values, status=429)
    if user is None:
        db.session.commit()  # keep the count of wrong PINs
        return _sign_in_again([wrong], values, status=401)
    db.session.commit()
    if two_step.is_on(user):
        session.clear()
        session["two_step"] = {"user": user.get_id(), "shared": form["shared_computer"], "tries": 0,
                               "next": safe_next(form.get("next")) or "", "until": int(time.time()) + 300}
        return redirect(url_for("accounts.two_step_sign_in"))
    sessions.start(user, shared_computer=form["shared_computer"])
    return redirect(safe_next(form.get("next")) or home_for(user))


@bp.route("/sign-in/two-step", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def two_step_sign_in():
    """The second step: a code from the authenticator app, or a recovery code."""
    pending = session.get("two_step")
    if not pending or pending["until"] < time.time():
        session.pop("two_step", None)
        flash(gettext("Sign in again: the time for the second step ran out."), "info")
        return redirect(url_for("accounts.sign_in"))
    if request.method == "GET":
        return render_template("accounts/two_step_sign_in.html", errors=[])
    form, errors = load_form(TwoStepForm())
    user = sessions.load_user(pending["user"])
    if not errors and (user is None or not two_step.verify(user, form["code"])):
        pending["tries"] += 1
        session["two_step"] = pending
        if pending["tries"] >= TWO_STEP_TRIES:
            session.pop("two_step", None)
            flash(gettext("Too many wrong codes. Sign in again."), "error")
            return redirect(url_for("accounts.sign_in"))
        errors = [("code", gettext("The code is not right. Check the app, or use one of your recovery codes."))]
    if errors:
        return render_template("accounts/two_step_sign_in.html", errors=errors), 401
    sessions.start(user, shared_computer=pending["shared"])
    db.session.commit()  # a recovery code is used up
    return redirect(pending["next"] or home_for(user))


def _sign_in_again(errors: list[tuple[str, str]], values: dict, status: int = 422):
    return render_template("accounts/sign_in.html", errors=errors, values=values,
                           next=safe_next(values.get("next")) or "", method=values.get("method")), status


@bp.post("/sign-out")
def sign_out():
    sessions.sign_out()
    flash(gettext("You have signed out."), "success")
    return redirect(url_for("pages.home"))


@bp.post("/session/keep-alive")
@login_required
def keep_alive():
    """The timeout warning's "Stay signed in" button: any request resets the idle clock."""
    return redirect(safe_next(request.form.get("next")) or home_for(current_user))


@bp.get("/account")
@login_required
def account(errors: list | None = None, values: dict | None = None):
    return render_template("accounts/account.html", branches=services.branch_names(current_user),
                           device_tokens=tokens.live_api_tokens(current_user)
                           if current_user.role == Role.STAFF else [], errors=errors or [],
                           values=values or {"display_name": current_user.name_as_written or "",
                                             "version": current_user.version}), 422 if errors else 200


@bp.post("/account/name")
@login_required
def change_name():
    """A resident corrects the name shown and printed for them (a stale version is refused, not lost)."""
    if current_user.role != Role.LEARNER:
        raise NotFound("Ask an admin to change the name of a staff account.")
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    form, errors = load_form(DisplayNameForm())
    if not errors:
        try:
            services.update_learner(current_user, db.session.get(User, current_user.id), form)
            db.session.commit()
            flash(gettext("Your name is saved."), "success")
            return redirect(url_for("accounts.account"))
        except DomainError:
            db.session.rollback()
            errors = [("display_name", gettext("Your details changed since you opened this page. Check your name "
                                               "and save it again."))]
            values["version"] = db.session.get(User, current_user.id).version
    return account(errors, values)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@account_limit
def register():
    version = privacy.current_version()
    if request.method == "GET":
        return render_template("accounts/register.html", errors=[], values={}, version=version)
    values = {k: v for k, v in request.form.items() if k not in {"password", "csrf_token"}}
    form, errors = load_form(SelfRegisterForm())
    if not errors:
        try:
            learner = services.register_self(form)
        except services.EmailTaken as error:
            db.session.commit()  # the address's owner is told someone tried
            errors = flatten_errors(error.errors)
        except DomainError as error:
            errors = flatten_errors(error.errors)
    if errors:
        return render_template("accounts/register.html", errors=errors, values=values, version=version), 422
    sessions.start(learner, shared_computer=True)
    db.session.commit()
    flash(gettext("Your account is ready. Welcome to Skills Hub."), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def two_step_setup():
    """Turn on two-step verification: scan the QR code, then type a code to prove it works."""
    if not sessions.recently_confirmed():
        return _confirm_first()
    user = db.session.get(User, current_user.id)
    if two_step.is_on(user):
        return render_template("accounts/two_step.html", errors=[], required=two_step.required_for(user))
    secret = session.get("two_step_secret") or two_step.new_secret()
    session["two_step_secret"] = secret
    context = {"qr": two_step.setup_qr(user, secret), "secret": secret, "required": two_step.required_for(user)}
    if request.method == "GET":
        return render_template("accounts/two_step_setup.html", errors=[], **context)
    form, errors = load_form(TwoStepForm())
    if not errors and not two_step.code_is_right(secret, form["code"]):
        errors = [("code", gettext("The code is not right. Type the 6 numbers the app shows now."))]
    if errors:
        return render_template("accounts/two_step_setup.html", errors=errors, **context), 422
    recovery = two_step.turn_on(user, secret)
    session.pop("two_step_secret")
    audit.record("account.two_step_on", user.id, actor_id=user.id)
    db.session.commit()
    response = make_response(render_template("accounts/recovery_codes.html", recovery=recovery))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/two-step/off")
@login_required
def two_step_off():
    if not sessions.recently_confirmed():
        return _confirm_first(url_for("accounts.two_step_setup"))
    user = db.session.get(User, current_user.id)
    if not two_step.is_on(user):
        return redirect(url_for("accounts.two_step_setup"))
    if two_step.required_for(user):
        raise Forbidden("Your account must use two-step verification.")
    form, errors = load_form(TwoStepForm())
    if errors or not two_step.verify(user, form["code"]):
        return render_template("accounts/two_step.html", required=False, errors=errors or [
            ("code", gettext("The code is not right. Type the 6 numbers the app shows now."))]), 422
    two_step.turn_off(user)
    audit.record("account.two_step_off", user.id, actor_id=user.id)
    db.session.commit()
    flash(gettext("Two-step verification is off."), "success")
    return redirect(url_for("accounts.account"))


@bp.get("/privacy")
def privacy_notice():
    version = request.args.get("version") or privacy.current_version()
    if version not in privacy.versions():
        raise NotFound(gettext("There is no privacy notice with this version."))
    return render_template("accounts/privacy.html", version=version, notice=privacy.notice_html(version),
                           current=privacy.current_version(), versions=privacy.versions())


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    if not sessions.recently_confirmed():
        return _confirm_first()
    if request.method == "GET":
        return render_template("accounts/password.html", errors=[])
    form, errors = load_form(PasswordForm())
    user = db.session.get(User, current_user.id)
    if not errors and user.password_hash and not services.check_password(user, form.get("current_password")):
        errors = [("current_password", gettext("Your current password is not right."))]
    if errors:
        return render_template("accounts/password.html", errors=errors), 422
    services.set_password(user, form["password"])
    sessions.start(user, shared_computer=sessions.session_is_shared())
    db.session.commit()
    flash(gettext("Your password has changed. You are signed out everywhere else."), "success")
    return redirect(url_for("accounts.account"))


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email():
    if not sessions.recently_confirmed():
        return _confirm_first()
    if request.method == "GET":
        return render_template("accounts/email.html", errors=[], values={})
    form, errors = load_form(EmailForm())
    if errors:
        return render_template("accounts/email.html", errors=errors, values=request.form), 422
    services.change_email(db.session.get(User, current_user.id), form["email"])
    db.session.commit()
    flash(gettext("We have sent a link to that address. Open it to finish the change."), "success")
    return redirect(url_for("accounts.account"))


@bp.get("/account/email/<token>")
def confirm_email(token: str):
    link = tokens.find_link(token, "confirm_email")
    if link is None:
        raise NotFound(gettext("This link has expired or was used already. Ask for a new one on your account page."))
    if services.email_in_use(link.new_email):
        raise NotFound(gettext("This email address now belongs to another account."))
    return render_template("accounts/confirm_email.html", token=token, email=link.new_email)


def _confirm_first(then: str | None = None):
    """Send the person to type their password or PIN again, then back here."""
    return redirect(url_for("accounts.confirm_its_you", next=then or request.path))


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
@account_limit
def confirm_its_you():
    """Type the password or PIN again before adding or changing a way to sign in."""
    user = db.session.get(User, current_user.id)
    then = safe_next(request.values.get("next")) or url_for("accounts.account")
    if request.method == "GET":
        return render_template("accounts/confirm.html", errors=[], next=then, user=user)
    form, errors = load_form(ConfirmItsYouForm())
    status = 422
    if not errors:
        try:
            right = services.check_password(user, form["secret"]) or (
                user.learner_number is not None and services.authenticate_by_pin(user.learner_number,
                                                                                 form["secret"]) is not None)
        except services.PinLocked as error:
            db.session.commit()  # keep the lock
            return render_template("accounts/confirm.html", errors=[("secret", error.detail)], next=then,
                                   user=user), 429
        db.session.commit()  # a wrong PIN is counted
        if right:
            sessions.confirmed()
            return redirect(then)
        errors, status = [("secret", gettext("That is not right. Type the password or PIN you sign in with."))], 401
    return render_template("accounts/confirm.html", errors=errors, next=then, user=user), status


@bp.post("/account/email/<token>")
def finish_email_change(token: str):
    link = tokens.find_link(token, "confirm_email")
    if link is None or services.email_in_use(link.new_email):
        raise NotFound(gettext("This link has expired or was used already. Ask for a new one on your account page."))
    services.confirm_email(link)
    tokens.use_link(link)
    db.session.commit()
    flash(gettext("Your email address has changed."), "success")
    return redirect(url_for("accounts.account") if current_user.is_authenticated else url_for("accounts.sign_in"))


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def request_password_reset():
    if request.method == "GET":
        return render_template("accounts/reset_request.html", errors=[], values={})
    form, errors = load_form(ResetRequestForm())
    if errors:
        return render_template("accounts/reset_request.html", errors=errors, values=request.form), 422
    services.request_password_reset(form["email"])
    db.session.commit()
    return render_template("accounts/reset_sent.html")


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def new_password(token: str):
    link = tokens.find_link(token, "reset_password") or tokens.find_link(token, "invitation")
    if link is None or (link.new_email and services.email_in_use(link.new_email)):
        raise NotFound(gettext("This link has expired or was used already. Ask for a new password reset link."))
    if request.method == "GET":
        return render_template("accounts/new_password.html", errors=[], token=token)
    form, errors = load_form(NewPasswordForm())
    if errors:
        return render_template("accounts/new_password.html", errors=errors, token=token), 422
    user = services.confirm_email(link) if link.new_email else db.session.get(User, link.user_id)
    services.set_password(user, form["password"])
    tokens.use_link(link)
    db.session.commit()
    flash(gettext("Your password is set. Sign in with it now."), "success")
    return redirect(url_for("accounts.sign_in"))
