"""Staff pages for importing sign-up sheets: upload, check what would happen, confirm, see the result."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from skills_hub.accounts import policy, privacy
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import Branch, Role
from skills_hub.errors import Conflict, DomainError, ValidationFailed
from skills_hub.exports import csv_response
from skills_hub.extensions import db
from skills_hub.imports import services, sheets
from skills_hub.imports.schemas import UploadForm
from skills_hub.validation import flatten_errors, load_form

bp = Blueprint("imports", __name__)

staff_required = policy.page_for(Role.STAFF, Role.ADMIN)


def _upload_page(errors: list[tuple[str, str]], values: dict, status: int = 200,
                 unrecognised: list[str] = ()) -> tuple[str, int]:
    return render_template("imports/upload.html", errors=errors, values=values, unrecognised=list(unrecognised),
                           branches=accounts.branches_of(current_user), version=privacy.current_version(),
                           columns=list(sheets.COLUMNS.values()), max_rows=sheets.MAX_ROWS,
                           max_mb=sheets.MAX_BYTES // (1024 * 1024)), status


@bp.get("/staff/imports")
@staff_required
def upload_page():
    return _upload_page([], {})


@bp.get("/staff/imports/template.csv")
@staff_required
def template_file() -> Response:
    return csv_response(list(sheets.COLUMNS.values()), [], "sign-up-sheet-template.csv")


@bp.post("/staff/imports")
@staff_required
def check():
    """The dry run: nothing is added yet. The check keeps the file, so confirming needs no second upload."""
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    form, errors = load_form(UploadForm())
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors.append(("file", "Choose the sign-up sheet to import: a CSV file."))
    if errors:
        return _upload_page(_in_page_order(errors), values, 422)
    try:
        branch = services.branch_for_import(current_user, form["branch_id"])
        consent = services.consent_for(privacy.current_version(), "paper")  # the page shows this version
        result = services.check_sheet(current_user, branch, upload.read(), consent=consent,
                                      filename=upload.filename)
    except DomainError as error:
        found = flatten_errors(error.errors) or [("file", error.detail)]
        page_errors = [("branch_id" if field == "branch" else "file", error.detail if field == "file" else message)
                       for field, message in found]
        return _upload_page(page_errors, values, error.status, error.extra.get("unrecognised_columns", []))
    db.session.commit()
    return redirect(url_for("imports.import_page", import_id=result.record.id), code=303)


def _in_page_order(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    order = ["branch_id", "file", "consent"]
    return sorted(errors, key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order))


@bp.get("/staff/imports/<uuid:import_id>")
@staff_required
def import_page(import_id: uuid.UUID):
    record = services.import_for(current_user, import_id)
    return render_template("imports/result.html", record=record, rows=services.rows_of(record),
                           branch=_branch_name(record), labels=services.labels_for(record))


@bp.post("/staff/imports/<uuid:import_id>/confirm")
@staff_required
def confirm(import_id: uuid.UUID):
    record = services.import_for(current_user, import_id, for_update=True)
    try:
        result = services.confirm(current_user, record)
    except Conflict:
        db.session.rollback()
        flash("This sheet was imported already, so nothing new was added.", "info")
        return redirect(url_for("imports.import_page", import_id=import_id), code=303)
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.detail, "error")
        return redirect(url_for("imports.upload_page"), code=303)
    db.session.commit()
    return render_template("imports/result.html", record=result.record, rows=result.rows,
                           branch=_branch_name(result.record), labels=services.labels_for(result.record))


def _branch_name(record) -> str:
    branch = db.session.get(Branch, record.branch_id) if record.branch_id else None
    return branch.name if branch else ""
