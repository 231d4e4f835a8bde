"""Directory pages: search for a service, a service's page, a provider editing its services, the admin import."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import func, select

from skills_hub import geo
from skills_hub.accounts import policy
from skills_hub.accounts.models import Role, User
from skills_hub.accounts.permissions import VIEW_LEARNER
from skills_hub.audit import services as audit
from skills_hub.directory import hsds, services, signals
from skills_hub.directory.api import search_from
from skills_hub.directory.models import ACCESSIBILITY, CAPACITY, DAYS, DELIVERY_MODES, NEEDS, STATUSES, Service
from skills_hub.directory.schemas import ServiceForm, ServiceQuery
from skills_hub.eds import EDS_AREAS, LEVELS
from skills_hub.endpoints import page_number
from skills_hub.errors import Conflict
from skills_hub.extensions import db
from skills_hub.languages import language_name, preferred_code
from skills_hub.validation import flatten_errors

bp = Blueprint("directory", __name__)
PER_PAGE = 20
LIST_FIELDS = ("access", "eds_areas", "levels", "delivery_modes", "accessibility", "languages", "referral_needs",
               "schedule_days")
COMMON_LANGUAGES = ("en", "ur", "pa", "bn", "ar", "so", "pl", "ro", "zh", "fa", "ku", "ti", "pt", "es", "fr", "uk")


def _learner_searched_for() -> User | None:
    """Staff search on a resident's behalf with ?learner=<id>; a learner searches for themselves."""
    if not current_user.is_authenticated:
        return None
    if current_user.role == Role.LEARNER:
        return current_user._get_current_object()
    if request.args.get("learner") and policy.allowed(current_user, VIEW_LEARNER):
        return policy.learner_for(current_user, request.args["learner"], VIEW_LEARNER)
    return None


SEARCH_FIELDS = ("near", "skill", "language", "free", "mode", "day", "searched", "page")


def _form_values() -> dict:
    """The search's own fields; anything else a shared link carries (utm_source, fbclid…) is ignored here."""
    raw = {key: value for key, value in request.args.items() if value and key in SEARCH_FIELDS}
    if request.args.getlist("access"):
        raw["access"] = request.args.getlist("access")
    return raw


@bp.get("/services")
def search_page():
    learner = _learner_searched_for()
    raw = _form_values()
    if not request.args.get("searched") and learner is not None:  # first visit: start from the resident
        if learner.postcode and "near" not in raw:
            raw["near"] = learner.postcode
        if preferred_code(learner) and "language" not in raw:
            raw["language"] = preferred_code(learner)
    errors, matches, total = [], [], 0
    page = page_number(request.args.get("page"))
    raw.pop("searched", None)
    raw.pop("page", None)
    try:
        query = ServiceQuery().load({**raw, "page": page, "per_page": PER_PAGE})
        found = services.find(search_from(query))
        total = len(found)
        matches = found[(page - 1) * PER_PAGE:page * PER_PAGE]
    except ValidationError as error:
        errors = flatten_errors(error.messages)
    figures = _figures_for([m.service.organisation_id for m in matches])
    return render_template("directory/search.html", values=raw, errors=errors, matches=matches, total=total,
                           page=page, per_page=PER_PAGE, learner=learner, figures=figures, areas=EDS_AREAS,
                           modes=DELIVERY_MODES, days=DAYS, access=ACCESSIBILITY, languages=_language_choices(),
                           attribution=geo.ATTRIBUTION)


def _language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in COMMON_LANGUAGES]


def _figures_for(organisation_ids: list[uuid.UUID]) -> dict:
    """How each organisation answers referrals, from whichever domain knows (the referrals domain)."""
    found: dict = {}
    for _receiver, figures in signals.figures_wanted.send(set(organisation_ids)):
        found.update(figures or {})
    return found


@bp.get("/services/<uuid:service_id>")
def service_page(service_id: uuid.UUID):
    service = services.service_named(service_id)
    learner = _learner_searched_for()
    figures = _figures_for([service.organisation_id]).get(service.organisation_id)
    editable = current_user.is_authenticated and services.may_edit(current_user, service)
    return render_template("directory/service.html", service=service, learner=learner, figures=figures,
                           editable=editable, areas=EDS_AREAS, levels=LEVELS, modes=DELIVERY_MODES,
                           access=ACCESSIBILITY, capacity=CAPACITY, needs=NEEDS,
                           language_name=language_name, in_words=services.schedule_in_words)


provider_or_admin = policy.page_for(Role.PROVIDER, Role.ADMIN)


def _edit_page(service, errors, values, status=200):
    return render_template("directory/edit.html", service=service, errors=errors, values=values, areas=EDS_AREAS,
                           levels=LEVELS, modes=DELIVERY_MODES, access=ACCESSIBILITY, capacity=CAPACITY,
                           needs=NEEDS, statuses=STATUSES, languages=_language_choices(),
                           days={day: day.title() for day in DAYS}), status


def _values_of(service) -> dict:
    return {"version": service.version, "name": service.name, "description": service.description,
            "status": service.status, "eds_areas": service.eds_areas, "levels": service.levels,
            "delivery_modes": service.delivery_modes, "accessibility": service.accessibility,
            "languages": ", ".join(service.languages), "is_free": "true" if service.is_free else "false",
            "cost_amount": "" if service.cost_amount is None else f"{service.cost_amount:.2f}",
            "cost_description": service.cost_description, "capacity": service.capacity,
            "takes_referrals": "true" if service.takes_referrals else "false",
            "response_days": service.response_days, "referral_needs": service.referral_needs,
            **_when_where(service)}


def _when_where(service) -> dict:
    schedule = service.schedules[0] if service.schedules else None
    location = service.locations[0] if service.locations else None
    return {"schedule_days": schedule.days if schedule else [], "opens_at": schedule.opens_at if schedule else "",
            "closes_at": schedule.closes_at if schedule else "",
            "schedule_description": schedule.description if schedule else "",
            "location_name": location.name if location else "", "address_1": location.address_1 if location else "",
            "city": location.city if location else "", "postcode": location.postcode if location else ""}


@bp.route("/provider/services/<uuid:service_id>/edit", methods=["GET", "POST"])
@provider_or_admin
def edit_service(service_id: uuid.UUID):
    service = services.editable_service(current_user, service_id)
    if request.method == "GET":
        return _edit_page(service, [], _values_of(service))
    raw = {key: value for key, value in request.form.items() if key not in LIST_FIELDS}
    for key in LIST_FIELDS[1:]:
        raw[key] = [item for item in request.form.getlist(key) if item]
    raw["languages"] = [code for text in raw["languages"] for code in text.replace(",", " ").split()]
    if not raw.get("cost_amount"):
        raw.pop("cost_amount", None)
    values = {**raw, "languages": ", ".join(raw["languages"])}
    try:
        changes = ServiceForm().load(raw)
        services.update_service(current_user, service, changes)
    except ValidationError as error:
        errors = [(path.split("[")[0], message) for path, message in flatten_errors(error.messages)]
        return _edit_page(service, errors, values, 422)
    except Conflict as conflict:
        db.session.rollback()
        return _edit_page(services.service_named(service_id), [("name", conflict.detail)],
                          _values_of(services.service_named(service_id)), 409)
    db.session.commit()
    flash("Your changes are saved.")
    return redirect(url_for("directory.service_page", service_id=service.id))


admin_only = policy.page_for(Role.ADMIN)


@bp.route("/admin/directory", methods=["GET", "POST"])
@admin_only
def import_page():
    report, errors = None, []
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            errors = [("file", "Choose an Open Referral UK JSON file to import.")]
        else:
            raw = upload.read()
            report = hsds.import_file(raw) if raw.strip() else hsds.ImportReport(
                errors=[("", "The file is empty. Choose the file again.")])
            audit.record("directory.imported", None, imported=len(report.imported), rejected=report.rejected)
            db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(Service))
    unreadable = report is not None and report.records == 0 and bool(report.errors)  # not JSON we will read
    return render_template("directory/import.html", report=report, errors=errors, count=count), \
        422 if errors or unreadable else 200

