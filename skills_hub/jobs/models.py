"""The one job table: a transactional outbox for all background work."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from skills_hub.extensions import db, utcnow
from skills_hub.residents import NAMES_RESIDENT


class JobStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for run_after
    QUEUED = "queued"  # handed to an RQ worker
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # out of attempts: shown to admins


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(default=dict, info=NAMES_RESIDENT)  # an email's address and text
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=20, values_callable=lambda s: [v.value for v in s]),
        default=JobStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
