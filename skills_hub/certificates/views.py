"""Certificate pages: the public verify page, a learner hiding their name, an admin revoking or reinstating."""

from __future__ import annotations

import json
import uuid

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from marshmallow import ValidationError, fields, validate
from sqlalchemy import select

from skills_hub import codes, storage
from skills_hub.accounts import policy
from skills_hub.accounts.models import Role
from skills_hub.certificates import credentials, pdf, services, status_list
from skills_hub.certificates.api import VERIFY_LIMIT
from skills_hub.certificates.models import Certificate
from skills_hub.certificates.schemas import CertificateSearch, ReasonBody
from skills_hub.errors import DomainError, NotFound
from skills_hub.extensions import db, limiter
from skills_hub.i18n import translate
from skills_hub.validation import flatten_errors, load_form

bp = Blueprint("certificates", __name__)


class AdminReasonForm(ReasonBody):
    csrf_token = fields.String()
    action = fields.String(required=True, validate=validate.OneOf(["revoke", "reinstate", "reissue"]))


@bp.get("/issuer")
def issuer():
    """The issuer's Open Badges Profile, listing every key that signed a credential still valid."""
    keys = [credentials.public_key_multibase(credentials.signing_key().public_key())]
    keys += [key for key in services.keys_of_valid_credentials() if key not in keys]
    return jsonify(credentials.issuer_profile(keys))


@bp.get("/issuer/status/revocation")
def revocation_list():
    """The signed revocation status list (W3C Bitstring Status List): a set bit is a revoked or withdrawn
    certificate. Kept briefly by caches, so a revocation is seen within minutes."""
    response = Response(json.dumps(status_list.signed_list()), mimetype="application/vc+ld+json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/verify")
def verify_form():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("certificates.verify_code", code=code))
    return render_template("certificates/verify.html", result=None, errors=[], code="")


@bp.get("/verify/<code>")
@limiter.limit(VERIFY_LIMIT)
def verify_code(code: str):
    """Public: anyone can check a certificate without an account."""
    try:
        certificate = services.find(code)
    except DomainError as error:
        return render_template("certificates/verify.html", result=None, errors=[("code", translate(error.detail))],
                               code=code[:40]), error.status
    return render_template("certificates/verify.html", result=services.verification(certificate), errors=[],
                           code=code)


@bp.get("/certificates/<code>.pdf")
@login_required
def download(code: str):
    """The PDF for its learner, their branch's staff and admins. 202 with a "being prepared" page until the
    render job has run; then the stored file with an ETag. 409 with the reason in plain words when the render job
    failed (a name no font can print); 410 for a certificate taken back, withdrawn or replaced."""
    certificate = services.for_viewer(current_user, code)
    if certificate.status != "valid":  # taken back or replaced: its PDF goes to no one, staff and admins too
        return _gone(certificate)
    etag = pdf.ready_pdf(certificate)
    if etag is None:
        failure = services.render_failure(certificate)
        if failure is not None:
            return render_template("certificates/cannot_print.html", code=code, reason=failure), 409
        response = make_response(render_template("certificates/preparing.html", code=code), 202)
        response.headers["Retry-After"] = "5"
        return response
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    response = Response(storage.load(pdf.storage_key(certificate)), mimetype="application/pdf")
    response.set_etag(etag)
    response.headers["Content-Disposition"] = f'inline; filename="certificate-{certificate.code}.pdf"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.app_template_filter("certificate_of_job")
def certificate_of_job(job) -> str | None:
    """The code of the certificate a render job is for (admins' failed jobs name it, never the resident)."""
    if job.kind != pdf.RENDER_JOB:
        return None
    code = db.session.scalar(select(Certificate.code).where(
        Certificate.id == uuid.UUID(job.payload["certificate_id"])))
    return codes.grouped(code) if code else None


def _gone(certificate):
    """410 for a certificate that is not valid any more, in plain words."""
    if certificate.status == "superseded" and certificate.superseded_by_id:
        new = codes.grouped(db.session.get(Certificate, certificate.superseded_by_id).code)
        return render_template("certificates/gone.html", title=gettext("This certificate was replaced"),
                               new=new), 410
    if certificate.status == "withdrawn":
        return render_template("certificates/gone.html", title=gettext("This certificate was withdrawn"), new=None,
                               detail=gettext("It was withdrawn at the holder's request, and its PDF with it.")), 410
    return render_template("certificates/gone.html", title=gettext("This certificate was taken back"), new=None,
                           detail=gettext("It was taken back, so you cannot download it any more.")), 410


@bp.post("/certificates/<code>/name")
@policy.page_for(Role.LEARNER)
def name_visibility(code: str):
    """The learner chooses whether the public verify page shows their name."""
    certificate = services.find(code)
    if certificate.learner_id != current_user.id:
        raise NotFound(gettext("There is no certificate with this code."))
    certificate.hide_name = request.form.get("hide_name") == "yes"
    db.session.commit()
    flash(gettext("Your name is hidden on the public check page.") if certificate.hide_name
          else gettext("Your name shows on the public check page."), "success")
    return redirect(url_for("learning.my_learning"))


@bp.route("/admin/certificates/<code>", methods=["GET", "POST"])
@policy.page_for(Role.ADMIN)
def manage(code: str):
    """Revoke a certificate (a reason is needed) or reinstate it."""
    certificate = services.find(code)
    errors = []
    if request.method == "POST":
        form, errors = load_form(AdminReasonForm())
        if not errors:
            action = form["action"]
            if action == "reissue":
                new = services.reissue(current_user, certificate, form["reason"])
                db.session.commit()
                flash("A new certificate is issued with the current name. The old code now points to it.",
                      "success")
                return redirect(url_for("certificates.manage", code=codes.grouped(new.code)))
            services.change_status(current_user, certificate, action, form["reason"])
            db.session.commit()
            flash("The certificate is revoked." if action == "revoke" else "The certificate is valid again.",
                  "success")
            return redirect(url_for("certificates.manage", code=code))
    return render_template("certificates/manage.html", certificate=certificate,
                           result=services.verification(certificate), errors=errors), 422 if errors else 200


@bp.get("/admin/certificates/find")
@policy.page_for(Role.ADMIN)
def find():
    """Admins find a certificate by its code (any case, with or without dashes) or the name on it."""
    try:
        query = CertificateSearch().load(request.args.to_dict())
    except ValidationError as error:
        return render_template("certificates/find.html", errors=flatten_errors(error.messages), q="",
                               found=None), 422
    found = services.search(current_user, query["q"]) if query["q"].strip() else None
    return render_template("certificates/find.html", errors=[], q=query["q"], found=found,
                           limit=services.SEARCH_LIMIT)
