"""Record and read audit entries."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from skills_hub.audit.models import AuditEvent
from skills_hub.extensions import db

# Who is acting when a service does not say: the web layer (accounts.sessions) sets this to "the signed-in user";
# the CLI and jobs leave it as no one.
_current_actor_id: Callable[[], uuid.UUID | None] = lambda: None  # noqa: E731


def actor_from(lookup: Callable[[], uuid.UUID | None]) -> None:
    """Tell audit how to find the acting user when a service gives no `actor_id` (called once, at start-up)."""
    global _current_actor_id
    _current_actor_id = lookup


def record(action: str, subject_id: uuid.UUID | None = None, *, actor_id: uuid.UUID | None = None,
           **details) -> AuditEvent:
    """Add an entry for `actor_id`, or for the acting user. Never pass personal data in `details`."""
    if actor_id is None:
        actor_id = _current_actor_id()
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
