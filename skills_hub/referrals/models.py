"""Referrals to local providers, the permission to share that comes first, and every change as an event."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skills_hub.accounts.models import Branch, Organisation, User
from skills_hub.directory.models import Service
from skills_hub.extensions import db, utcnow
from skills_hub.i18n import N_
from skills_hub.residents import PERSONAL, actor

OPEN = ("submitted", "viewed", "accepted", "waitlisted", "in_progress")
# One open referral per resident and service, kept by the database (a partial unique index on both engines).
_IS_OPEN = "status IN (" + ", ".join(f"'{status}'" for status in OPEN) + ")"
CLOSED = ("declined", "completed", "not_completed", "withdrawn", "expired", "entered_in_error")
STATUSES = OPEN + CLOSED
RESPONDED = ("accepted", "waitlisted", "declined")  # a provider's first answer
REASON_CODES = {
    "declined": ("not_eligible", "no_capacity", "not_suitable", "could_not_contact", "other"),
    "not_completed": ("did_not_attend", "dropped_out", "other"),
}
REASON_LABELS = {
    "not_eligible": N_("Not eligible"), "no_capacity": N_("No places"), "not_suitable": N_("Not suitable"),
    "could_not_contact": N_("Could not contact them"), "did_not_attend": N_("Did not attend"),
    "dropped_out": N_("Dropped out"), "other": N_("Other"),
}
# What a provider always receives; a service may also need some of directory.models.NEEDS.
ALWAYS_SHARED = ("name", "contact_method", "need", "access_needs", "languages")
# How the provider should reach the resident, as the referrer chose: "branch" needs nothing of the resident.
CONTACT_ROUTES = {"email": N_("By email"), "phone": N_("By phone"), "branch": N_("Through the library")}


class SharingPermission(db.Model):
    """A resident's permission to share named data with one named provider organisation."""

    __tablename__ = "sharing_permissions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    data_shared: Mapped[list[str]] = mapped_column(JSON, default=list)
    privacy_notice_version: Mapped[str] = mapped_column(String(20))
    given_by: Mapped[str] = mapped_column(String(20))  # learner | staff_on_behalf
    method: Mapped[str] = mapped_column(String(20))  # in_person | paper | phone | online
    captured_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id"), info=actor("who recorded the permission"))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("who withdrew the permission"))

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class Referral(db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_organisation_status", "organisation_id", "status"),
        Index("uq_referrals_open_learner_service", "learner_id", "service_id", unique=True,
              postgresql_where=text(_IS_OPEN), sqlite_where=text(_IS_OPEN)),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(12), unique=True)  # what emails carry instead of a name
    client_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    client_request_hash: Mapped[str | None] = mapped_column(String(64))
    learner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    permission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sharing_permissions.id"), index=True)
    referred_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id"), info=actor("who made the referral"))
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    need: Mapped[str] = mapped_column(Text, info=PERSONAL)
    access_needs: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    contact_method: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    # How the provider should reach them: "email", "phone" or "branch" (through the referring library).
    contact_route: Mapped[str] = mapped_column(String(20), default="", server_default="")
    personal_data_removed_at: Mapped[datetime | None]  # by retention, a year after it closed
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    reason_code: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(500), info=PERSONAL)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    respond_by: Mapped[date]  # the last working day for a first answer
    viewed_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    halfway_reminder_at: Mapped[datetime | None]
    last_day_reminder_at: Mapped[datetime | None]

    learner: Mapped[User] = relationship(foreign_keys=[learner_id], lazy="joined", innerjoin=True)
    referred_by: Mapped[User] = relationship(foreign_keys=[referred_by_id], lazy="joined", innerjoin=True)
    # Loaded when asked for (a primary-key get): an outer join here would break SELECT … FOR UPDATE on PostgreSQL.
    branch: Mapped[Branch | None] = relationship(lazy="select")  # the library the provider can go through
    service: Mapped[Service] = relationship(lazy="joined", innerjoin=True)
    permission: Mapped[SharingPermission] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class ReferralEvent(db.Model):
    """One change of a referral's status: append-only."""

    __tablename__ = "referral_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("who moved the referral on; None: the deadline tick"))
    reason_code: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(500), info=PERSONAL)
    at: Mapped[datetime] = mapped_column(default=utcnow)
