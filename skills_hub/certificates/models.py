"""Certificates: issued when a course is completed, in the same transaction. Anyone can check one by its code.

A certificate is frozen at issue: the name, course title and version, skill areas, award date, branch (when a
helper was involved) and issuer are copied, so later edits never change what was awarded. Every change of
status is a CertificateEvent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from skills_hub.extensions import db, utcnow
from skills_hub.residents import PERSONAL, actor

CODE_LENGTH = 12  # 11 random Crockford characters and a Luhn mod 32 check character: XXXX-XXXX-XXXX
STATUSES = ("valid", "revoked", "superseded", "withdrawn")


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # One valid certificate per enrolment (a re-issue supersedes the old one).
        Index("uq_certificates_valid_enrolment", "enrolment_id", unique=True,
              postgresql_where=text("status = 'valid'"), sqlite_where=text("status = 'valid'")),
        Index("uq_certificates_status_list_index", "status_list_index", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id"), index=True)
    enrolment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enrolments.id"), index=True)
    awarded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default="valid")
    # Frozen at issue:
    learner_name: Mapped[str] = mapped_column(String(201), info=PERSONAL)
    course_slug: Mapped[str] = mapped_column(String(80))
    course_title: Mapped[str] = mapped_column(String(200))
    course_version: Mapped[int]
    eds_areas: Mapped[list] = mapped_column(default=list)
    branch_name: Mapped[str | None] = mapped_column(String(200))
    issuer_name: Mapped[str] = mapped_column(String(200))
    # The resident's language, when it is not English: the certificate then says everything in it first and in
    # English beside it (employers read English), with the course title from its translation, if it has one.
    language: Mapped[str | None] = mapped_column(String(10))
    course_title_translated: Mapped[str | None] = mapped_column(String(200))
    # The learner may hide their name from the public verify page.
    hide_name: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("certificates.id"))
    # The public key (multibase) that signed its Open Badges credential, so the issuer profile can list it.
    signing_key: Mapped[str | None] = mapped_column(String(100))
    # Its bit in the issuer's revocation status list (W3C Bitstring Status List), and the salt of the
    # credential's identityHash.
    status_list_index: Mapped[int | None]
    identity_salt: Mapped[str | None] = mapped_column(String(64))


class CertificateEvent(db.Model):
    """Issued, re-issued, revoked, reinstated: who, when and why."""

    __tablename__ = "certificate_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    certificate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certificates.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("who issued, revoked or withdrew it"))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
