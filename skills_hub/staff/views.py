"""Library staff pages: find or register a resident, reset a PIN, print a login card, tokens for offline devices."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import segno
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from skills_hub import codes, fonts
from skills_hub.accounts import policy, privacy, services, tokens
from skills_hub.accounts.models import ApiToken, Role, User
from skills_hub.accounts.permissions import EDIT_LEARNER, PRINT_CARD, RESET_PIN, VIEW_LEARNER
from skills_hub.accounts.schemas import CardForm, EditResidentForm, LookupForm, PinResetForm, RegisterResidentForm
from skills_hub.audit import services as audit
from skills_hub.certificates import pdf as certificate_pdf
from skills_hub.certificates import services as certificate_services
from skills_hub.courses import services as course_services
from skills_hub.endpoints import page_number
from skills_hub.errors import Conflict, DomainError, NotFound
from skills_hub.extensions import db
from skills_hub.languages import resident_language
from skills_hub.learning import services as learning
from skills_hub.learning.permissions import RECORD_LEARNING
from skills_hub.outreach import duplicates
from skills_hub.pdf import render_pdf
from skills_hub.referrals import services as referrals
from skills_hub.referrals.models import Referral
from skills_hub.validation import flatten_errors, load_form

bp = Blueprint("staff", __name__, url_prefix="/staff")


staff_required = policy.page_for(Role.STAFF, Role.ADMIN)


def _no_store(response: Response) -> Response:
    """Pages and files that show a PIN must not stay in the browser's cache on a shared PC."""
    response.headers["Cache-Control"] = "no-store"
    return response


PER_PAGE = 50


@bp.get("")
@staff_required
def dashboard():
    text = request.args.get("q", "").strip()[:100]
    page = page_number(request.args.get("page"))
    learners, total = services.search(current_user, text, 1, PER_PAGE) if text else ([], 0)
    overview = learning.branch_overview(policy.visible_learners(current_user), page, PER_PAGE)
    failed = certificate_services.failed_renders(policy.visible_learners(current_user))
    waiting = db.session.scalar(select(func.count()).select_from(duplicates.open_for(current_user).subquery()))
    return render_template("staff/dashboard.html", q=text, learners=learners, total=total, overview=overview,
                           duplicates_waiting=waiting,
                           failed_certificates=failed,
                           page=page, per_page=PER_PAGE, branches=services.branch_names(current_user))


@bp.get("/residents/lookup")
@staff_required
def lookup():
    values = {k: v for k, v in request.args.items() if v}
    try:
        query = LookupForm().load(values)
    except ValidationError as error:
        return render_template("staff/lookup.html", errors=flatten_errors(error.messages), values=values,
                               learner=None), 422
    try:
        learner = services.lookup(current_user, query)
        errors = []
    except DomainError as error:
        learner, errors = None, [("learner_number" if "learner_number" in query else "given_name", error.detail)]
    db.session.commit()
    linked = learner is not None and policy.may_see(current_user, learner)
    return render_template("staff/lookup.html", errors=errors, values=values, learner=learner, linked=linked,
                           branches=services.branches_of(current_user)), 404 if errors else 200


@bp.post("/residents/<learner_id>/link")
@staff_required
def link(learner_id: str):
    try:
        branch_id = uuid.UUID(request.form.get("branch_id", ""))
    except ValueError:
        branch_id = uuid.UUID(int=0)
    learner = services.link_to_branch(current_user, learner_id, branch_id)
    db.session.commit()
    flash(f"{learner.display_name} is now linked to your branch.", "success")
    return redirect(url_for("staff.resident", learner_id=learner.id))


@bp.route("/residents/new", methods=["GET", "POST"])
@staff_required
def register():
    branches = services.branches_of(current_user)
    context = {"branches": branches, "version": privacy.current_version(), "candidates": [],
               "matches_elsewhere": 0}
    if request.method == "GET":
        return render_template("staff/register.html", errors=[], values={"client_id": str(uuid.uuid4())},
                               **context)
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    form, errors = load_form(RegisterResidentForm())
    if not errors:
        body = {key: form[key] for key in ("client_id", "given_name", "family_name", "date_of_birth", "postcode",
                                            "email", "phone", "preferred_language", "branch_id",
                                            "confirm_not_duplicate")}
        if form.get("display_name"):
            body["display_name"] = form["display_name"]
        body["consent"] = {"privacy_notice_version": form["privacy_notice_version"], "given_by": "staff_on_behalf",
                           "method": form["consent_method"]}
        try:
            registration = services.register_learner(current_user, body)
            db.session.commit()
            return _no_store(Response(render_template("staff/registered.html", learner=registration.learner,
                                                      pin=registration.pin, again=not registration.created)))
        except Conflict as error:
            errors = flatten_errors(error.errors) or [("given_name", error.detail.split(" Check")[0])]
            context.update(candidates=error.extra.get("candidates", []),
                           matches_elsewhere=error.extra.get("matches_elsewhere", 0))
        except DomainError as error:
            errors = flatten_errors(error.errors) or [("given_name", error.detail)]
    return render_template("staff/register.html", errors=errors, values=values, **context), 422


@bp.get("/residents/<learner_id>")
@staff_required
def resident(learner_id: str):
    learner = policy.learner_for(current_user, learner_id, VIEW_LEARNER)
    audit.record("learner.viewed", learner.id)
    db.session.commit()
    enrolments = learning.summaries([learner.id])[learner.id]
    enrolled = {item.course.id for item in enrolments}
    catalogue, _ = course_services.list_courses(per_page=200)
    their_referrals = db.session.scalars(referrals.visible_referrals(current_user).where(
        Referral.learner_id == learner.id).order_by(Referral.created_at.desc())).all()
    their_certificates = certificate_services.of_learner_for(current_user, learner.id)
    return render_template("staff/resident.html", learner=learner, locked=services.pin_locked(learner),
                           sign_in_methods=services.sign_in_methods(learner),
                           week_ago=(datetime.now(UTC) - timedelta(days=7)).date(),
                           branches=services.branch_names(learner), enrolments=enrolments,
                           referrals=their_referrals, permissions=referrals.permissions_of(learner),
                           certificates=their_certificates,
                           unprintable=certificate_services.unprintable(their_certificates),
                           courses=[c for c in catalogue if c.id not in enrolled])


@bp.route("/residents/<learner_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(learner_id: str):
    """Correct a resident's names, date of birth and contact details (a stale version is refused, not lost)."""
    learner = policy.learner_for(current_user, learner_id, EDIT_LEARNER)
    if request.method == "GET":
        values = {name: getattr(learner, name) or "" for name in (
            "given_name", "family_name", "name_as_written", "date_of_birth", "postcode", "phone",
            "preferred_language", "version")}
        values["display_name"] = values.pop("name_as_written")
        return render_template("staff/edit.html", learner=learner, errors=[], values=values)
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    form, errors = load_form(EditResidentForm())
    if not errors:
        try:
            services.update_learner(current_user, learner, form)
            db.session.commit()
            flash(f"{learner.display_name}'s details are saved.", "success")
            return redirect(url_for("staff.resident", learner_id=learner.id))
        except Conflict as error:
            if "version" not in error.errors:
                raise
            # Someone saved first: what was typed stays in the form, with the version now current, so that saving
            # again (after checking) is a choice to overwrite, not a dead end.
            db.session.rollback()
            values["version"] = learner.version
            return render_template("staff/edit.html", learner=learner, values=values, errors=[(
                "details-form", "Someone else changed this resident's details since you opened this page, so "
                "nothing is saved yet. Your changes are still in the form: check them against the resident's page, "
                "then save again.")]), 422
        except DomainError as error:
            db.session.rollback()
            errors = flatten_errors(error.errors) or [("given_name", error.detail)]
    return render_template("staff/edit.html", learner=learner, errors=errors, values=values), 422


@bp.post("/residents/<learner_id>/enrolments")
@staff_required
def enrol(learner_id: str):
    learner = policy.learner_for(current_user, learner_id, RECORD_LEARNING)
    course = course_services.get_course(request.form.get("course", ""))
    learning.enrol(learner, course, by=current_user)
    db.session.commit()
    flash(f"{learner.display_name} is enrolled on {course.title}.", "success")
    return redirect(url_for("staff.resident", learner_id=learner.id))


@bp.post("/residents/<learner_id>/progress")
@staff_required
def record_progress(learner_id: str):
    """Staff record a lesson as done for a learner: always marked as done with a helper."""
    learner = policy.learner_for(current_user, learner_id, RECORD_LEARNING)
    lesson = learning.lesson_named(request.form.get("course", ""), request.form.get("lesson", ""))
    learning.lesson_done(learner.id, lesson, assisted=True, by=current_user)
    audit.record("learner.progress_recorded", learner.id, course=lesson.course.slug, lesson=lesson.slug)
    db.session.commit()
    flash(f"{lesson.title} is marked done, with a helper.", "success")
    return redirect(url_for("staff.resident", learner_id=learner.id))


@bp.post("/residents/<learner_id>/pin")
@staff_required
def reset_pin(learner_id: str):
    learner = policy.learner_for(current_user, learner_id, RESET_PIN)
    form, errors = load_form(PinResetForm())
    if errors:
        for _field, message in errors:
            flash(message, "error")
        return redirect(url_for("staff.resident", learner_id=learner.id))
    since = datetime.combine(form["added_since"], time.min, tzinfo=UTC) if form["remove_added"] else None
    kept = {m["method"] for m in services.sign_in_methods(learner) if m["on"]}
    pin = services.reset_pin(current_user, learner, remove_added_since=since)
    removed = sorted(kept - {m["method"] for m in services.sign_in_methods(learner) if m["on"]} - {"pin"})
    db.session.commit()
    return _no_store(Response(render_template("staff/registered.html", learner=learner, pin=pin, reset=True,
                                              removed=removed)))


@bp.post("/residents/<learner_id>/unlock")
@staff_required
def unlock(learner_id: str):
    learner = policy.learner_for(current_user, learner_id, RESET_PIN)
    services.unlock_pin(current_user, learner)
    db.session.commit()
    flash("The learner number is unlocked. They can sign in with their PIN again.", "success")
    return redirect(url_for("staff.resident", learner_id=learner.id))


@bp.post("/residents/<learner_id>/card")
@staff_required
def login_card(learner_id: str):
    """The login card PDF. The PIN is printed only when staff tick the box, and only if it is the right PIN."""
    learner = policy.learner_for(current_user, learner_id, PRINT_CARD)
    form, errors = load_form(CardForm())
    if errors:
        raise NotFound("The card form was not complete. Go back and try again.")
    pin = None
    if form["with_pin"]:
        if not (learner.pin_hash and form["pin"] and check_password_hash(learner.pin_hash, form["pin"])):
            raise NotFound("The PIN can only be printed straight after it is made. Reset the PIN to print a new one.")
        pin = form["pin"]
    sign_in_url = current_app.config["BASE_URL"] + url_for("accounts.sign_in")
    qr_svg = segno.make(sign_in_url, error="m").svg_data_uri(scale=4, border=2)
    language = resident_language(learner)  # the card is the resident's: in their language, English beside
    with force_locale(language.locale):
        html = render_template("staff/card.html", learner=learner, number=codes.grouped(learner.learner_number),
                               pin=pin, sign_in_url=sign_in_url, qr=qr_svg, card_language=language,
                               name_lang=fonts.language_of(learner.display_name, learner.preferred_language))
    try:
        card = render_pdf(html)  # before the audit entry: a card no font can print was not printed
    except fonts.MissingGlyph as error:
        return render_template("staff/card_unprintable.html", learner=learner, detail=error.detail), error.status
    audit.record("learner.card_printed", learner.id, with_pin=bool(pin))
    db.session.commit()
    response = Response(card, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'inline; filename="login-card.pdf"'
    return _no_store(response)


@bp.post("/device-tokens")
@staff_required
def create_device_token():
    name = " ".join(request.form.get("name", "").split())[:100]
    if not name:
        flash("Give the device a name, like Outreach laptop 2.", "error")
        return redirect(url_for("accounts.account"))
    secret, token = tokens.issue_api_token(db.session.get(User, current_user.id), name=name,
                                           days=tokens.DEVICE_TOKEN_DAYS)
    db.session.commit()
    return _no_store(Response(render_template("staff/device_token.html", secret=secret, token=token)))


@bp.post("/device-tokens/<uuid:token_id>/revoke")
@staff_required
def revoke_device_token(token_id: uuid.UUID):
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        raise NotFound("There is no such token.")
    token.revoked_at = tokens.utcnow()
    db.session.commit()
    flash(f"The token for {token.name} no longer works.", "success")
    return redirect(url_for("accounts.account"))


@bp.get("/certificates")
@staff_required
def print_pack():
    """One PDF with every certificate issued to the library's learners between two dates."""
    values = {k: v for k, v in request.args.items() if v}
    if not values:
        return render_template("staff/print_pack.html", errors=[], values={})
    try:
        dates = PrintPackQuery().load(values)
    except ValidationError as error:
        return render_template("staff/print_pack.html", errors=flatten_errors(error.messages), values=values), 422
    start = datetime.combine(dates["from_date"], time(), UTC)
    end = datetime.combine(dates["to_date"] + timedelta(days=1), time(), UTC)
    found = certificate_services.issued_between(policy.visible_learners(current_user), start, end)
    if not found or len(found) > certificate_services.PACK_LIMIT:
        message = ("No certificates were issued to your library's learners between these dates." if not found else
                   f"More than {certificate_services.PACK_LIMIT} certificates: choose fewer days.")
        return render_template("staff/print_pack.html", errors=[("from_date", message)], values=values), 422
    response = Response(certificate_pdf.render_pack(found), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (f'inline; filename="certificates-{dates["from_date"]}-to-'
                                               f'{dates["to_date"]}.pdf"')
    response.headers["Cache-Control"] = "no-store"
    return response


class PrintPackQuery(Schema):
    from_date = fields.Date(required=True, error_messages={"required": "Enter the first date.",
                                                          "invalid": "Enter a date like 2026-11-01."})
    to_date = fields.Date(required=True, error_messages={"required": "Enter the last date.",
                                                        "invalid": "Enter a date like 2026-11-30."})
