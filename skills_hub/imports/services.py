"""Import residents from a sign-up sheet: a dry run that writes no learner, then the import, row by row.

Each row becomes a `POST /api/v1/learners` body with a client_id made from the branch and the person's details,
so importing the same sheet twice finds the first import's residents (`already_imported`) instead of making them
again or flooding the duplicates queue. Each row is registered in its own SAVEPOINT: a bad row never loses the
good ones. Services flush, never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from skills_hub import codes
from skills_hub.accounts import matching, privacy
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import Branch, Role, User
from skills_hub.accounts.permissions import REGISTER_LEARNER
from skills_hub.accounts.policy import branch_ids_of, require
from skills_hub.accounts.schemas import CONSENT_METHODS, LearnerCreate
from skills_hub.audit import services as audit
from skills_hub.errors import Conflict, DomainError, NotFound, ValidationFailed
from skills_hub.extensions import db, utcnow
from skills_hub.imports import sheets
from skills_hub.imports.models import LearnerImport
from skills_hub.languages import language_code
from skills_hub.validation import flatten_errors

# Never change: the client_ids of every resident imported so far are made from it.
CLIENT_ID_NAMESPACE = uuid.UUID("7d1f8f0e-3c2b-4b7a-9f4e-2a61c0d5b8e3")
ROW = "Row"  # the error key for a problem that is not one column's

STATUS_LABELS = {  # for staff, on the page and in the report
    "would_create": "Will be added",
    "created": "Added",
    "already_imported": "Already added before",
    "duplicate_suspected": "Held for a check: may already have an account",
    "error": "Not added: needs fixing",
    "check": "Not added: check this row",  # a cell that looks like a formula, not confirmed by staff
}
DRY_RUN_LABELS = {**STATUS_LABELS, "duplicate_suspected": "Will be held for a check: may already have an account",
                  "error": "Will be left out: needs fixing", "check": "Check this row"}
_MARK_WORDS = {"\t": "a tab", "\r": "a line break"}
_LEARNER_CREATE = LearnerCreate()


@dataclass
class RowResult:
    line: int
    status: str
    errors: dict[str, list[str]] | None = None
    learner_id: uuid.UUID | None = None
    given_name: str = ""  # from the sheet, for the page; never stored
    family_name: str = ""
    learner_number: str | None = None
    pin_pending: bool = False  # added with no email and no PIN yet: staff make it for the login card
    display_name: str = ""  # the full name as they write it: the resident's, or the sheet's (else the default)
    flagged: dict[str, str] = field(default_factory=dict)  # a row to check: column → the cell as it would be added

    @property
    def name(self) -> str:
        """The name as the resident's account will show it: the full name as written, else the accounts domain's
        default from the given and family names."""
        return self.display_name or accounts.default_display_name(self.given_name, self.family_name)

    def stored(self, *, with_name: bool = False) -> dict[str, Any]:
        row: dict[str, Any] = {"line": self.line, "status": self.status}
        if self.errors:
            row["errors"] = self.errors
        if self.learner_id:
            row["learner_id"] = str(self.learner_id)
        if self.pin_pending:
            row["pin_pending"] = True
        if with_name:
            row["given_name"], row["family_name"] = self.given_name, self.family_name
            if self.display_name:
                row["display_name"] = self.display_name
        return row


@dataclass
class ImportResult:
    record: LearnerImport
    rows: list[RowResult] = field(default_factory=list)

    def answer(self) -> dict[str, Any]:
        """What the API answers: the counts, the rows (pin_pending for a resident added with no email and no PIN
        yet: POST /api/v1/learners/pins makes it), and the columns not used."""
        rows = []
        for row in self.rows:
            item = row.stored()
            if row.learner_number:
                item["learner_number"] = codes.grouped(row.learner_number)
            rows.append(item)
        return {"import_id": self.record.id, "dry_run": self.record.dry_run, "branch_id": self.record.branch_id,
                "rows": rows, **self.record.counts, "unrecognised_columns": self.record.unrecognised_columns}


@dataclass
class _Prepared:
    line: int
    given_name: str
    family_name: str
    display_name: str
    body: dict[str, Any] | None = None  # a loaded LearnerCreate body, when the row is valid
    errors: dict[str, list[str]] = field(default_factory=dict)
    checks: dict[str, list[str]] = field(default_factory=dict)  # cells that look like formulas, by column


# Who, where and with what permission ----------------------------------------------------------------------------

def branch_for_import(actor: User, branch_id: uuid.UUID | None) -> Branch:
    """The branch the sheet's residents join: one of the actor's own (any, for an admin). 422 otherwise."""
    require(actor, REGISTER_LEARNER)
    if actor.role == Role.ADMIN:
        branch = db.session.get(Branch, branch_id) if branch_id else None
        if branch is None:
            message = "Choose which branch the residents join." if branch_id is None else \
                "There is no branch with this id."
            raise ValidationFailed(message, errors={"branch": [message]})
        return branch
    own = branch_ids_of(actor)
    if branch_id is None and len(own) == 1:
        branch_id = own[0]
    if branch_id is None:
        message = "Choose which of your branches the residents join." if own else \
            "Your account is not linked to a branch. Ask an admin to add you to your library."
        raise ValidationFailed(message, errors={"branch": [message]})
    if branch_id not in own:
        message = "You can only import residents into your own branches."
        raise ValidationFailed(message, errors={"branch": [message]})
    return db.session.get(Branch, branch_id)


def consent_for(notice_version: str | None, method: str | None) -> dict[str, str]:
    """The permission the paper sheet records, once for every row: the notice version shown and how."""
    if not notice_version or not method:
        errors = {}
        if not notice_version:
            errors["consent_notice_version"] = ["Say which privacy notice the sheet showed, like "
                                                f"{privacy.current_version()}: the residents' agreement to it is "
                                                "recorded once for the whole sheet."]
        if not method:
            errors["consent_method"] = ["Say how the residents agreed: paper, for a signed sheet."]
        raise ValidationFailed("Record the residents' agreement to the privacy notice first.", errors=errors)
    version = notice_version
    if version not in privacy.versions():
        message = f"Unknown privacy notice version. The current one is {privacy.current_version()}."
        raise ValidationFailed(message, errors={"consent_notice_version": [message]})
    if method not in CONSENT_METHODS:
        message = "Must be one of: " + ", ".join(CONSENT_METHODS) + "."
        raise ValidationFailed(message, errors={"consent_method": [message]})
    return {"privacy_notice_version": version, "given_by": "learner", "method": method}


def import_for(actor: User, import_id: uuid.UUID | str, *, for_update: bool = False) -> LearnerImport:
    """The actor's own import into one of their branches (any, for an admin); 404 for anyone else's, as if it did
    not exist."""
    require(actor, REGISTER_LEARNER)
    try:
        query = select(LearnerImport).where(LearnerImport.id == uuid.UUID(str(import_id)))
    except ValueError:
        query = None
    record = db.session.scalar(query.with_for_update() if for_update else query) if query is not None else None
    if record is None or (actor.role != Role.ADMIN and (record.user_id != actor.id
                                                        or record.branch_id not in branch_ids_of(actor))):
        raise NotFound("There is nothing at this address: no import with this id is yours.")
    return record


# Rows -----------------------------------------------------------------------------------------------------------

def client_id_for(branch_id: uuid.UUID, body: dict[str, Any]) -> uuid.UUID:
    """The same person on the same branch's sheet gets the same id, however their name's case or accents vary."""
    born = body.get("date_of_birth")
    postcode = body.get("postcode")
    key = "|".join([str(branch_id), matching.name_key(body["given_name"], body["family_name"]),
                    born.isoformat() if isinstance(born, date) else "",
                    matching.normalise_postcode(postcode) if postcode else "",
                    (body.get("email") or "").strip().lower()])
    return uuid.uuid5(CLIENT_ID_NAMESPACE, key)


def _column_errors(messages: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for path, message in flatten_errors(messages):
        name = path.split(".")[0]
        if name == "date_of_birth":
            message = message.replace("1960-03-27", sheets.DATE_EXAMPLE)
        elif name == "family_name":
            message = message.replace("last name", "family name")
        errors.setdefault(sheets.COLUMNS.get(name, ROW), []).append(message)
    return errors


def _ordered(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    order = [*sheets.COLUMNS.values(), ROW]
    return {column: errors[column] for column in sorted(errors, key=order.index)}


def formula_reason(mark: str) -> str:
    """Why a cell is held for staff to check, in plain words."""
    return (f"It starts with {_MARK_WORDS.get(mark, '“' + mark + '”')}, so a spreadsheet could run it as a "
            "formula. Check it against the paper sheet.")


def hidden_reason(found: str) -> str:
    """Why a cell with a hidden character (NUL) fails its row, in plain words."""
    return (f"This cell has a hidden character ({found}) that the spreadsheet does not show. Fix it in the "
            "spreadsheet (type the cell again), save the sheet and import it again.")


def _prepare(row: sheets.SheetRow, branch: Branch, consent: dict[str, str]) -> _Prepared:
    values = dict(row.values)
    prepared = _Prepared(row.line, values.get("given_name", ""), values.get("family_name", ""),
                         values.get("display_name", ""))
    errors: dict[str, list[str]] = {sheets.COLUMNS[name]: [hidden_reason(found)] for name, found in row.hidden.items()}
    checks = {sheets.COLUMNS[name]: [formula_reason(mark)] for name, mark in row.formulas.items()}
    converters = {"date_of_birth": sheets.iso_date, "preferred_language": language_code,
                  "phone": sheets.phone_number}
    for name, convert in converters.items():
        if name in values:
            try:
                values[name] = convert(values[name])
            except ValueError as error:
                errors.setdefault(sheets.COLUMNS[name], []).append(str(error))
                del values[name]
    try:
        body = _LEARNER_CREATE.load({**values, "branch_id": str(branch.id), "consent": consent})
    except ValidationError as error:
        for column, messages in _column_errors(error.messages).items():
            errors.setdefault(column, []).extend(messages)
        body = None
    if errors:
        for column, messages in checks.items():
            errors.setdefault(column, []).extend(messages)
        prepared.errors = _ordered(errors)
        return prepared
    body["client_id"] = client_id_for(branch.id, body)
    prepared.body, prepared.checks = body, _ordered(checks)
    return prepared


def _in_chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing_client_ids(prepared: list[_Prepared]) -> dict[uuid.UUID, uuid.UUID]:
    ids = list({p.body["client_id"] for p in prepared if p.body})
    found: dict[uuid.UUID, uuid.UUID] = {}
    for chunk in _in_chunks(ids):
        found.update((client_id, user_id) for client_id, user_id in db.session.execute(
            select(User.client_id, User.id).where(User.client_id.in_(chunk))))
    return found


def _emails_in_use(prepared: list[_Prepared]) -> set[str]:
    emails = list({accounts.normalise_email(p.body["email"]) for p in prepared if p.body and p.body.get("email")})
    used: set[str] = set()
    for chunk in _in_chunks(emails):
        used.update(db.session.scalars(select(User.email).where(User.email.in_(chunk))))
    return used


def _read(raw: bytes, branch: Branch, consent: dict[str, str], max_rows: int | None,
          max_bytes: int | None) -> tuple[sheets.Sheet, list[_Prepared]]:
    sheet = sheets.read_sheet(raw, max_rows=max_rows, max_bytes=max_bytes)
    return sheet, [_prepare(row, branch, consent) for row in sheet.rows]


def _counts(rows: list[RowResult]) -> dict[str, int]:
    statuses = [row.status for row in rows]
    return {"created": statuses.count("created"), "would_create": statuses.count("would_create"),
            "already_imported": statuses.count("already_imported"),
            "duplicates": statuses.count("duplicate_suspected"), "errors": statuses.count("error"),
            "to_check": statuses.count("check")}


def _new_record(actor: User, branch: Branch, consent: dict[str, str], filename: str, sheet: sheets.Sheet,
                dry_run: bool) -> LearnerImport:
    record = LearnerImport(id=uuid.uuid4(), branch_id=branch.id, user_id=actor.id, dry_run=dry_run,
                           filename=(filename or "")[:255], consent_notice_version=consent["privacy_notice_version"],
                           consent_method=consent["method"], unrecognised_columns=sheet.unrecognised_columns)
    db.session.add(record)
    return record


# The dry run ----------------------------------------------------------------------------------------------------

def check_sheet(actor: User, branch: Branch, raw: bytes, *, consent: dict[str, str], filename: str = "",
                max_rows: int | None = sheets.MAX_ROWS,
                max_bytes: int | None = sheets.MAX_BYTES) -> ImportResult:
    """What importing the sheet would do, row by row, writing no learner. Keeps the file to confirm later."""
    require(actor, REGISTER_LEARNER)
    sheet, prepared = _read(raw, branch, consent, max_rows, max_bytes)
    existing = _existing_client_ids(prepared)
    emails_used = _emails_in_use(prepared)
    in_file: dict[uuid.UUID, int] = {}
    new_people: dict[tuple[date, str], list[str]] = {}  # (born, postcode) → name keys of rows to be added
    rows: list[RowResult] = []
    for p in prepared:
        row = RowResult(p.line, "error", given_name=p.given_name, family_name=p.family_name,
                        display_name=p.display_name)
        rows.append(row)
        if p.body is None:
            row.errors = p.errors
            continue
        if p.checks:  # added only if staff confirm the row
            row.status, row.errors = "check", p.checks
            continue
        body, client_id = p.body, p.body["client_id"]
        email = accounts.normalise_email(body["email"]) if body.get("email") else None
        if client_id in existing or client_id in in_file:
            row.status, row.learner_id = "already_imported", existing.get(client_id)
            continue
        if email and email in emails_used:
            row.errors = {sheets.COLUMNS["email"]: ["This email address already has an account. Look the resident "
                                                    "up instead, or leave the email out."]}
            continue
        in_file[client_id] = p.line
        if email:
            emails_used.add(email)
        key = matching.name_key(body["given_name"], body["family_name"])
        place = (body.get("date_of_birth"), body.get("postcode"))
        similar_in_file = all(place) and any(matching.one_letter_apart(key, other)
                                             for other in new_people.get(place, []))
        if similar_in_file or matching.likely_duplicates(body["given_name"], body["family_name"], *place):
            row.status = "duplicate_suspected"
        else:
            row.status = "would_create"
        if all(place):
            new_people.setdefault(place, []).append(key)
    record = _new_record(actor, branch, consent, filename, sheet, dry_run=True)
    record.raw = raw
    record.rows = [row.stored() for row in rows]
    record.counts = _counts(rows)
    db.session.flush()
    audit.record("learners.import_checked", None, import_id=record.id, branch_id=branch.id, rows=len(rows))
    return ImportResult(record, rows)


# The import -----------------------------------------------------------------------------------------------------

def import_sheet(actor: User, branch: Branch, raw: bytes, *, consent: dict[str, str], filename: str = "",
                 max_rows: int | None = sheets.MAX_ROWS,
                 max_bytes: int | None = sheets.MAX_BYTES) -> ImportResult:
    """Import the sheet's good rows; suspected duplicates are kept, held for staff review. A row with a cell that
    looks like a formula is left out (`check`): staff confirm it from a dry run, or fix the sheet."""
    require(actor, REGISTER_LEARNER)
    sheet, prepared = _read(raw, branch, consent, max_rows, max_bytes)
    record = _new_record(actor, branch, consent, filename, sheet, dry_run=False)
    return _register(actor, record, prepared)


def confirm(actor: User, record: LearnerImport, confirmed_lines: frozenset[int] = frozenset()) -> ImportResult:
    """Import the sheet a dry run checked (load the record with `import_for(..., for_update=True)`), once: the
    dry run is claimed first (see _claim), so a second confirm, at the same moment or later, is a Conflict and
    leaves the first one's result as it is. The rows it held for a check (cells that look like formulas) are added
    as written only when their line is confirmed."""
    if not record.dry_run:
        raise _already_imported()
    if record.raw is None:
        raise _expired()
    branch = branch_for_import(actor, record.branch_id)
    consent = consent_for(record.consent_notice_version, record.consent_method)
    _, prepared = _read(record.raw, branch, consent, None, None)
    _claim(record)
    return _register(actor, record, prepared, confirmed_lines)


def _claim(record: LearnerImport) -> None:
    """Take the dry run for this request alone, in one conditional UPDATE: a second request confirming it at the
    same moment (a double click, a script sent twice) waits for this one's transaction, then finds it taken and
    gets the Conflict, so it never imports the sheet again over the first one's result. The UPDATE, not the
    record read earlier, decides: on SQLite that read took no lock, and it may be from before the first request
    committed."""
    claimed = db.session.execute(
        update(LearnerImport)
        .where(LearnerImport.id == record.id, LearnerImport.dry_run.is_(True), LearnerImport.raw.is_not(None))
        .values(dry_run=False, raw=None)
        .execution_options(synchronize_session=False),
    ).rowcount
    if claimed != 1:
        db.session.refresh(record)
        raise _already_imported() if not record.dry_run else _expired()
    set_committed_value(record, "dry_run", False)
    set_committed_value(record, "raw", None)


def _already_imported() -> Conflict:
    return Conflict("This sheet was imported already. Nothing new was added.",
                    errors={"import_id": ["Already imported."]})


def _expired() -> ValidationFailed:
    message = "This check has expired. Upload the sheet again."
    return ValidationFailed(message, errors={"import_id": [message]})


def _register(actor: User, record: LearnerImport, prepared: list[_Prepared],
              confirmed_lines: frozenset[int] = frozenset()) -> ImportResult:
    db.session.flush()  # the import's own write comes first, so SQLite is inside a transaction before SAVEPOINTs
    existing = _existing_client_ids(prepared)
    rows: list[RowResult] = []
    for p in prepared:
        row = RowResult(p.line, "error", given_name=p.given_name, family_name=p.family_name,
                        display_name=p.display_name)
        rows.append(row)
        if p.body is None:
            row.errors = p.errors
            continue
        if p.checks and p.line not in confirmed_lines:
            row.status, row.errors = "check", p.checks
            continue
        client_id = p.body["client_id"]
        if client_id in existing:  # made by an earlier import, or by an earlier row of this sheet
            row.status, row.learner_id = "already_imported", existing[client_id]
            continue
        try:
            with db.session.begin_nested():
                registration = accounts.register_learner(actor, p.body, hold_duplicates="csv", make_pin=False)
        except DomainError as error:
            row.errors = _ordered(_column_errors(error.errors)) if error.errors else {ROW: [error.detail]}
            continue
        except IntegrityError:  # the same row imported at the same moment by another request
            made = db.session.scalar(select(User.id).where(User.client_id == client_id))
            if made is None:
                row.errors = {ROW: ["This row could not be saved. Try the import again."]}
            else:
                row.status, row.learner_id = "already_imported", made
            continue
        except DataError:  # a value the database cannot hold, that the checks above let through
            row.errors = {ROW: ["This row could not be saved. Check that no value in it is very long."]}
            continue
        learner = registration.learner
        existing[client_id] = learner.id
        row.learner_id, row.learner_number = learner.id, learner.learner_number
        row.status = ("duplicate_suspected" if registration.held else
                      "created" if registration.created else "already_imported")
        row.pin_pending = row.status == "created" and not p.body.get("email")
    # A row not added keeps its name (the sheet is forgotten), so staff can find it on the paper sheet to fix it.
    record.rows = [row.stored(with_name=row.learner_id is None) for row in rows]
    record.counts = _counts(rows)
    counts = record.counts
    confirmed = sorted(confirmed_lines & {p.line for p in prepared if p.checks})
    audit.record("learners.imported", None, import_id=record.id, branch_id=record.branch_id,
                 created=counts["created"], duplicates=counts["duplicates"],
                 already_imported=counts["already_imported"], errors=counts["errors"],
                 not_confirmed=counts["to_check"], confirmed_lines=", ".join(map(str, confirmed)))
    db.session.flush()
    return ImportResult(record, rows)


# Reading an import back ------------------------------------------------------------------------------------------

def learners_of(record: LearnerImport) -> dict[uuid.UUID, User]:
    """The residents the import's rows point at (still there, and as they are now), by id."""
    ids = [uuid.UUID(row["learner_id"]) for row in record.rows if row.get("learner_id")]
    found: dict[uuid.UUID, User] = {}
    for chunk in _in_chunks(ids):
        found.update((user.id, user) for user in db.session.scalars(select(User).where(User.id.in_(chunk))))
    return found


def rows_of(record: LearnerImport) -> list[RowResult]:
    """The stored rows, with names and learner numbers: from the residents made, or from a dry run's file."""
    from_file: dict[int, sheets.SheetRow] = {}
    if record.raw is not None:
        try:
            from_file = {row.line: row for row in sheets.read_sheet(record.raw, max_bytes=None, max_rows=None).rows}
        except DomainError:
            from_file = {}
    learners = learners_of(record)
    rows = []
    for stored in record.rows:
        learner_id = uuid.UUID(stored["learner_id"]) if stored.get("learner_id") else None
        row = RowResult(stored["line"], stored["status"], errors=stored.get("errors"), learner_id=learner_id)
        learner = learners.get(learner_id) if learner_id else None
        if learner is not None:
            row.given_name, row.family_name, row.learner_number = (learner.given_name, learner.family_name,
                                                                   learner.learner_number)
            row.display_name = learner.display_name
            row.pin_pending = bool(stored.get("pin_pending")) and learner.active and learner.pin_hash is None
        elif "given_name" in stored:
            row.given_name, row.family_name = stored["given_name"], stored["family_name"]
            row.display_name = stored.get("display_name", "")
        elif stored["line"] in from_file:
            read = from_file[stored["line"]]
            row.given_name, row.family_name, row.display_name = (read.values.get(name, "") for name in (
                "given_name", "family_name", "display_name"))
            if row.status == "check":  # quoted on the tick box: staff add the row as these cells say
                row.flagged = {sheets.COLUMNS[name]: read.values.get(name, "")
                               for name in sheets.COLUMNS if name in read.formulas}
        rows.append(row)
    return rows


REPORT_HEADER = ["Line", "Result", "Learner number", "First name", "Family name", "Full name", "Problems"]


def labels_for(record: LearnerImport) -> dict[str, str]:
    return DRY_RUN_LABELS if record.dry_run else STATUS_LABELS


def report_rows(record: LearnerImport) -> list[list[Any]]:
    """The report: every row of the sheet, with what happened to it (or would). Never a PIN."""
    labels = labels_for(record)
    return [[row.line, labels[row.status], codes.grouped(row.learner_number) if row.learner_number else "",
             row.given_name, row.family_name, row.name,
             "; ".join(f"{column}: {message}" for column, messages in (row.errors or {}).items()
                       for message in messages)]
            for row in rows_of(record)]


def forget_old_files(now=None) -> int:
    """Clear the file of dry runs nobody confirmed in time (SKILLS_HUB_RETENTION_IMPORT_FILE_DAYS, default 1):
    the sheet holds residents' details. The one place that forgets uploaded sheets."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["RETENTION_IMPORT_FILE_DAYS"])
    return db.session.execute(update(LearnerImport).where(
        LearnerImport.dry_run.is_(True), LearnerImport.raw.is_not(None), LearnerImport.created_at < cutoff,
    ).values(raw=None)).rowcount
