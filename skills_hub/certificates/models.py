"""Certificates: issued when a course is completed, in the same transaction. Anyone can check one by its code."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from skills_hub.extensions import db, utcnow

CODE_LENGTH = 12  # 11 random Crockford characters and a Luhn mod 32 check character: XXXX-XXXX-XXXX


class Certificate(db.Model):
    __tablename__ = "certificates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), index=True)
    enrolment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enrolments.id"), unique=True)
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="valid")  # valid | revoked | superseded | withdrawn
