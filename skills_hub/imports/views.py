"""Staff pages for importing sign-up sheets: upload, check what would happen, confirm, see the result."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from skills_hub.accounts import policy, privacy
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import Branch, Role
from skills_hub.errors import Conflict, DomainError, ValidationFailed
from skills_hub.exports import csv_response
from skills_hub.extensions import db
from skills_hub.imports import services, sheets
from skills_hub.imports.schemas import ConfirmForm, UploadForm
from skills_hub.validation import flatten_errors, load_form

bp = Blueprint("imports", __name__)

staff_required = policy.page_for(Role.STAFF, Role.ADMIN)
CHOOSE_AGAIN = "Choose the sign-up sheet again: the browser forgets the chosen file when the page shows a problem."


def _upload_page(errors: list[tuple[str, str]], values: dict, status: int = 200,
                 unrecognised: list[str] = ()) -> tuple[str, int]:
    return render_template("imports/upload.html", errors=errors, values=values, unrecognised=list(unrecognised),
                           branches=accounts.branches_of(current_user),
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
    """The dry run: nothing is added yet. The check keeps the file, so confirming needs no second upload; the
    residents' agreement is asked there, once."""
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    form, errors = load_form(UploadForm())
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors.append(("file", "Choose the sign-up sheet to import: a CSV file."))
    if errors:
        return _upload_page(_in_page_order(_choose_again(errors, upload)), values, 422)
    try:
        branch = services.branch_for_import(current_user, form["branch_id"])
        consent = services.consent_for(privacy.current_version(), "paper")  # the page shows this version
        result = services.check_sheet(current_user, branch, upload.read(), consent=consent,
                                      filename=upload.filename)
    except DomainError as error:
        found = flatten_errors(error.errors) or [("file", error.detail)]
        page_errors = [("branch_id" if field == "branch" else "file", error.detail if field == "file" else message)
                       for field, message in found]
        return _upload_page(_choose_again(page_errors, upload), values, error.status,
                            error.extra.get("unrecognised_columns", []))
    db.session.commit()
    return redirect(url_for("imports.import_page", import_id=result.record.id), code=303)


def _choose_again(errors: list[tuple[str, str]], upload) -> list[tuple[str, str]]:
    """A problem with anything but the file loses the chosen file all the same (a browser cannot be given it back):
    say so where the file is chosen."""
    if upload is not None and upload.filename and not any(field == "file" for field, _ in errors):
        return [*errors, ("file", CHOOSE_AGAIN)]
    return errors


def _in_page_order(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    order = ["branch_id", "file"]
    return sorted(errors, key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order))


@bp.get("/staff/imports/<uuid:import_id>")
@staff_required
def import_page(import_id: uuid.UUID):
    """The dry run with its confirm form, or the result of the import: read from the stored import, so reloading
    it changes nothing. Never a PIN: the result page leads to the PIN page for the login cards."""
    return _import_page(services.import_for(current_user, import_id))


def _import_page(record, errors: list[tuple[str, str]] = (), form: dict | None = None, status: int = 200):
    return render_template("imports/result.html", record=record, rows=services.rows_of(record),
                           branch=_branch_name(record), labels=services.labels_for(record), errors=list(errors),
                           form=form or {}, version=record.consent_notice_version), status


def _confirm_form() -> tuple[dict, list[tuple[str, str]], dict]:
    """The confirm form (ticks come as one add_line per row), and what to show again after a problem."""
    data = {**request.form.to_dict(), "add_line": request.form.getlist("add_line")}
    shown = {"consent": data.get("consent") == "yes", "add_line": set(data["add_line"])}
    try:
        return ConfirmForm().load(data), [], shown
    except ValidationError as error:
        return {}, [(field.split(".")[0], message) for field, message in flatten_errors(error.messages)], shown


@bp.post("/staff/imports/<uuid:import_id>/confirm")
@staff_required
def confirm(import_id: uuid.UUID):
    """Import the checked sheet, then show the result at its own address (post, then redirect): reloading it
    sends nothing again. A problem with the form shows the check again, with the sheet still kept."""
    record = services.import_for(current_user, import_id, for_update=True)
    form, errors, shown = _confirm_form()
    if errors and record.dry_run and record.raw is not None:
        return _import_page(record, errors, shown, 422)
    try:
        services.confirm(current_user, record, frozenset(form.get("add_line", [])))
    except Conflict:
        db.session.rollback()
        # A double click sends the form twice: the second request only shows the first one's result.
        flash("This sheet was imported already: this page shows what that import did.", "info")
        return redirect(url_for("imports.import_page", import_id=import_id), code=303)
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.detail, "error")
        return redirect(url_for("imports.upload_page"), code=303)
    db.session.commit()
    return redirect(url_for("imports.import_page", import_id=import_id), code=303)


def _branch_name(record) -> str:
    branch = db.session.get(Branch, record.branch_id) if record.branch_id else None
    return branch.name if branch else ""
