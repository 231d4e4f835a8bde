"""CSV import endpoints (see services.py): check or import a sign-up sheet, and download its row report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from skills_hub.accounts.api import signed_in
from skills_hub.accounts.permissions import REGISTER_LEARNER
from skills_hub.accounts.policy import require
from skills_hub.audit import services as audit
from skills_hub.endpoints import api_endpoint, load_or_422
from skills_hub.errors import UnsupportedMediaType, ValidationFailed
from skills_hub.exports import csv_response
from skills_hub.extensions import db
from skills_hub.imports import services
from skills_hub.imports.schemas import ImportOut, ImportQuery

bp = Blueprint("imports_api", __name__, url_prefix="/api/v1")
CSV_TYPES = {"text/csv", "application/csv"}
NO_FILE = "Send the sign-up sheet as the multipart form field file, or as the body with Content-Type: text/csv."


def _parameters(query: dict[str, Any]) -> dict[str, Any]:
    """The query parameters, and the same parameters sent as form fields beside a multipart file."""
    form = {key: value for key, value in request.form.items() if key != "csrf_token"}
    if not form:
        return query
    loaded = load_or_422(ImportQuery(), form, "form")
    both = query.keys() & loaded.keys()
    if both:
        raise ValidationFailed("Send each parameter once: in the query string or as a form field.",
                               errors={key: ["Sent twice."] for key in sorted(both)})
    return {**query, **loaded}


def _uploaded_file() -> tuple[bytes, str]:
    """The file's bytes and name, from the multipart field `file` or a text/csv body."""
    if request.mimetype == "multipart/form-data":
        others = [key for key in request.files if key != "file"]
        if others:
            raise ValidationFailed("Send the sign-up sheet as the form field file.",
                                   errors={key: ["Unknown field."] for key in others})
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(NO_FILE, errors={"file": ["Choose a CSV file to import."]})
        return upload.read(), upload.filename or ""
    if request.mimetype in CSV_TYPES:
        return request.get_data(cache=False), ""
    if not request.mimetype and not request.content_length:
        raise ValidationFailed(NO_FILE, errors={"file": ["Choose a CSV file to import."]})
    raise UnsupportedMediaType(NO_FILE)


@api_endpoint(bp, "/imports/learners", "POST", summary="Import residents from a sign-up sheet (CSV, as the multipart "
              "field `file` or a text/csv body). With dry_run=true, only say what would happen, row by row, and "
              "keep the file so that import_id can confirm it. A row an earlier import made is already_imported.",
              query=ImportQuery(), response=ImportOut(), errors=(401, 403, 404, 409, 413, 415, 422))
def import_learners(query: dict):
    actor = signed_in()
    require(actor, REGISTER_LEARNER)
    params = _parameters(query)
    if params.get("import_id"):
        if request.files or request.get_data(cache=False):
            raise ValidationFailed("Send the file, or the import_id of its dry run, not both.",
                                   errors={"import_id": ["Send no file with import_id."]})
        if params.keys() - {"import_id", "dry_run"} or params.get("dry_run"):
            raise ValidationFailed("import_id confirms a dry run as it was checked: send it alone.",
                                   errors={"import_id": ["Send import_id alone."]})
        result = services.confirm(actor, services.import_for(actor, params["import_id"], for_update=True))
    else:
        branch = services.branch_for_import(actor, params.get("branch"))
        consent = services.consent_for(params.get("consent_notice_version"), params.get("consent_method"))
        raw, filename = _uploaded_file()
        run = services.check_sheet if params.get("dry_run") else services.import_sheet
        result = run(actor, branch, raw, consent=consent, filename=filename)
    db.session.commit()
    response = jsonify(ImportOut().dump(result.answer()))
    if not result.record.dry_run:
        response.headers["Cache-Control"] = "no-store"  # it names the new residents (their PINs are made later)
    return response


@api_endpoint(bp, "/imports/<import_id>/report.csv", summary="The row report of an import or dry run, as CSV "
              "(UTF-8 with a byte order mark). Every row with its line, result and problems; never a PIN.",
              errors=(401, 403, 404))
def import_report(import_id: str) -> Response:
    record = services.import_for(signed_in(), import_id)
    rows = services.report_rows(record)
    audit.record("learners.import_report_read", None, import_id=record.id)
    db.session.commit()
    kind = "check" if record.dry_run else "import"
    return csv_response(services.REPORT_HEADER, rows, f"sign-up-sheet-{kind}-{record.created_at:%Y-%m-%d}.csv")
