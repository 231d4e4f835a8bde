"""Record and read audit entries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_login import current_user
from sqlalchemy import Select, func, select

from skills_hub.audit.models import AuditEvent
from skills_hub.extensions import db


def record(action: str, subject_id: uuid.UUID | None = None, *, actor_id: uuid.UUID | None = None,
           **details) -> AuditEvent:
    """Add an entry for the signed-in user (or `actor_id`). Never pass personal data in `details`."""
    if actor_id is None and current_user and current_user.is_authenticated:
        actor_id = current_user.id
    entry = AuditEvent(actor_id=actor_id, action=action, subject_id=subject_id,
                       details={k: str(v) for k, v in details.items()})
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    actor_id: uuid.UUID | None = None
    subject_id: uuid.UUID | None = None
    action: str | None = None
    on_or_after: date | None = None
    on_or_before: date | None = None

    def apply(self, query: Select) -> Select:
        if self.actor_id:
            query = query.where(AuditEvent.actor_id == self.actor_id)
        if self.subject_id:
            query = query.where(AuditEvent.subject_id == self.subject_id)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.on_or_after:
            query = query.where(AuditEvent.at >= datetime.combine(self.on_or_after, time(), UTC))
        if self.on_or_before:
            query = query.where(AuditEvent.at < datetime.combine(self.on_or_before + timedelta(days=1), time(), UTC))
        return query


def entries(where: AuditFilter, page: int, per_page: int) -> tuple[list[AuditEvent], int]:
    total = db.session.scalar(where.apply(select(func.count(AuditEvent.id))))
    rows = db.session.scalars(where.apply(select(AuditEvent)).order_by(AuditEvent.at.desc(), AuditEvent.id)
                              .limit(per_page).offset((page - 1) * per_page))
    return list(rows), total or 0


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
