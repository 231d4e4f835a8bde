"""`GET /api/v1/learners/{id}/export` (subject access) and `POST /api/v1/learners/{id}/erase` (admins)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from marshmallow import Schema, fields, validate

from skills_hub.accounts import policy
from skills_hub.accounts.api import signed_in
from skills_hub.accounts.permissions import VIEW_LEARNER
from skills_hub.audit import services as audit
from skills_hub.dataprotection import services
from skills_hub.dataprotection.permissions import ERASE_LEARNER
from skills_hub.endpoints import STRING_LIST, InputSchema, api_endpoint, json_body, load_or_422
from skills_hub.extensions import db

bp = Blueprint("dataprotection_api", __name__, url_prefix="/api/v1")


def zip_response(learner) -> Response:
    audit.record("learner.data_exported", learner.id)
    db.session.commit()
    response = Response(services.export_zip(learner), mimetype="application/zip")
    name = f"skills-hub-data-{learner.learner_number or learner.id}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@api_endpoint(bp, "/learners/<learner_id>/export", summary="Everything held about a resident (subject access): a "
              "zip of data.json (one key per domain) and one CSV per domain. Staff of their branch, admins, and "
              "the resident themselves.", errors=(401, 404), media_type="application/zip")
def export_learner(learner_id: str):
    return zip_response(policy.learner_for(signed_in(), learner_id, VIEW_LEARNER))


class EraseIn(InputSchema):
    reason = fields.String(load_default="Erased through the API.", validate=validate.Length(min=1, max=500))


class ErasedOut(Schema):
    learner_id = fields.UUID()
    anonymised_fields = fields.List(fields.String(), metadata=STRING_LIST)
    referrals_withdrawn = fields.Integer()
    providers_notified = fields.Integer()
    certificates_withdrawn = fields.Integer()


@api_endpoint(bp, "/learners/<learner_id>/erase", "POST", summary="Erase a resident (admins): names, contact "
              "details, date of birth and full postcode go; open referrals and certificates are withdrawn; report "
              "figures stay. Erasing again changes nothing more.", response=ErasedOut(), errors=(401, 403, 404, 422))
def erase_learner(learner_id: str):
    actor = signed_in()
    policy.require(actor, ERASE_LEARNER)
    body = load_or_422(EraseIn(), json_body(), "request body") if request.data else EraseIn().load({})
    learner = policy.learner_for(actor, learner_id, VIEW_LEARNER)
    erased = services.erase(actor, learner, body["reason"])
    db.session.commit()
    return erased
