"""A resident's request to delete their account, and what became of it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from skills_hub.extensions import db, utcnow
from skills_hub.residents import actor


class DeletionRequest(db.Model):
    __tablename__ = "deletion_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | erased | refused
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("the admin who decided"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(500), default="")  # why it was refused (never personal data)
