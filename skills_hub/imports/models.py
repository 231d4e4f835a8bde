"""One upload of a sign-up sheet: its dry run or its confirmed import, with the row-by-row report."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from skills_hub.extensions import db, utcnow
from skills_hub.residents import NAMES_RESIDENT, actor


class LearnerImport(db.Model):
    __tablename__ = "learner_imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id"), index=True, info=actor("the staff member who uploaded the sheet"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dry_run: Mapped[bool] = mapped_column(default=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    consent_notice_version: Mapped[str | None] = mapped_column(String(20))
    consent_method: Mapped[str | None] = mapped_column(String(20))
    # The report: {line, status, errors?, learner_id?}; a row not added keeps the sheet's given_name and family_name
    # (and display_name, when the sheet gave one).
    rows: Mapped[list] = mapped_column(JSON, default=list, info=NAMES_RESIDENT)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    unrecognised_columns: Mapped[list] = mapped_column(JSON, default=list)
    # A dry run keeps the file so the staff page can confirm it without a second upload; cleared on confirming.
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, info=NAMES_RESIDENT)
