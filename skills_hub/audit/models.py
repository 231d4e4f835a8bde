"""The audit log: who viewed or changed whose personal data. Append-only."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from skills_hub.extensions import db, utcnow
from skills_hub.residents import actor


class AuditEvent(db.Model):
    """One action on one person's record. Details hold ids and field names only, never the data itself."""

    __tablename__ = "audit_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), index=True, info=actor("who saw or changed the data"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    details: Mapped[dict] = mapped_column(default=dict)


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to change or delete an audit entry through the application."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context, instances) -> None:
    for record in (*session.dirty, *session.deleted):
        if isinstance(record, AuditEvent):
            raise AuditLogIsAppendOnly("Audit entries cannot be changed or deleted.")
