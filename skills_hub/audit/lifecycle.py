"""The audit log's part of a resident's data: the entries about them (who saw or changed their record)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from skills_hub import residents
from skills_hub.audit.models import AuditEvent
from skills_hub.extensions import db

residents.claim("erase", AuditEvent.subject_id, reason="entries stay, about the anonymous record: who saw or "
                                                        "changed it, never its details")


@residents.exports(AuditEvent.subject_id)
def export_audit(learner: Any, export: residents.Export) -> None:
    export.add("audit", AuditEvent, AuditEvent.subject_id == learner.id)


@residents.merges(AuditEvent.subject_id)
def merge_audit(gone: Any, kept: Any) -> None:
    db.session.execute(update(AuditEvent).where(AuditEvent.subject_id == gone.id).values(subject_id=kept.id),
                       execution_options={"synchronize_session": False})
