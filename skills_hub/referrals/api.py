"""Referral endpoints: make one (idempotent by client_id), list and read them, move them on."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import func, select

from skills_hub.accounts.api import signed_in
from skills_hub.endpoints import api_endpoint, page_of
from skills_hub.extensions import db
from skills_hub.referrals import services
from skills_hub.referrals.models import Referral
from skills_hub.referrals.schemas import ReferralCreate, ReferralOut, ReferralQuery, TransitionIn

bp = Blueprint("referrals_api", __name__, url_prefix="/api/v1")


@api_endpoint(bp, "/referrals", "POST", summary="Refer a resident to a service, with their permission to share "
              "(without it: 422). A replayed client_id answers 200 with the same referral.", body=ReferralCreate(),
              response=ReferralOut(), status=201, replay_status=200, errors=(401, 403, 404, 422))
def create_referral(body: dict):
    made = services.make(signed_in(), body)
    db.session.commit()
    return made.referral, 201 if made.created else 200


@api_endpoint(bp, "/referrals", summary="Referrals you may see: a provider its organisation's, staff their "
              "branches' residents', a learner their own, admins all. Newest first.", query=ReferralQuery(),
              response=page_of(ReferralOut)(), errors=(401, 422))
def list_referrals(query: dict):
    visible = services.visible_referrals(signed_in())
    if query["status"]:
        visible = visible.where(Referral.status == query["status"])
    if query["learner_id"]:
        visible = visible.where(Referral.learner_id == query["learner_id"])
    total = db.session.scalar(select(func.count()).select_from(visible.subquery()))
    items = db.session.scalars(visible.order_by(Referral.created_at.desc(), Referral.id)
                               .limit(query["per_page"]).offset((query["page"] - 1) * query["per_page"])).all()
    return {"items": items, "page": query["page"], "per_page": query["per_page"], "total": total}


@api_endpoint(bp, "/referrals/<referral_id>", summary="One referral. The first time a provider user reads it, it "
              "becomes viewed (a read receipt: version unchanged).", response=ReferralOut(), errors=(401, 404))
def get_referral(referral_id: str):
    actor = signed_in()
    referral = services.referral_for(actor, referral_id)
    services.opened_by(actor, referral)
    db.session.commit()
    return referral


@api_endpoint(bp, "/referrals/<referral_id>/transitions", "POST", summary="Move a referral on: 409 for a stale "
              "version or a move not possible from its status, 403 for a status your role never sets.",
              body=TransitionIn(), response=ReferralOut(), errors=(401, 403, 404, 409, 422))
def transition_referral(referral_id: str, body: dict):
    actor = signed_in()
    referral = services.referral_for(actor, referral_id)
    services.transition(actor, referral, body["to"], body["version"], body["reason_code"], body["reason"])
    db.session.commit()
    return referral
