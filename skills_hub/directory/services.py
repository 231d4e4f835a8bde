"""Finding services for a resident, and providers keeping their own services up to date.

How results are ranked (the score, out of 100; the search page and the API document it):
- distance: up to 40 points, falling evenly from 40 at the resident's postcode district to 0 at 25 km;
  a service that is only online scores 20 (nobody travels);
- skill: 20 points when it teaches the skill area asked for;
- language: 15 points when it teaches in the language asked for;
- accessibility: 5 points for each access need asked for that it meets;
- cost: 10 points when it is free;
- capacity: 10 points with places available, 5 with a waiting list, 0 when full.
Every filter given (skill, language, free, mode, day, access) must match: a result never ignores what was asked.
Ties go to the nearer service, then the name. The directory is city-sized (hundreds of services), so services are
scored in Python after one query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any

from babel.dates import format_time, get_day_names
from babel.lists import format_list
from babel.numbers import format_decimal
from flask_babel import get_locale, gettext
from sqlalchemy import select

from skills_hub import geo
from skills_hub.accounts.models import Role, User
from skills_hub.directory.models import (
    ACCESSIBILITY,
    CAPACITY,
    DAYS,
    DELIVERY_MODES,
    Location,
    Schedule,
    Service,
    ServiceLocation,
)
from skills_hub.eds import EDS_AREAS
from skills_hub.errors import Conflict, NotFound
from skills_hub.extensions import db, utcnow
from skills_hub.i18n import current_language, language_name_here

MAX_DISTANCE_KM = 25.0
CAPACITY_POINTS = {"places_available": 10, "waitlist": 5, "full": 0}


@dataclass(frozen=True)
class Search:
    near: geo.Place | None = None
    skill: str | None = None
    language: str | None = None
    free: bool | None = None
    mode: str | None = None
    day: str | None = None
    access: tuple[str, ...] = ()


@dataclass
class Match:
    service: Service
    location: Location | None
    distance_km: float | None
    score: int
    reasons: list[str] = field(default_factory=list)


def _nearest(service: Service, near: geo.Place | None) -> tuple[Location | None, float | None]:
    if not service.locations:
        return None, None
    if near is None:
        return service.locations[0], None
    measured = [(geo.distance_km(near.latitude, near.longitude, location.latitude, location.longitude), location)
                for location in service.locations]
    distance, location = min(measured, key=lambda pair: pair[0])
    return location, distance


def _fits(service: Service, search: Search) -> bool:
    return ((search.skill is None or search.skill in service.eds_areas)
            and (search.language is None or search.language in service.languages)
            and (search.free is None or service.is_free == search.free)
            and (search.mode is None or search.mode in service.delivery_modes)
            and (search.day is None or search.day in service.days)
            and all(need in service.accessibility for need in search.access))


def score(service: Service, search: Search) -> Match:
    """The documented score (module docstring) and the reasons to show beside the result."""
    location, distance = _nearest(service, search.near)
    points, reasons = 0, []
    if distance is not None:
        points += round(40 * max(0.0, 1 - distance / MAX_DISTANCE_KM))
        reasons.append(gettext("%(distance)s km from %(postcode)s", postcode=search.near.postcode,
                               distance=format_decimal(distance, "0.0", locale=get_locale() or "en_GB")))
    elif location is None:
        points += 20
        reasons.append(gettext("Online: no travel needed"))
    if search.skill:
        points += 20
        reasons.append(gettext("Teaches %(area)s", area=gettext(EDS_AREAS[search.skill]).lower()))
    if search.language:
        points += 15
        reasons.append(gettext("Taught in %(language)s", language=language_name_here(search.language)))
    for need in search.access:
        points += 5
        reasons.append(gettext(ACCESSIBILITY[need]))
    if service.is_free:
        points += 10
        reasons.append(gettext("Free"))
    points += CAPACITY_POINTS.get(service.capacity, 0)
    reasons.append(gettext(CAPACITY[service.capacity]) if service.capacity in CAPACITY else service.capacity)
    if search.mode:
        reasons.append(gettext(DELIVERY_MODES[search.mode]))
    if search.day:
        reasons.append(gettext("Runs on %(days)s", days=_days_in_words([search.day])))
    return Match(service, location, None if distance is None else round(distance, 2), points, reasons)


def find(search: Search) -> list[Match]:
    services = db.session.scalars(select(Service).where(Service.status == "active")).all()
    matches = [score(service, search) for service in services if _fits(service, search)]
    far = float("inf")
    matches.sort(key=lambda m: (-m.score, m.distance_km if m.distance_km is not None else far, m.service.name))
    return matches


def service_named(service_id: uuid.UUID | str) -> Service:
    try:
        service = db.session.get(Service, uuid.UUID(str(service_id)))
    except ValueError:
        service = None
    if service is None:
        raise NotFound("There is no service with this id.")
    return service


def may_edit(actor: User, service: Service) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.PROVIDER and actor.organisation_id == service.organisation_id


def editable_service(actor: User, service_id: uuid.UUID | str) -> Service:
    """A service the actor may change (their organisation's, or any for admins); 404 otherwise."""
    service = service_named(service_id)
    if not may_edit(actor, service):
        raise NotFound("There is no service with this id.")
    return service


def organisation_services(organisation_id: uuid.UUID) -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.organisation_id == organisation_id)
                                   .order_by(Service.name)))


def _when(service: Service, when: dict[str, Any]) -> None:
    """The first weekly session: changed, added, or (every box empty) removed."""
    if not any(when.values()):
        if service.schedules:
            service.schedules = service.schedules[1:]
        return
    schedule = service.schedules[0] if service.schedules else Schedule(service_id=service.id)
    schedule.days, schedule.opens_at, schedule.closes_at = when["schedule_days"], when["opens_at"], when["closes_at"]
    schedule.description = when["schedule_description"]
    if not service.schedules:
        service.schedules = [schedule]


def _where(service: Service, where: dict[str, Any]) -> None:
    """The first place: moved to a new postcode (its position becomes the district's centre), or renamed."""
    if not where["postcode"].strip():
        return
    place = geo.place(where["postcode"])
    location = service.locations[0] if service.locations else None
    if location is None:
        location = Location(organisation_id=service.organisation_id, latitude=place.latitude,
                            longitude=place.longitude, postcode=place.postcode, outcode=place.outcode, name="")
        db.session.add(location)
        db.session.flush()
        db.session.add(ServiceLocation(service_id=service.id, location_id=location.id))
    if location.outcode != place.outcode:
        location.latitude, location.longitude = place.latitude, place.longitude
    location.postcode, location.outcode = place.postcode, place.outcode
    location.name = where["location_name"].strip() or location.name or where["address_1"].strip()
    location.address_1, location.city = where["address_1"].strip(), where["city"].strip()
    db.session.flush()
    db.session.expire(service, ["locations"])


def update_service(actor: User, service: Service, changes: dict[str, Any]) -> Service:
    """Save a provider's edit. A stale `version` (someone saved in between) is 409. Flushes, never commits."""
    from skills_hub.audit import services as audit

    db.session.refresh(service, with_for_update=True)  # two edits at once: the second waits, then sees 409
    if changes.pop("version") != service.version:
        raise Conflict("Someone else changed this service since you opened it. Open it again to see their "
                       "changes.", errors={"version": ["Out of date."]})
    if changes.get("is_free"):
        changes["cost_amount"], changes["cost_description"] = None, ""
    elif changes.get("cost_amount") is None:
        changes["cost_amount"] = Decimal(0)
    _when(service, {key: changes.pop(key) for key in ("schedule_days", "opens_at", "closes_at",
                                                       "schedule_description")})
    _where(service, {key: changes.pop(key) for key in ("location_name", "address_1", "city", "postcode")})
    for key, value in changes.items():
        setattr(service, key, value)
    service.version += 1
    service.updated_at = utcnow()
    audit.record("service.updated", None, service_id=service.id, organisation_id=service.organisation_id)
    return service


# A schedule in plain words ----------------------------------------------------------------------------------------

def _time_in_words(hhmm: str) -> str:
    """"10:00" → "10am", "12:00" → "12 noon", "13:30" → "1:30pm", "00:00" → "12 midnight"; in another language,
    as its clock is written (Babel)."""
    try:
        hours, minutes = (int(part) for part in hhmm.split(":")[:2])
    except ValueError:
        return hhmm
    if not current_language().is_english and 0 <= hours < 24 and 0 <= minutes < 60:
        return format_time(time(hours, minutes), "short", locale=get_locale())
    if (hours, minutes) == (12, 0):
        return "12 noon"
    if (hours, minutes) in ((0, 0), (24, 0)):
        return "12 midnight"
    clock = f"{(hours - 1) % 12 + 1}" + (f":{minutes:02d}" if minutes else "")
    return clock + ("am" if hours < 12 else "pm")


def _days_in_words(days: list[str]) -> str:
    ordered = [day for day in DAYS if day in days]
    if len(ordered) == 7:
        return gettext("Every day")
    if ordered == list(DAYS[:5]):
        return gettext("Monday to Friday")
    if not current_language().is_english:  # the days' names and a list as the language writes them (Babel)
        names = get_day_names("wide", locale=get_locale())
        return format_list([names[DAYS.index(day)] for day in ordered], locale=get_locale())
    names = [day.title() + "s" for day in ordered]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def schedule_in_words(schedule: Schedule) -> str:
    """When a weekly session runs, said once: "Tuesdays, 10am to 12 noon". A provider's description that gives
    the times itself ("Mondays 10am to 12 noon at the volunteer centre") is shown as written, instead of the days
    and times saying it again; one that does not ("term time only") follows them."""
    times = ""
    if schedule.opens_at and schedule.closes_at:
        times = gettext("%(opens)s to %(closes)s", opens=_time_in_words(schedule.opens_at),
                        closes=_time_in_words(schedule.closes_at))
    elif schedule.opens_at:
        times = gettext("from %(time)s", time=_time_in_words(schedule.opens_at))
    said = ", ".join(part for part in (_days_in_words(schedule.days or []), times) if part)
    said = said[:1].upper() + said[1:]
    note = (schedule.description or "").strip()
    if not note:
        return said
    if not said or any(character.isdigit() for character in note):
        return note
    return f"{said}. {note}"
