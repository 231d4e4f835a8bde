"""The directory of local training providers, shaped after Open Referral UK (HSDS 3.0 UK profile).

An organisation (accounts.Organisation) offers services; a service runs at locations on a weekly schedule.
What HSDS keeps as taxonomy terms (skill areas, levels, delivery mode, accessibility, capacity, what a referral
needs) is kept here as short lists of our own codes; `hsds.py` turns them into HSDS attributes and back.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skills_hub.accounts.models import Organisation
from skills_hub.extensions import db, utcnow
from skills_hub.i18n import N_

STATUSES = ("active", "inactive", "defunct", "temporarily closed")
DELIVERY_MODES = {"in_person": N_("In person"), "online": N_("Online")}
ACCESSIBILITY = {
    "step_free": N_("Step-free access"),
    "hearing_loop": N_("Hearing loop"),
    "accessible_toilet": N_("Accessible toilet"),
    "large_print": N_("Large print materials"),
    "bsl": N_("British Sign Language"),
    "quiet_space": N_("Quiet space"),
}
CAPACITY = {"places_available": N_("Places available"), "waitlist": N_("Waiting list"),
            "full": N_("Full at the moment")}
NEEDS = {"email": N_("an email address"), "phone": N_("a phone number"), "date_of_birth": N_("date of birth"),
         "address": N_("home address")}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_RESPONSE_DAYS = 5


class Service(db.Model):
    """An offer a provider makes: a class, a drop-in, a qualification, a buddy scheme."""

    __tablename__ = "services"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="active")
    eds_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    delivery_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    accessibility: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO 639-1 codes
    is_free: Mapped[bool] = mapped_column(default=True)
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    cost_description: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[str] = mapped_column(String(20), default="places_available")
    takes_referrals: Mapped[bool] = mapped_column(default=True)
    response_days: Mapped[int] = mapped_column(default=DEFAULT_RESPONSE_DAYS)  # working days
    referral_needs: Mapped[list[str]] = mapped_column(JSON, default=list)  # beyond name, contact, need, languages
    is_demo: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    locations: Mapped[list[Location]] = relationship(secondary="service_locations", order_by="Location.name",
                                                     lazy="selectin")
    schedules: Mapped[list[Schedule]] = relationship(order_by="Schedule.opens_at", lazy="selectin",
                                                     cascade="all, delete-orphan")

    @property
    def days(self) -> list[str]:
        return [day for day in DAYS if any(day in schedule.days for schedule in self.schedules)]


class Location(db.Model):
    __tablename__ = "locations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address_1: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(8))
    outcode: Mapped[str] = mapped_column(String(4), index=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
    accessibility_notes: Mapped[list[str]] = mapped_column(JSON, default=list)


class ServiceLocation(db.Model):
    """HSDS `service_at_location`: this service runs at this location."""

    __tablename__ = "service_locations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)


class Schedule(db.Model):
    """A weekly session: on these days, from one time to another."""

    __tablename__ = "schedules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    days: Mapped[list[str]] = mapped_column(JSON, default=list)  # from DAYS
    opens_at: Mapped[str] = mapped_column(String(5), default="")  # "10:00"
    closes_at: Mapped[str] = mapped_column(String(5), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
