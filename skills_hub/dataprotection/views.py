"""Data protection pages: a resident downloads their data or asks for deletion; staff export a resident's data;
admins decide deletion requests and erase."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import select

from skills_hub.accounts import policy
from skills_hub.accounts.models import Role, User
from skills_hub.accounts.permissions import VIEW_LEARNER
from skills_hub.dataprotection import services
from skills_hub.dataprotection.api import zip_response
from skills_hub.dataprotection.models import DeletionRequest
from skills_hub.endpoints import FormSchema
from skills_hub.errors import NotFound
from skills_hub.extensions import db
from skills_hub.validation import REQUIRED, load_form

bp = Blueprint("dataprotection", __name__)
learner_page = policy.page_for(Role.LEARNER)
staff_page = policy.page_for(Role.STAFF, Role.ADMIN)
admin_page = policy.page_for(Role.ADMIN)


@bp.get("/account/data.zip")
@learner_page
def my_data():
    return zip_response(current_user._get_current_object())


@bp.route("/account/delete", methods=["GET", "POST"])
@learner_page
def ask_for_deletion():
    pending = db.session.scalar(select(DeletionRequest).where(DeletionRequest.learner_id == current_user.id,
                                                              DeletionRequest.status == "pending"))
    if request.method == "POST":  # nothing to fill in: the CSRF check is all the form has
        services.request_deletion(current_user._get_current_object())
        db.session.commit()
        flash(gettext("We have your request. The programme team will delete your account soon."), "success")
        return redirect(url_for("dataprotection.ask_for_deletion"), 303)
    return render_template("dataprotection/delete.html", pending=pending)


@bp.get("/staff/residents/<learner_id>/data.zip")
@staff_page
def resident_data(learner_id: str):
    return zip_response(policy.learner_for(current_user, learner_id, VIEW_LEARNER))


class DecisionForm(FormSchema):
    action = fields.String(required=True, error_messages=REQUIRED, validate=validate.OneOf(
        ("erase", "refuse"), error="Choose erase or refuse."))
    note = fields.String(load_default="", validate=validate.Length(max=500, error="Up to 500 characters."))


@bp.get("/admin/deletions")
@admin_page
def deletions():
    waiting = db.session.scalars(select(DeletionRequest).order_by(DeletionRequest.requested_at.desc())
                                 .limit(100)).all()
    people = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_({item.learner_id for item in waiting})))}
    return render_template("dataprotection/deletions.html", requests=waiting, people=people, errors=[])


@bp.post("/admin/deletions/<uuid:request_id>")
@admin_page
def decide(request_id: uuid.UUID):
    deletion = db.session.get(DeletionRequest, request_id)
    if deletion is None or deletion.status != "pending":
        raise NotFound("There is no waiting deletion request with this id.")
    form, errors = load_form(DecisionForm())
    if errors or (form["action"] == "refuse" and not form["note"].strip()):
        flash("To refuse, say why in the note (the resident can be told).", "error")
        return redirect(url_for("dataprotection.deletions"), 303)
    services.decide(current_user, deletion, form["action"] == "erase", form["note"].strip())
    db.session.commit()
    flash("The account is erased." if form["action"] == "erase" else "The request is refused.", "success")
    return redirect(url_for("dataprotection.deletions"), 303)


class EraseForm(FormSchema):
    reason = fields.String(required=True, error_messages={**REQUIRED, "required": "Say why."},
                           validate=validate.Length(min=3, max=500, error="Say why, in up to 500 characters."))


@bp.post("/admin/residents/<learner_id>/erase")
@admin_page
def erase(learner_id: str):
    learner = policy.learner_for(current_user, learner_id, VIEW_LEARNER)
    form, errors = load_form(EraseForm())
    if errors:
        flash(errors[0][1], "error")
        return redirect(url_for("staff.resident", learner_id=learner.id), 303)
    erased = services.erase(current_user, learner, form["reason"])
    db.session.commit()
    flash(f"Erased. The record is now “resident {erased.reference}”; {erased.referrals_withdrawn} open referrals "
          "were withdrawn.", "success")
    return redirect(url_for("staff.dashboard"), 303)
