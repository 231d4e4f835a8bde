"""Account endpoints of the JSON API: tokens, the caller, and residents (staff and admin)."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, current_app, g, request
from flask_login import current_user
from marshmallow import Schema, fields

from skills_hub.accounts import policy, privacy, services, tokens, two_step
from skills_hub.accounts.permissions import EDIT_LEARNER, VIEW_LEARNER
from skills_hub.accounts.schemas import (
    BranchLink,
    LearnerCreate,
    LearnerCreated,
    LearnerFound,
    LearnerLookup,
    LearnerOut,
    LearnerSearch,
    LearnerUpdate,
    MeOut,
    TokenOut,
    TokenRequest,
)
from skills_hub.accounts.views import account_limit
from skills_hub.audit import services as audit
from skills_hub.endpoints import api_endpoint, page_of
from skills_hub.errors import Forbidden, Unauthorized
from skills_hub.extensions import db, limiter

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")
IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0f3c52-8f8e-4d1e-9a57-6a2d0c1f4e10")


def signed_in():
    """The caller, by bearer token or session cookie; 401 otherwise."""
    if not current_user.is_authenticated:
        raise Unauthorized("Sign in first: send Authorization: Bearer <token> from POST /api/v1/tokens.")
    return current_user._get_current_object()


@api_endpoint(bp, "/tokens", "POST", summary="Sign in for a bearer token (email and password, or learner number "
              "and PIN).", body=TokenRequest(), response=TokenOut(), status=201, errors=(401, 422, 429))
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@account_limit
def create_token(body: dict):
    try:
        user = services.user_for_credentials(body["username"], body["password"])
    except services.PinLocked:
        db.session.commit()  # keep the lock
        raise
    db.session.commit()  # a wrong PIN is counted even though the answer is 401
    if user is None:
        raise Unauthorized("The username or password is not right.")
    if two_step.is_on(user):
        if not body.get("otp") or not two_step.verify(user, body["otp"]):
            db.session.commit()  # a recovery code tried is used up only when right; nothing else changed
            raise Unauthorized("This account uses two-step verification: send the current code as otp.",
                               errors={"otp": ["Send the 6-number code from the authenticator app."]})
    elif two_step.required_for(user):
        raise Forbidden("This account must turn on two-step verification first, on its account page.")
    secret, token = tokens.issue_api_token(user, name="API sign-in")
    db.session.commit()
    return {"token": secret, "expires_at": token.expires_at}


@api_endpoint(bp, "/tokens/current", "DELETE", summary="Revoke the bearer token in use.", status=204,
              errors=(401,))
def revoke_current_token():
    signed_in()
    token = g.get("api_token")
    if token is None:
        raise Unauthorized("Send the token to revoke as Authorization: Bearer <token>.")
    token.revoked_at = tokens.utcnow()
    db.session.commit()
    return Response(status=204)


@api_endpoint(bp, "/me", summary="The caller.", response=MeOut(), errors=(401,))
def me():
    user = signed_in()
    return {"id": user.id, "role": user.role.value, "display_name": user.display_name,
            "branch_ids": policy.branch_ids_of(user), "organisation_id": user.organisation_id}


@api_endpoint(bp, "/learners", "POST", summary="Register a resident (no email needed); 409 for a likely duplicate.",
              body=LearnerCreate(), response=LearnerCreated(), status=201, replay_status=200,
              errors=(401, 403, 404, 409, 422))
def create_learner(body: dict):
    actor = signed_in()
    key = request.headers.get("Idempotency-Key", "").strip()
    if key and body.get("client_id") is None:  # the header stands in for client_id, per caller
        body["client_id"] = uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{actor.id}:{key}")
    registration = services.register_learner(actor, body)
    db.session.commit()
    data = services.learner_out(registration.learner, pin=registration.pin)
    return data, 201 if registration.created else 200


@api_endpoint(bp, "/learners/lookup", summary="Find a resident in any branch by an exact learner number, or by "
              "exact name and date of birth (audited).", query=LearnerLookup(), response=LearnerFound(),
              errors=(401, 403, 404, 409, 422))
def lookup_learner(query: dict):
    actor = signed_in()
    try:
        learner = services.lookup(actor, query)
    finally:
        db.session.commit()  # the audit entry stays, found or not
    return services.learner_out(learner)


@api_endpoint(bp, "/learners/<learner_id>/branches", "POST", summary="Link a resident to one of your branches "
              "(audited).", body=BranchLink(), response=LearnerFound(), errors=(401, 403, 404, 422))
def link_learner(learner_id: str, body: dict):
    learner = services.link_to_branch(signed_in(), learner_id, body["branch_id"])
    db.session.commit()
    return services.learner_out(learner)


@api_endpoint(bp, "/learners", summary="Residents of your branches, by name or learner number.",
              query=LearnerSearch(), response=page_of(LearnerOut)(), errors=(401, 403, 422))
def list_learners(query: dict):
    learners, total = services.search(signed_in(), query["q"], query["page"], query["per_page"])
    branches = services.branch_ids_by_user([learner.id for learner in learners])
    pending = tokens.pending_emails(learners)
    return {"items": [services.learner_out(learner, branches.get(learner.id, []), pending_email=pending.get(learner.id))
                      for learner in learners],
            "page": query["page"], "per_page": query["per_page"], "total": total}


@api_endpoint(bp, "/learners/<learner_id>", summary="One resident (audited).", response=LearnerOut(),
              errors=(401, 404))
def get_learner(learner_id: str):
    learner = policy.learner_for(signed_in(), learner_id, VIEW_LEARNER)
    audit.record("learner.viewed", learner.id)
    db.session.commit()
    return services.learner_out(learner)


@api_endpoint(bp, "/learners/<learner_id>", "PATCH", summary="Change a resident's details (send the version you "
              "read; 409 when it is stale).", body=LearnerUpdate(), response=LearnerOut(),
              errors=(401, 404, 409, 422))
def update_learner(learner_id: str, body: dict):
    learner = policy.learner_for(signed_in(), learner_id, EDIT_LEARNER)
    services.update_learner(current_user, learner, body)
    db.session.commit()
    return services.learner_out(learner)


# The privacy notice a consent must quote ------------------------------------------------------------------------

class PrivacyNoticeOut(Schema):
    version = fields.String(metadata={"description": "Quote this as privacy_notice_version (or "
                                                     "consent_notice_version) when recording consent."})
    url = fields.String(metadata={"description": "The notice as a page, to show the resident."})
    text = fields.String(metadata={"description": "The notice itself, in Markdown."})


@api_endpoint(bp, "/privacy-notice", summary="The current privacy notice: the version a consent must quote, its "
              "page and its text. Public.", response=PrivacyNoticeOut())
def privacy_notice():
    version = privacy.current_version()
    return {"version": version, "url": f"{current_app.config['BASE_URL']}/privacy?version={version}",
            "text": privacy.notice_text(version)}
