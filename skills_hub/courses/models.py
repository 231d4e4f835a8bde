"""Courses and lessons, as synced from content/courses/. The files are the source of truth."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skills_hub.eds import EDS_AREAS, LEVELS
from skills_hub.extensions import db, utcnow


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20))
    eds_areas: Mapped[list] = mapped_column(default=list)
    minutes: Mapped[int]
    version: Mapped[int]
    published: Mapped[bool] = mapped_column(default=True)
    outcomes: Mapped[list] = mapped_column(default=list)
    knowledge_check: Mapped[dict] = mapped_column(default=dict)  # pass_mark and questions, answers included
    content_hash: Mapped[str] = mapped_column(String(64))
    lesson_count: Mapped[int] = mapped_column(default=0)  # current (not retired) lessons
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    lessons: Mapped[list[Lesson]] = relationship(back_populates="course", order_by="Lesson.position")

    @property
    def current_lessons(self) -> list[Lesson]:
        return [lesson for lesson in self.lessons if lesson.retired_at is None]

    @property
    def level_label(self) -> str:
        return LEVELS.get(self.level, self.level)

    @property
    def eds_area_labels(self) -> list[str]:
        return [EDS_AREAS.get(area, area) for area in self.eds_areas]


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    minutes: Mapped[int]
    body_markdown: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="lessons")


class CourseTranslation(db.Model):
    """A course's texts in another language, from `course.<lang>.yaml`: title, summary, outcomes, lesson titles
    and the check's texts, keyed by the English's ids. `current` is false once the English changed since."""

    __tablename__ = "course_translations"
    __table_args__ = (UniqueConstraint("course_id", "language"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(10))
    texts: Mapped[dict] = mapped_column(default=dict)
    current: Mapped[bool] = mapped_column(default=True)
    translated_by: Mapped[str] = mapped_column(String(200))
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonTranslation(db.Model):
    """A lesson in another language, from `lessons/NN-slug.<lang>.md`."""

    __tablename__ = "lesson_translations"
    __table_args__ = (UniqueConstraint("lesson_id", "language"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(10))
    body_markdown: Mapped[str] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(default=True)
    translated_by: Mapped[str] = mapped_column(String(200))
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
