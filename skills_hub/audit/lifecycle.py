"""The audit log's part of a resident's data: the entries about them (who saw or changed their record)."""

from __future__ import annotations

from typing import Any

from skills_hub import residents
from skills_hub.audit.models import AuditEvent

residents.claim("erase", AuditEvent.subject_id, reason="entries stay, about the anonymous record: who saw or "
                                                        "changed it, never its details")


@residents.exports(AuditEvent.subject_id)
def export_audit(learner: Any, export: residents.Export) -> None:
    export.add("audit", AuditEvent, AuditEvent.subject_id == learner.id)


@residents.merges(AuditEvent.subject_id)
def merge_audit(gone: Any, kept: Any) -> None:
    residents.move_rows(AuditEvent.subject_id, gone=gone, kept=kept)
