"""The admin page: what needs an admin's attention (for now, background jobs that gave up)."""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError, fields, validate
from sqlalchemy import select

from skills_hub import codes
from skills_hub.accounts import policy, services, sessions, two_step
from skills_hub.accounts.models import Branch, Organisation, Role, User
from skills_hub.accounts.schemas import name_field
from skills_hub.audit import services as audit
from skills_hub.courses import audio as course_audio
from skills_hub.courses import services as courses
from skills_hub.endpoints import FormSchema, PageQuery
from skills_hub.extensions import db
from skills_hub.jobs import services as jobs
from skills_hub.languages import PAGE_LANGUAGES
from skills_hub.validation import REQUIRED, Text, flatten_errors, load_form

bp = Blueprint("admin", __name__, url_prefix="/admin")


class AuditQuery(PageQuery):
    actor = fields.String(validate=validate.Length(max=254))
    subject = fields.String(validate=validate.Length(max=254))
    action = fields.String(validate=validate.Length(max=40))
    from_date = fields.Date(error_messages={"invalid": "Enter a date like 2026-11-28."})
    to_date = fields.Date(error_messages={"invalid": "Enter a date like 2026-11-28."})


class InviteForm(FormSchema):
    given_name = name_field("first name")
    family_name = name_field("last name")
    email = fields.Email(required=True, error_messages={**REQUIRED, "invalid": "Enter an email address like "
                                                                               "name@example.com."})
    role = fields.String(required=True, error_messages=REQUIRED,
                         validate=validate.OneOf([Role.STAFF.value, Role.PROVIDER.value, Role.ADMIN.value]))
    branch_id = fields.UUID(load_default=None)
    organisation_id = fields.UUID(load_default=None)


admin_required = policy.page_for(Role.ADMIN)


@bp.get("")
@admin_required
def dashboard():
    return render_template("admin/dashboard.html", failed=jobs.failed_jobs())


@bp.get("/translations")
@admin_required
def translations():
    """Per course and language: current, outdated, missing, and who reviewed it (`flask courses translations`)."""
    shown = courses.list_all_courses()
    return render_template("admin/translations.html", courses=shown, states=courses.languages_of(shown),
                           languages=PAGE_LANGUAGES)


@bp.get("/audio")
@admin_required
def audio():
    """Which lessons are read aloud on the server, per course and language (`flask courses audio`)."""
    shown = courses.list_all_courses()
    return render_template("admin/audio.html", courses=shown, coverage=course_audio.coverage(shown),
                           voices=course_audio.VOICES, missing=course_audio.tools_missing(),
                           languages=PAGE_LANGUAGES)


@bp.post("/jobs/<uuid:job_id>/retry")
@admin_required
def retry_job(job_id: uuid.UUID):
    if jobs.retry(job_id):
        flash("The job will be tried again.", "success")
    db.session.commit()
    return redirect(url_for("admin.dashboard"))


@bp.get("/audit")
@admin_required
def audit_log():
    """The audit log, newest first, filtered by who, whose record, what, and when. Read-only."""
    values = {k: v for k, v in request.args.items() if v}
    try:
        query = AuditQuery().load(values)
    except ValidationError as error:
        return render_template("admin/audit.html", errors=flatten_errors(error.messages), values=values, rows=[],
                               total=0, page=1, per_page=50, actions=audit.actions(), people={}), 422
    where = audit.AuditFilter(actor_id=_user_id_for(query.get("actor")), subject_id=_user_id_for(query.get("subject")),
                              action=query.get("action"), on_or_after=query.get("from_date"),
                              on_or_before=query.get("to_date"))
    rows, total = audit.entries(where, query["page"], query["per_page"])
    ids = {row.actor_id for row in rows} | {row.subject_id for row in rows}
    people = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids - {None})))}
    return render_template("admin/audit.html", errors=[], values=values, rows=rows, total=total, page=query["page"],
                           per_page=query["per_page"], actions=audit.actions(), people=people)


def _user_id_for(text: str | None) -> uuid.UUID | None:
    """An email address or learner number typed into a filter, as a user id (an unknown one matches nobody)."""
    if not text:
        return None
    number = codes.normalise(text)
    user = db.session.scalar(select(User).where((User.email == text.strip().lower()) | (User.learner_number == number)))
    return user.id if user else uuid.UUID(int=0)


@bp.get("/users")
@admin_required
def users():
    staff_like = db.session.scalars(select(User).where(User.role != Role.LEARNER).order_by(User.role, User.family_name))
    return render_template("admin/users.html", users=list(staff_like), errors=[], values={},
                           branches=services.branches_of(current_user),
                           organisations=list(db.session.scalars(select(Organisation).order_by(Organisation.name))))


@bp.post("/users")
@admin_required
def invite_user():
    form, errors = load_form(InviteForm())
    if not errors and services.email_in_use(form["email"]):
        errors = [("email", "This email address already has an account.")]
    if not errors and form["role"] == Role.PROVIDER.value and not form.get("organisation_id"):
        errors = [("organisation_id", "Choose the provider's organisation.")]
    if not errors and form["role"] == Role.STAFF.value and not form.get("branch_id"):
        errors = [("branch_id", "Choose the staff member's library.")]
    if errors:
        return render_template("admin/users.html", users=[], errors=errors, values=request.form,
                               branches=services.branches_of(current_user),
                               organisations=list(db.session.scalars(select(Organisation)))), 422
    role = Role(form["role"])
    branch = db.session.get(Branch, form["branch_id"]) if role == Role.STAFF else None
    organisation = db.session.get(Organisation, form["organisation_id"]) if role == Role.PROVIDER else None
    user = services.create_user(role=role, given_name=form["given_name"], family_name=form["family_name"],
                                email=form["email"], organisation=organisation, branches=[branch] if branch else [])
    services.send_link(user, "invitation")
    audit.record("account.invited", user.id, role=role.value)
    db.session.commit()
    flash(f"We have emailed {user.given_name} a link to set a password.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<uuid:user_id>/deactivate")
@admin_required
def deactivate_user(user_id: uuid.UUID):
    user = db.session.get(User, user_id)
    if user is None or user.id == current_user.id:
        abort(404)
    services.deactivate(current_user, user)
    db.session.commit()
    flash(f"{user.display_name} can no longer sign in. Their history is kept.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<uuid:user_id>/two-step/reset")
@admin_required
def reset_two_step(user_id: uuid.UUID):
    """For someone who lost their phone and recovery codes: they set it up again at their next sign-in."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    two_step.turn_off(user)
    sessions.end_everywhere(user)
    audit.record("account.two_step_reset", user.id)
    db.session.commit()
    flash(f"Two-step verification is reset for {user.display_name}.", "success")
    return redirect(url_for("admin.users"))


class PlaceForm(FormSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["branch", "organisation"]))
    name = Text(required=True, error_messages={**REQUIRED, "required": "Enter a name.", "blank": "Enter a name."},
                validate=validate.Length(min=1, max=200, error="Enter a name in 200 characters or fewer."))


def uk_phone(value: str) -> None:
    """A UK phone number's shape: 0 and 9 or 10 more digits (or +44 for the 0), with spaces, dashes or brackets."""
    digits = re.sub(r"[\s()-]", "", value)
    if not digits:
        return
    if digits.startswith("+44"):
        digits = "0" + digits[3:].removeprefix("0")
    if not re.fullmatch(r"0[1-9][0-9]{8,9}", digits):
        raise ValidationError("Enter the library's phone number as a UK number, like 0161 496 0123.")


class BranchForm(FormSchema):
    """A library branch's name and the contact details providers see on the referrals it makes."""

    name = Text(required=True, error_messages={**REQUIRED, "required": "Enter the library's name.",
                                               "blank": "Enter the library's name."},
                validate=validate.Length(max=200, error="Enter the library's name in 200 characters or fewer."))
    address = Text(multiline=True, allow_blank=True, load_default="", validate=validate.Length(
        max=500, error="Enter the address in 500 characters or fewer."))
    phone = Text(allow_blank=True, load_default="", validate=[
        validate.Length(max=30, error="Enter the library's phone number in 30 characters or fewer."), uk_phone])
    opening_hours = Text(multiline=True, allow_blank=True, load_default="", validate=validate.Length(
        max=1000, error="Enter the opening hours in 1,000 characters or fewer."))


def _tidy_lines(text: str) -> str:
    """Free text in lines: each line trimmed, empty lines dropped."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


@bp.get("/places")
@admin_required
def places():
    return _places_page([], {})


def _places_page(errors, values, status=200):
    return render_template("admin/places.html", errors=errors, values=values,
                           branches=list(db.session.scalars(select(Branch).order_by(Branch.name))),
                           organisations=list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
                           ), status


@bp.post("/places")
@admin_required
def add_place():
    """Add a library branch or a provider organisation."""
    form, errors = load_form(PlaceForm())
    model = {"branch": Branch, "organisation": Organisation}.get((form or {}).get("kind"))
    name = " ".join(form["name"].split()) if form else ""
    if not errors and db.session.scalar(select(model.id).where(model.name == name)) is not None:
        errors = [("name", f"There is already a {form['kind']} called {name}.")]
    if errors:
        return _places_page(errors, request.form, 422)
    db.session.add(model(name=name))
    db.session.commit()
    flash(f"{name} is added.", "success")
    return redirect(url_for("admin.places"))


def _branch(branch_id: uuid.UUID) -> Branch:
    branch = db.session.get(Branch, branch_id)
    if branch is None:
        abort(404)
    return branch


def _branch_page(branch: Branch, errors, values, status=200):
    return render_template("admin/branch.html", branch=branch, errors=errors, values=values), status


@bp.get("/branches/<uuid:branch_id>")
@admin_required
def branch_details(branch_id: uuid.UUID):
    branch = _branch(branch_id)
    return _branch_page(branch, [], {"name": branch.name, "address": branch.address, "phone": branch.phone,
                                     "opening_hours": branch.opening_hours})


@bp.post("/branches/<uuid:branch_id>")
@admin_required
def change_branch(branch_id: uuid.UUID):
    """A library's name, address, phone and opening hours: providers see them on the referrals it makes."""
    branch = _branch(branch_id)
    form, errors = load_form(BranchForm())
    name = " ".join(form["name"].split()) if form else ""
    if not errors and db.session.scalar(select(Branch.id).where(Branch.name == name, Branch.id != branch.id)):
        errors = [("name", f"There is already a branch called {name}.")]
    if errors:
        return _branch_page(branch, errors, request.form, 422)
    branch.name, branch.address = name, _tidy_lines(form["address"])
    branch.phone, branch.opening_hours = " ".join(form["phone"].split()), _tidy_lines(form["opening_hours"])
    db.session.commit()
    flash(f"The details of {name} are saved.", "success")
    return redirect(url_for("admin.places"))
