"""Certificate endpoints of the JSON API: public verification, the learner's certificates, revocation."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, url_for

from skills_hub import codes
from skills_hub.accounts import policy
from skills_hub.accounts.api import signed_in
from skills_hub.accounts.permissions import VIEW_LEARNER
from skills_hub.certificates import pdf, services
from skills_hub.certificates.models import Certificate
from skills_hub.certificates.permissions import CHANGE_CERTIFICATES
from skills_hub.certificates.schemas import CertificateOut, CertificateQuery, ReasonBody, VerificationOut
from skills_hub.endpoints import api_endpoint, page_of
from skills_hub.errors import problem
from skills_hub.extensions import db, limiter

bp = Blueprint("certificates_api", __name__, url_prefix="/api/v1")
VERIFY_LIMIT = "60 per minute"


def certificate_out(certificate: Certificate) -> dict:
    base = current_app.config["BASE_URL"]
    code = codes.grouped(certificate.code)
    return {"code": code, "course": certificate.course_slug, "course_title": certificate.course_title,
            "learner_name": certificate.learner_name, "display_name": certificate.learner_name,
            "awarded_at": certificate.awarded_at,
            "status": certificate.status,
            "pdf_url": f"{base}/certificates/{code}.pdf", **pdf_state(certificate),
            "credential_url": f"{base}/api/v1/certificates/{code}/credential",
            "verify_url": base + url_for("certificates.verify_code", code=code)}


def pdf_state(certificate: Certificate) -> dict:
    """What pdf_url answers now: the PDF, "being prepared", "cannot be printed" (and why) or "gone"."""
    problem = None
    if certificate.status != "valid":
        state = "gone"
    elif pdf.ready_pdf(certificate) is not None:
        state = "ready"
    else:
        problem = services.render_failure(certificate)
        state = "being prepared" if problem is None else "cannot be printed"
    return {"pdf_status": state, "pdf_problem": problem}


@api_endpoint(bp, "/verify/<code>", summary="Check a certificate by its code (public; a mistyped code is 422).",
              response=VerificationOut(), errors=(404, 422, 429))
@limiter.limit(VERIFY_LIMIT)
def verify(code: str):
    return services.verification(services.find(code))


@api_endpoint(bp, "/certificates", summary="Your certificates, or a learner's (staff of their branch, admins).",
              query=CertificateQuery(), response=page_of(CertificateOut)(), errors=(401, 404))
def list_certificates(query: dict):
    actor = signed_in()
    learner_id = query["learner_id"] or actor.id
    if learner_id != actor.id:
        policy.learner_for(actor, learner_id, VIEW_LEARNER)
    items = services.of_learner(learner_id)
    start = (query["page"] - 1) * query["per_page"]
    return {"items": [certificate_out(c) for c in items[start:start + query["per_page"]]], "page": query["page"],
            "per_page": query["per_page"], "total": len(items)}


@api_endpoint(bp, "/certificates/<code>", summary="One certificate (its learner, their staff, admins).",
              response=CertificateOut(), errors=(401, 404, 422))
def get_certificate(code: str):
    return certificate_out(services.for_viewer(signed_in(), code))


def _change_status(code: str, action: str, reason: str) -> dict:
    actor = signed_in()
    policy.require(actor, CHANGE_CERTIFICATES)
    certificate = services.find(code)
    services.change_status(actor, certificate, action, reason)
    db.session.commit()
    return certificate_out(certificate)


@api_endpoint(bp, "/certificates/<code>/revoke", "POST", summary="Revoke a certificate (admin; a reason is "
              "needed). The verify page then says so.", body=ReasonBody(), response=CertificateOut(),
              errors=(401, 403, 404, 409, 422))
def revoke(code: str, body: dict):
    return _change_status(code, "revoke", body["reason"])


@api_endpoint(bp, "/certificates/<code>/reinstate", "POST", summary="Reinstate a revoked certificate (admin).",
              body=ReasonBody(), response=CertificateOut(), errors=(401, 403, 404, 409, 422))
def reinstate(code: str, body: dict):
    return _change_status(code, "reinstate", body["reason"])


@api_endpoint(bp, "/certificates/<code>/reissue", "POST", summary="Re-issue with the learner's current name "
              "(admin): a new code, the same award date; the old one is superseded.", body=ReasonBody(),
              response=CertificateOut(), status=201, errors=(401, 403, 404, 409, 422))
def reissue(code: str, body: dict):
    actor = signed_in()
    policy.require(actor, CHANGE_CERTIFICATES)
    new = services.reissue(actor, services.find(code), body["reason"])
    db.session.commit()
    return certificate_out(new), 201


@api_endpoint(bp, "/certificates/<code>/credential", summary="The signed Open Badges 3.0 credential (its learner, "
              "their staff, admins); 202 while it is being prepared; signed even when the PDF cannot be printed; "
              "410 once withdrawn.", errors=(401, 404, 410, 422),
              media_type="application/vc+ld+json", also=((202, "application/json"),))
def credential(code: str):
    certificate = services.for_viewer(signed_in(), code)
    if certificate.status == "withdrawn":
        return problem(410, "Gone", "This certificate was withdrawn at the holder's request, and its credential "
                                    "with it.", "gone")
    stored = services.credential(certificate)
    db.session.commit()  # a credential signed before status entries is signed again, once
    if stored is None:
        return Response(json.dumps({"status": "being prepared"}), status=202, mimetype="application/json",
                        headers={"Retry-After": "5"})
    return Response(stored, mimetype="application/vc+ld+json")
