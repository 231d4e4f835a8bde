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


def _names_resident(record: LearnerImport, erasure: residents.Erasure) -> bool:
    if any(row.get("learner_id") in {str(i) for i in erasure.record_ids} for row in record.rows):
        return True
    try:
        rows = sheets.read_sheet(record.raw, max_bytes=None, max_rows=None).rows
    except DomainError:
        return True  # a sheet we cannot read back cannot be checked: forget it
    return any(name_key(row.values.get("given_name", ""), row.values.get("family_name", "")) in erasure.name_keys
               for row in rows)


@residents.erases(LearnerImport.raw)
def forget_sheets_naming_the_resident(learner: User, erasure: residents.Erasure) -> None:
    """A sheet waiting for its dry run to be confirmed that names the resident is forgotten at once (staff
    upload it again to import the others), not at the next hourly clean-up."""
    for record in db.session.scalars(select(LearnerImport).where(LearnerImport.dry_run.is_(True),
                                                                 LearnerImport.raw.is_not(None))).all():
        if _names_resident(record, erasure):
            record.raw = None
    erasure.anonymised("sign_up_sheets_waiting")
