"""What an offline device sends, attendance at outreach sessions, and residents held as suspected duplicates."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from skills_hub.extensions import db, utcnow
from skills_hub.residents import NAMES_RESIDENT, PERSONAL, actor

OPERATION_TYPES = ("create_learner", "enrol", "record_progress", "record_attendance")


class SyncOperation(db.Model):
    """One operation from a device, as received: a replayed op_id answers from here and changes nothing."""

    __tablename__ = "sync_operations"

    op_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id"), index=True, info=actor("the staff member whose device sent it"))
    type: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict] = mapped_column(JSON, info=PERSONAL | NAMES_RESIDENT)
    payload_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]  # the device's clock, as received
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(30))  # applied | duplicate_suspected | held | rejected
    # ref, learner_number, flags, errors (never a PIN)
    result: Mapped[dict] = mapped_column(JSON, default=dict, info=NAMES_RESIDENT)
    # Held until staff resolve the suspected duplicate this learner is:
    waiting_for_learner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)


class Attendance(db.Model):
    """A resident came to an outreach session (a date and a venue, run by a branch)."""

    __tablename__ = "attendances"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"), index=True)
    session_date: Mapped[date] = mapped_column(index=True)
    venue: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id"), info=actor("the staff member who took the register"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SuspectedDuplicate(db.Model):
    """A resident registered offline or from a sheet who probably has an account already. Staff merge the two,
    or keep both; until then the new record has no learner number and what depends on it is held."""

    __tablename__ = "suspected_duplicates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)  # the new, held record
    candidate_ids: Mapped[list[str]] = mapped_column(JSON, default=list, info=NAMES_RESIDENT)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # sync | csv
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | merged | kept_both
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id"), info=actor("the staff member whose registration was held"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("the staff member who resolved it"))
    resolved_at: Mapped[datetime | None]
    kept_learner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
