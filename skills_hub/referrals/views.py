"""Referral pages: make a referral with permission to share, follow it, the provider's inbox, withdrawing."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import case, func, select

from skills_hub import codes
from skills_hub.accounts import policy, privacy
from skills_hub.accounts.models import Branch, Organisation, Role, User
from skills_hub.directory import services as directory
from skills_hub.directory.models import NEEDS
from skills_hub.endpoints import InputSchema, page_number
from skills_hub.errors import DomainError, NotFound, ValidationFailed
from skills_hub.extensions import db, utcnow
from skills_hub.i18n import N_
from skills_hub.referrals import services, workdays
from skills_hub.referrals.models import (
    ALWAYS_SHARED,
    CONTACT_ROUTES,
    REASON_CODES,
    REASON_LABELS,
    STATUSES,
    Referral,
    ReferralEvent,
)
from skills_hub.referrals.permissions import REFER
from skills_hub.referrals.schemas import METHODS
from skills_hub.validation import REQUIRED, flatten_errors, load_form

bp = Blueprint("referrals", __name__)
PER_PAGE = 50
# Each status in words ("in_progress" → "In progress"), in the order of STATUSES.
STATUS_LABELS = {
    "submitted": N_("Submitted"), "viewed": N_("Viewed"), "accepted": N_("Accepted"), "waitlisted": N_("Waitlisted"),
    "in_progress": N_("In progress"), "declined": N_("Declined"), "completed": N_("Completed"),
    "not_completed": N_("Not completed"), "withdrawn": N_("Withdrawn"), "expired": N_("Expired"),
    "entered_in_error": N_("Entered in error"),
}
METHOD_LABELS = {"in_person": "In person, today", "paper": "On a signed paper form", "phone": "On the phone",
                 "online": "Online"}
SHARED_LABELS = {"name": N_("name"), "contact_method": N_("how to contact them"), "need": N_("what they need"),
                 "access_needs": N_("access needs"), "languages": N_("languages"), **NEEDS}

signed_in_page = policy.page_for(Role.LEARNER, Role.STAFF, Role.ADMIN, Role.PROVIDER)
referrer_page = policy.page_for(Role.LEARNER, Role.STAFF, Role.ADMIN)
provider_page = policy.page_for(Role.PROVIDER)


class ReferralForm(InputSchema):
    csrf_token = fields.String(load_default=None)
    client_id = fields.UUID(required=True, error_messages=REQUIRED)
    # Worded for both who fill it in: the resident asking for themselves, and staff for a resident.
    need = fields.String(required=True, error_messages={**REQUIRED, "required": "Say what help is needed."},
                         validate=validate.Length(min=1, max=1000, error="Say what help is needed, in up to 1,000 "
                                                                         "characters."))
    access_needs = fields.String(load_default="", validate=validate.Length(max=500, error="Up to 500 characters."))
    contact_method = fields.String(load_default="", validate=validate.Length(max=200, error="Up to 200 "
                                                                                            "characters."))
    contact_route = fields.String(required=True, error_messages={"required": "Choose how the provider should get "
                                                                             "in touch."},
                                  validate=validate.OneOf(CONTACT_ROUTES, error="Choose how the provider should "
                                                                                "get in touch."))
    permission = fields.String(required=True, validate=validate.Equal("yes"), error_messages={
        "required": "Tick the box to agree to share this with the provider."})
    method = fields.String(load_default=None, validate=validate.OneOf(
        METHODS, error="Choose how the resident gave permission."))


class TransitionForm(InputSchema):
    csrf_token = fields.String(load_default=None)
    to = fields.String(required=True, error_messages=REQUIRED, validate=validate.OneOf(STATUSES))
    version = fields.Integer(required=True, error_messages=REQUIRED)
    reason_code = fields.String(load_default=None)
    reason = fields.String(load_default=None, validate=validate.Length(max=500, error="Up to 500 characters."))


def _shared_list(service) -> list[str]:
    return [gettext(SHARED_LABELS[item]) for item in list(ALWAYS_SHARED) + list(service.referral_needs)]


def _learner_for_referral() -> User:
    learner_id = request.values.get("learner")
    if current_user.role == Role.LEARNER:
        if learner_id and learner_id != str(current_user.id):
            raise NotFound("There is no resident with this id.")
        return current_user._get_current_object()
    if not learner_id:
        raise ValidationFailed("Choose the resident first: open their page and choose “Find a service”.")
    return policy.learner_for(current_user, learner_id, REFER)


def _new_page(service, learner, errors, values, status=200):
    branch_id = services.referring_branch_id(current_user, learner)
    return render_template("referrals/new.html", service=service, learner=learner, errors=errors, values=values,
                           shared=_shared_list(service), methods=METHOD_LABELS,
                           routes=services.routes_for(learner), library=db.session.get(Branch, branch_id)
                           if branch_id else None, notice_version=privacy.current_version()), status


@bp.route("/referrals/new", methods=["GET", "POST"])
@referrer_page
def new_referral():
    service = directory.service_named(request.values.get("service", ""))
    learner = _learner_for_referral()
    if not service.takes_referrals or service.status != "active":
        flash(gettext("This service does not take referrals at the moment. Contact it directly, or choose "
                      "another."))
        return redirect(url_for("directory.service_page", service_id=service.id), 303)
    if request.method == "GET":
        return _new_page(service, learner, [], {"client_id": str(uuid.uuid4())})
    values = {key: value for key, value in request.form.items() if key != "csrf_token"}
    form, errors = load_form(ReferralForm())
    if not errors and current_user.role != Role.LEARNER and not form["method"]:
        errors = [("method", f"Choose how {learner.display_name} gave permission.")]
    if errors:
        return _new_page(service, learner, errors, values, 422)
    body = {"client_id": form["client_id"], "learner_id": learner.id, "service_id": service.id,
            "need": form["need"], "access_needs": form["access_needs"], "contact_method": form["contact_method"],
            "contact_route": form["contact_route"],
            "consent": {"given_by": "learner" if current_user.role == Role.LEARNER else "staff_on_behalf",
                        "method": "online" if current_user.role == Role.LEARNER else form["method"],
                        "privacy_notice_version": privacy.current_version(),
                        "recipient_organisation_id": service.organisation_id}}
    try:
        made = services.make(current_user, body)
    except DomainError as error:
        db.session.rollback()
        return _new_page(service, learner, flatten_errors(error.errors) or [("need", error.detail)], values, 422)
    db.session.commit()
    if made.created:
        flash(gettext("Referral %(reference)s sent to %(organisation)s.",
                      reference=codes.grouped(made.referral.reference), organisation=service.organisation.name))
    return redirect(url_for("referrals.referral_page", referral_id=made.referral.id), 303)


@bp.get("/referrals")
@signed_in_page
def referrals_list():
    if current_user.role == Role.PROVIDER:
        return redirect(url_for("referrals.inbox"))
    page = page_number(request.args.get("page"))
    visible = services.visible_referrals(current_user)
    total = db.session.scalar(select(func.count()).select_from(visible.subquery()))
    items = db.session.scalars(visible.order_by(Referral.created_at.desc(), Referral.id)
                               .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    permissions = services.permissions_of(current_user) if current_user.role == Role.LEARNER else []
    return render_template("referrals/list.html", referrals=items, total=total, page=page, per_page=PER_PAGE,
                           labels=STATUS_LABELS, permissions=permissions)


@bp.get("/provider")
@provider_page
def inbox():
    status = request.args.get("status") or None
    errors = [] if status in (None, *STATUSES) else [("status", "Choose a status from the list.")]
    page = page_number(request.args.get("page"))
    visible = services.visible_referrals(current_user)
    if status and not errors:
        visible = visible.where(Referral.status == status)
    new_first = case((Referral.status == "submitted", 0), (Referral.status == "viewed", 1), else_=2)
    total = db.session.scalar(select(func.count()).select_from(visible.subquery()))
    items = db.session.scalars(visible.order_by(new_first, Referral.respond_by, Referral.created_at.desc())
                               .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    organisation_id = current_user.organisation_id
    figures = services.figures({organisation_id}).get(organisation_id) if organisation_id else None
    return render_template("referrals/inbox.html", referrals=items, total=total, page=page, per_page=PER_PAGE,
                           status=status, errors=errors, labels=STATUS_LABELS,
                           shown_statuses=[key for key in STATUS_LABELS if key not in services.GONE_FROM_PROVIDER],
                           today=workdays.local_date(utcnow()),
                           figures=figures, our_services=directory.organisation_services(organisation_id)
                           if organisation_id else []), 422 if errors else 200


def _detail(referral: Referral, errors: list | None = None, status: int = 200):
    events = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                                .order_by(ReferralEvent.at, ReferralEvent.id)).all()
    actors = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_({e.actor_id for e in events if e.actor_id})))}
    alternatives = []
    if referral.status in ("expired", "declined") and current_user.role != Role.PROVIDER:
        search = directory.Search(skill=referral.service.eds_areas[0] if referral.service.eds_areas else None)
        alternatives = [m for m in directory.find(search) if m.service.id != referral.service_id
                        and m.service.takes_referrals][:3]
    shared = services.shared_with_provider(referral) if current_user.role in (Role.PROVIDER, Role.ADMIN) else None
    return render_template("referrals/referral.html", referral=referral, events=events, actors=actors,
                           labels=STATUS_LABELS, reasons=REASON_LABELS, reason_codes=REASON_CODES,
                           moves=services.allowed_next(current_user, referral), shared=shared,
                           contact=services.how_to_contact(referral),
                           alternatives=alternatives, errors=errors or [],
                           today=workdays.local_date(utcnow())), status


@bp.get("/referrals/<uuid:referral_id>")
@signed_in_page
def referral_page(referral_id: uuid.UUID):
    referral = services.referral_for(current_user, referral_id)
    services.opened_by(current_user, referral)
    db.session.commit()
    return _detail(referral)


@bp.post("/referrals/<uuid:referral_id>/transitions")
@signed_in_page
def transition(referral_id: uuid.UUID):
    referral = services.referral_for(current_user, referral_id)
    form, errors = load_form(TransitionForm())
    if errors:
        return _detail(referral, [("", message) for _, message in errors], 422)
    try:
        services.transition(current_user, referral, form["to"], form["version"], form["reason_code"] or None,
                            (form["reason"] or "").strip() or None)
    except DomainError as error:
        db.session.rollback()
        referral = services.referral_for(current_user, referral_id)
        fields_of_form = {"reason_code", "reason"}
        errors = [(f"{form['to']}-{path}", message) for path, message in flatten_errors(error.errors)
                  if path in fields_of_form] or [("", error.detail)]
        return _detail(referral, errors, error.status)
    db.session.commit()
    flash(gettext("Referral %(reference)s is now %(status)s.", reference=codes.grouped(referral.reference),
                  status=gettext(STATUS_LABELS[referral.status]).lower()))
    return redirect(url_for("referrals.referral_page", referral_id=referral.id), 303)


@bp.post("/sharing/<uuid:permission_id>/withdraw")
@referrer_page
def withdraw_permission(permission_id: uuid.UUID):
    permission = services.permission_for(current_user, permission_id)
    withdrawn = services.withdraw_permission(current_user, permission)
    db.session.commit()
    flash(gettext("Permission to share with %(organisation)s is withdrawn.", organisation=permission.organisation.name)
          + " " + ngettext("%(num)s open referral was withdrawn.", "%(num)s open referrals were withdrawn.", withdrawn))
    target: dict[str, Any] = {"endpoint": "referrals.referrals_list"}
    if current_user.role != Role.LEARNER:
        target = {"endpoint": "staff.resident", "learner_id": permission.learner_id}
    return redirect(url_for(**target), 303)


@bp.get("/admin/providers")
@policy.page_for(Role.ADMIN)
def provider_figures():
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template("referrals/figures.html", organisations=organisations, figures=services.figures())
