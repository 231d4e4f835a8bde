"""Learning: enrolments, lesson progress, knowledge-check attempts and skills checks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from skills_hub.extensions import db, utcnow
from skills_hub.residents import PERSONAL, actor


class Enrolment(db.Model):
    """A learner on a course. Leaving keeps the progress; enrolling again resumes it."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("learner_id", "course_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), index=True)
    enrolled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("the staff member who enrolled them"))
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # reports
    left_at: Mapped[datetime | None]
    last_active_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(index=True)


class LessonProgress(db.Model):
    """One learner's progress on one lesson: started when opened, done when they say so. Never double counted."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("learner_id", "lesson_id"),
                      # reports: "completed with a helper" looks for an assisted lesson of the learner's course
                      Index("ix_lesson_progress_learner_course_assisted", "learner_id", "course_id", "assisted"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), index=True)
    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lessons.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    done_content_hash: Mapped[str | None] = mapped_column(String(64))  # the lesson's version when it was done
    assisted: Mapped[bool] = mapped_column(default=False)  # done with a helper
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("the helper who recorded the progress"))


class ProgressEvent(db.Model):
    """A `POST /api/v1/progress` as received, so that a replayed event_id changes nothing."""

    __tablename__ = "progress_events"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    progress_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lesson_progress.id"), index=True)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("the helper who recorded the progress"))


class CheckAttempt(db.Model):
    """Every knowledge-check attempt is kept."""

    __tablename__ = "check_attempts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), index=True)
    answers: Mapped[dict] = mapped_column(default=dict, info=PERSONAL)
    score: Mapped[int]
    correct_count: Mapped[int]
    question_count: Mapped[int]
    passed: Mapped[bool]
    course_content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillsCheck(db.Model):
    """How sure a learner feels about each "I can …" statement (1 to 4), at one moment."""

    __tablename__ = "skills_checks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    answers: Mapped[dict] = mapped_column(default=dict, info=PERSONAL)  # statement id → 1..4
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
