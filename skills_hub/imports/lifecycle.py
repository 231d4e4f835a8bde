"""The imports domain's part of a resident's data: sign-up sheets kept for a dry run until staff confirm them."""

from __future__ import annotations

from sqlalchemy import select

from skills_hub import residents
from skills_hub.accounts.matching import name_key
from skills_hub.accounts.models import User
from skills_hub.errors import DomainError
from skills_hub.extensions import db
from skills_hub.imports import sheets
from skills_hub.imports.models import LearnerImport

residents.leave_out_of_export(LearnerImport.raw, "a whole sheet about many people, kept only until the dry run is "
                                                 "confirmed or an hour has passed; the resident's own row is in "
                                                 "their account and consents once imported")
residents.claim("merge", LearnerImport.raw, reason="the sheet stays as it was uploaded")
residents.leave_out_of_export(LearnerImport.rows, "the row report of a sheet: an added row points at the "
                                                  "resident's account, which is exported; a row not added names "
                                                  "someone the sheet could not register")
residents.claim("merge", LearnerImport.rows, reason="the report says what the import did at the time")


def _names_resident(record: LearnerImport, erasure: residents.Erasure) -> bool:
    if any(row.get("learner_id") in {str(i) for i in erasure.record_ids} for row in record.rows):
        return True
    try:
        rows = sheets.read_sheet(record.raw, max_bytes=None, max_rows=None).rows
    except DomainError:
        return True  # a sheet we cannot read back cannot be checked: forget it
    return any(name_key(row.values.get("given_name", ""), row.values.get("family_name", "")) in erasure.name_keys
               for row in rows)


@residents.erases(LearnerImport.raw, LearnerImport.rows)
def forget_sheets_naming_the_resident(learner: User, erasure: residents.Erasure) -> None:
    """A sheet waiting for its dry run to be confirmed that names the resident is forgotten at once (staff
    upload it again to import the others), not at the next hourly clean-up; so is their name on a row that an
    import did not add."""
    for record in db.session.scalars(select(LearnerImport).where(LearnerImport.dry_run.is_(True),
                                                                 LearnerImport.raw.is_not(None))).all():
        if _names_resident(record, erasure):
            record.raw = None
    for record in db.session.scalars(select(LearnerImport).where(LearnerImport.dry_run.is_(False))).all():
        rows = [_forget_name(row, erasure) for row in record.rows]
        if rows != record.rows:
            record.rows = rows
    erasure.anonymised("sign_up_sheets_waiting")


def _forget_name(row: dict, erasure: residents.Erasure) -> dict:
    """A row not added that names the resident, without the name (its line and problems stay)."""
    if "given_name" not in row or name_key(row["given_name"], row["family_name"]) not in erasure.name_keys:
        return row
    return {key: value for key, value in row.items() if key not in ("given_name", "family_name", "display_name")}
