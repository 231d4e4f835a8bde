"""The outreach page (works offline), its service worker, attendance, and reviewing suspected duplicates."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import func, select

from skills_hub.accounts import policy, privacy, services
from skills_hub.accounts.models import Role, User
from skills_hub.courses import services as course_services
from skills_hub.endpoints import page_number
from skills_hub.errors import DomainError, NotFound, ValidationFailed
from skills_hub.extensions import db
from skills_hub.outreach import cards, duplicates, sync
from skills_hub.outreach.api import ResolveIn
from skills_hub.outreach.models import Attendance
from skills_hub.validation import flatten_errors

bp = Blueprint("outreach", __name__)
staff_required = policy.page_for(Role.STAFF, Role.ADMIN)
SESSIONS_PER_PAGE = 20


@bp.get("/staff/outreach")
@staff_required
def outreach_page():
    """Without JavaScript this is the ordinary registration form; with it, records queue on the device and sync."""
    catalogue, _ = course_services.list_courses(per_page=200)
    response = Response(render_template(
        "outreach/outreach.html", errors=[], values={"client_id": str(uuid.uuid4())}, candidates=[],
        matches_elsewhere=0, branches=services.branches_of(current_user), version=privacy.current_version(),
        courses=catalogue))
    response.headers["Cache-Control"] = "no-store"  # the service worker keeps its own copy, for this page only
    return response


@bp.post("/staff/pins")
@staff_required
def make_pins_page():
    """The PINs for the login cards of residents registered in a batch (the outreach page's results, a sign-up
    sheet): a form with one learner_id per resident, at most cards.MAX_PINS. Shown once; never cached."""
    ids = request.form.getlist("learner_id")
    if not 1 <= len(ids) <= cards.MAX_PINS:
        raise ValidationFailed(f"Make PINs for between 1 and {cards.MAX_PINS} residents at a time. Go back and use "
                               "the buttons for each group.")
    try:
        learner_ids = [uuid.UUID(value) for value in ids]
    except ValueError:
        raise NotFound("There is no resident with this id.") from None
    made = cards.make_pins(current_user, learner_ids)
    db.session.commit()
    response = Response(render_template("outreach/pins.html", made_pins=made))
    response.headers["Cache-Control"] = "no-store"  # one-time PINs, on a shared PC
    return response


@bp.get("/staff/outreach-sw.js")
def service_worker():
    """Served from /staff/ so that its scope can be /staff/outreach (the page and nothing else of /staff)."""
    response = current_app.send_static_file("outreach-sw.js")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/staff/outreach/sessions")
@staff_required
def sessions():
    page = page_number(request.args.get("page"))
    visible = policy.visible_learners(current_user).with_only_columns(User.id)
    grouped = select(Attendance.session_date, Attendance.venue, func.count().label("people")) \
        .where(Attendance.learner_id.in_(visible)).group_by(Attendance.session_date, Attendance.venue)
    total = db.session.scalar(select(func.count()).select_from(grouped.subquery()))
    rows = db.session.execute(grouped.order_by(Attendance.session_date.desc(), Attendance.venue)
                              .limit(SESSIONS_PER_PAGE).offset((page - 1) * SESSIONS_PER_PAGE)).all()
    keys = [(row.session_date, row.venue) for row in rows]
    names: dict[tuple, list[User]] = {key: [] for key in keys}
    if keys:
        people = db.session.execute(
            select(Attendance.session_date, Attendance.venue, User)
            .join(User, User.id == Attendance.learner_id)
            .where(Attendance.learner_id.in_(visible), Attendance.session_date.in_({k[0] for k in keys}))
            ).all()
        for session_date, venue, user in people:
            if (session_date, venue) in names:
                names[(session_date, venue)].append(user)
        names = {key: services.name_order(people) for key, people in names.items()}
    return render_template("outreach/sessions.html", rows=rows, names=names, total=total, page=page,
                           per_page=SESSIONS_PER_PAGE)


@bp.get("/staff/duplicates")
@staff_required
def duplicates_page():
    return render_template("outreach/duplicates.html", items=_review_items(), errors=[])


def _review_items() -> list[tuple]:
    """Each open suspected duplicate with its held record, the candidates, and how many operations wait."""
    waiting = db.session.scalars(duplicates.open_for(current_user).limit(50)).all()
    return [(item, db.session.get(User, item.learner_id), duplicates.candidates_of(item),
             len(sync.held_operations(item.learner_id))) for item in waiting]


@bp.post("/staff/duplicates/<uuid:duplicate_id>")
@staff_required
def resolve(duplicate_id: uuid.UUID):
    duplicate = duplicates.duplicate_for(current_user, duplicate_id)
    try:
        form = ResolveIn().load({key: value for key, value in request.form.items() if key != "csrf_token"})
        resolution = duplicates.resolve(current_user, duplicate, form["action"], form["keep"])
    except ValidationError as error:
        db.session.rollback()
        return _again(flatten_errors(error.messages))
    except DomainError as error:
        db.session.rollback()
        return _again([("", error.detail)], error.status)
    db.session.commit()
    kept = resolution.kept
    if resolution.pin:
        response = Response(render_template("staff/registered.html", learner=kept, pin=resolution.pin, again=False))
        response.headers["Cache-Control"] = "no-store"
        return response
    flash(f"Done: {kept.display_name}'s records are together now." if duplicate.status == "merged"
          else f"Done: {kept.display_name} is kept as a different person.", "success")
    return redirect(url_for("outreach.duplicates_page"), 303)


def _again(errors, status=422):
    return render_template("outreach/duplicates.html", items=_review_items(),
                           errors=[("", message) for _, message in errors]), status
