"""Referrals: permission to share first, then the lifecycle, enforced here for every role.

    submitted → viewed (the first time a provider user opens it: a read receipt; `version` unchanged)
    submitted | viewed → accepted | waitlisted | declined        (provider)
    waitlisted → accepted | declined                              (provider)
    accepted → in_progress → completed | not_completed            (provider)
    any open state → withdrawn                                    (the referrer's side: staff, the learner, admin)
    submitted | viewed → expired                                  (the deadline tick, nobody else)
    any state but entered_in_error → entered_in_error             (admin)

A role asking for a status it can never set gets 403; a status it may set, but not from here, or a stale
`version`, gets 409. Who may see a referral: admins all; staff those of their branches' residents; a learner
their own; a provider user those sent to their organisation while the permission to share stands. Anything
else is 404. Emails carry a reference and a link, never a name.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.lists import format_list
from flask import current_app
from flask_babel import get_locale, gettext
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from skills_hub import codes
from skills_hub.accounts import policy, privacy
from skills_hub.accounts.models import Role, User
from skills_hub.audit import services as audit
from skills_hub.directory.models import NEEDS, Service
from skills_hub.directory.services import service_named
from skills_hub.errors import Conflict, Forbidden, NotFound, ValidationFailed
from skills_hub.extensions import db, utcnow
from skills_hub.i18n import N_, long_date, say
from skills_hub.languages import language_name, preferred_code
from skills_hub.mail import queue_email, written_for
from skills_hub.referrals import workdays
from skills_hub.referrals.models import (
    ALWAYS_SHARED,
    CONTACT_ROUTES,
    OPEN,
    REASON_CODES,
    REASON_LABELS,
    RESPONDED,
    Referral,
    ReferralEvent,
    SharingPermission,
)
from skills_hub.referrals.permissions import REFER

# Withdrawn, expired or entered in error: the provider no longer needs (so no longer sees) the resident's details.
GONE_FROM_PROVIDER = ("withdrawn", "expired", "entered_in_error")
PROVIDER_MOVES: dict[str, tuple[str, ...]] = {
    "submitted": ("viewed", "accepted", "waitlisted", "declined"),
    "viewed": ("accepted", "waitlisted", "declined"),
    "waitlisted": ("accepted", "declined"),
    "accepted": ("in_progress",),
    "in_progress": ("completed", "not_completed"),
}
REFERRER_MOVES: dict[str, tuple[str, ...]] = {status: ("withdrawn",) for status in OPEN}
ADMIN_MOVES: dict[str, tuple[str, ...]] = {
    status: (("withdrawn",) if status in OPEN else ()) + ("entered_in_error",)
    for status in (*OPEN, "declined", "completed", "not_completed", "withdrawn", "expired")}


def moves_for(role: Role) -> dict[str, tuple[str, ...]]:
    return {Role.PROVIDER: PROVIDER_MOVES, Role.STAFF: REFERRER_MOVES, Role.LEARNER: REFERRER_MOVES,
            Role.ADMIN: ADMIN_MOVES}[role]


def allowed_next(actor: User, referral: Referral) -> tuple[str, ...]:
    """What this person may move the referral to now (the buttons to show)."""
    return tuple(status for status in moves_for(actor.role).get(referral.status, ()) if status != "viewed")


# Who sees what --------------------------------------------------------------------------------------------------

def visible_referrals(actor: User) -> Select[tuple[Referral]]:
    query = select(Referral)
    if actor.role == Role.ADMIN:
        return query
    if actor.role == Role.PROVIDER:
        if actor.organisation_id is None:
            return query.where(False)
        return query.join(SharingPermission, Referral.permission_id == SharingPermission.id).where(
            Referral.organisation_id == actor.organisation_id, SharingPermission.withdrawn_at.is_(None),
            Referral.status.not_in(GONE_FROM_PROVIDER))
    return query.where(Referral.learner_id.in_(policy.visible_learners(actor).with_only_columns(User.id)))


def referral_for(actor: User, referral_id: uuid.UUID | str) -> Referral:
    """The referral when this person may see it; otherwise 404, as if it did not exist."""
    try:
        referral_id = uuid.UUID(str(referral_id))
    except ValueError:
        raise NotFound("There is no referral with this id.") from None
    referral = db.session.scalar(visible_referrals(actor).where(Referral.id == referral_id))
    if referral is None:
        raise NotFound("There is no referral with this id.")
    return referral


def opened_by(actor: User, referral: Referral) -> None:
    """A provider user opening a referral: the first time, it becomes `viewed` (a read receipt and an audit entry;
    `version` does not change). Flushes, never commits."""
    if actor.role != Role.PROVIDER:
        return
    audit.record("referral.opened", referral.learner_id, referral_id=referral.id)
    if referral.status == "submitted":
        _event(referral, "viewed", actor, None, None)
        referral.status = "viewed"
        referral.viewed_at = utcnow()


def shared_with_provider(referral: Referral) -> dict[str, str]:
    """Only what the resident agreed to share: name, contact method, need, access needs, languages, and what the
    service said it needs (from NEEDS), never anything else."""
    learner, shared = referral.learner, referral.permission.data_shared
    code = preferred_code(learner)
    languages = language_name(code) if code else (learner.preferred_language or "Not given")
    out = {"Name": learner.display_name, "How to contact them": how_to_contact(referral)}
    if referral.contact_route and referral.contact_method:
        out["About getting in touch"] = referral.contact_method
    out.update({"What they need": referral.need, "Access needs": referral.access_needs or "None given",
                "Languages": languages})
    extra = {"email": ("Email", learner.email), "phone": ("Phone", learner.phone),
             "date_of_birth": ("Date of birth", learner.date_of_birth.isoformat() if learner.date_of_birth else None),
             "address": ("Postcode", learner.postcode)}
    for need in NEEDS:
        if need in shared:
            label, value = extra[need]
            out[label] = value or "Not given"
    return out


def how_to_contact(referral: Referral) -> str:
    """The route the referrer chose, in words, with the address or number it needs: "By email: a@b.test",
    "By phone: 07700 900123", or "Through the library: Central Library" (whose details the page shows). Older
    referrals, made before the route was asked, keep what the referrer wrote."""
    if not referral.contact_route:
        return referral.contact_method or gettext("Not given")
    route = gettext(CONTACT_ROUTES[referral.contact_route])
    if referral.personal_data_removed_at is not None and referral.contact_route != "branch":
        return gettext("%(route)s (the details were removed)", route=route)
    detail = {"email": referral.learner.email, "phone": referral.learner.phone,
              "branch": referral.branch.name if referral.branch else None}[referral.contact_route]
    return gettext("%(route)s: %(detail)s", route=route, detail=detail or gettext("not given"))


def routes_for(learner: User) -> list[str]:
    """The routes a referrer may choose for this resident: email or phone only when the record has one; the
    library always."""
    return [route for route, holds in (("email", learner.email), ("phone", learner.phone), ("branch", True))
            if holds]


def referring_branch_id(actor: User, learner: User) -> uuid.UUID | None:
    """The library a provider can go through: for staff, their branch that the resident belongs to (else their
    own first one); for the resident themselves or an admin, the resident's library."""
    learner_branches = sorted(policy.branch_ids_of(learner))
    if actor.role == Role.STAFF:
        own = sorted(policy.branch_ids_of(actor))
        return next((branch for branch in own if branch in learner_branches), own[0] if own else None)
    return learner_branches[0] if learner_branches else None


def _check_route(learner: User, route: str, branch_id: uuid.UUID | None, *, asked_by_the_resident: bool) -> None:
    available = {"email": bool(learner.email), "phone": bool(learner.phone), "branch": branch_id is not None}
    if available.get(route, True):
        return
    if asked_by_the_resident:  # in the resident's language
        message = {"email": say("Your record has no email address: choose another way to be contacted."),
                   "phone": say("Your record has no phone number: choose another way to be contacted."),
                   "branch": say("You are not linked to a library yet: choose email or phone, or ask library staff "
                                 "to link you.")}[route]
        raise ValidationFailed(message, errors={"contact_route": [message]})
    record = f"{learner.display_name}'s record"
    missing = {"email": "no email address", "phone": "no phone number", "branch": "no library"}[route]
    others = [ROUTE_WORDS[other] for other in ROUTE_WORDS if other != route and available[other]]
    message = f"{record} has {missing}: " + (f"choose {' or '.join(others)}." if others else
                                              "add an email address or phone number, or link it to a library first.")
    raise ValidationFailed(message, errors={"contact_route": [message]})


ROUTE_WORDS = {"email": "email", "phone": "phone", "branch": "through the library"}


# Making a referral ----------------------------------------------------------------------------------------------

def _request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Made:
    referral: Referral
    created: bool


def make(actor: User, body: dict[str, Any]) -> Made:
    """Record the permission to share, then submit the referral. A retried client_id answers with the first one
    (also when the retry arrives while the first is still being saved); the same client_id with another body is
    422; a second open referral to the same service is 409 (the database keeps that rule too). Flushes, never
    commits."""
    policy.require(actor, REFER)
    request_hash = _request_hash(body)
    existing = _with_client_id(body["client_id"])
    if existing is not None:
        return _replay(actor, existing, request_hash)
    learner_id = body.get("learner_id") or actor.id
    learner = policy.learner_for(actor, learner_id, REFER)
    service = _referable(body["service_id"])
    consent = body["consent"]
    _check_consent(actor, consent, service)
    _check_needs(learner, service, asked_by_the_resident=actor.id == learner.id)
    already = _open_referral(learner.id, service.id)
    if already is not None and already.client_id == body["client_id"]:  # saved a moment ago by a retry
        return _replay(actor, already, request_hash)
    if already is not None:
        raise _already_referred(learner, already)
    branch_id = referring_branch_id(actor, learner)
    # Left out: through the library, which shares nothing more of the resident; without one, email, then phone.
    route = body.get("contact_route") or ("branch" if branch_id else next(iter(routes_for(learner)), "branch"))
    _check_route(learner, route, branch_id, asked_by_the_resident=actor.id == learner.id)
    now = utcnow()
    try:
        with db.session.begin_nested():  # a request making the same referral at the same moment: see below
            permission = SharingPermission(
                learner_id=learner.id, organisation_id=service.organisation_id,
                data_shared=list(ALWAYS_SHARED) + list(service.referral_needs),
                privacy_notice_version=consent["privacy_notice_version"], given_by=consent["given_by"],
                method=consent["method"], captured_by_id=actor.id)
            db.session.add(permission)
            db.session.flush()
            referral = Referral(
                reference=codes.generate(8), client_id=body["client_id"], client_request_hash=request_hash,
                learner_id=learner.id, service_id=service.id, organisation_id=service.organisation_id,
                permission_id=permission.id, referred_by_id=actor.id,
                branch_id=branch_id, need=body["need"], access_needs=body.get("access_needs") or "",
                contact_method=(body.get("contact_method") or "").strip(), contact_route=route,
                status="submitted", created_at=now,
                respond_by=workdays.add_working_days(workdays.local_date(now), service.response_days))
            db.session.add(referral)
            db.session.flush()
    except IntegrityError:
        # Another request saved first: the same client_id (a retry) answers as a replay; another referral to
        # this service for this resident is the 409 it would have been a moment later.
        winner = _with_client_id(body["client_id"])
        if winner is not None:
            return _replay(actor, winner, request_hash)
        already = _open_referral(learner.id, service.id)
        if already is not None:
            raise _already_referred(learner, already) from None
        raise
    _event(referral, "submitted", actor, None, None, from_status=None)
    audit.record("referral.made", learner.id, referral_id=referral.id, organisation_id=service.organisation_id)
    _tell_provider(referral, "new")
    return Made(referral, created=True)


def _with_client_id(client_id: uuid.UUID) -> Referral | None:
    return db.session.scalar(select(Referral).where(Referral.client_id == client_id))


def _replay(actor: User, existing: Referral, request_hash: str) -> Made:
    if existing.referred_by_id != actor.id and existing.id not in _visible_ids(actor, existing.id):
        raise NotFound("There is no referral with this client_id.")
    if existing.client_request_hash != request_hash:
        raise ValidationFailed("This client_id was used before with a different body. Use a new client_id "
                               "for a new referral.", errors={"client_id": ["Already used."]})
    return Made(existing, created=False)


def _open_referral(learner_id: uuid.UUID, service_id: uuid.UUID) -> Referral | None:
    return db.session.scalar(select(Referral).where(Referral.learner_id == learner_id,
                                                    Referral.service_id == service_id, Referral.status.in_(OPEN)))


def _already_referred(learner: User, already: Referral) -> Conflict:
    return Conflict(f"{learner.display_name} already has an open referral to this service "
                    f"({codes.grouped(already.reference)}). Open that referral instead of making another.",
                    errors={"service_id": ["Already referred: this resident has an open referral to this "
                                           "service."]},
                    extra={"referral_id": str(already.id)})


def _check_needs(learner: User, service: Service, *, asked_by_the_resident: bool) -> None:
    """A service that needs, say, a phone number cannot take someone whose record has none."""
    holds = {"email": learner.email, "phone": learner.phone, "date_of_birth": learner.date_of_birth,
             "address": learner.postcode}
    missing = [NEEDS[need] for need in service.referral_needs if not holds.get(need)]
    if missing and asked_by_the_resident:
        message = say("%(organisation)s needs %(missing)s for you before it can give you a place. Library staff can "
                      "add it to your record. Or choose another service.", organisation=service.organisation.name,
                      missing=format_list([say(need) for need in missing], locale=get_locale() or "en_GB"))
        raise ValidationFailed(message, errors={"service_id": [message]})
    if missing:
        message = (f"{service.organisation.name} needs {' and '.join(missing)} to take a referral. Add it to "
                   f"{learner.display_name}'s record first, or choose another service.")
        raise ValidationFailed(message, errors={"service_id": [message]})


def _visible_ids(actor: User, referral_id: uuid.UUID) -> set[uuid.UUID]:
    return set(db.session.scalars(visible_referrals(actor).where(Referral.id == referral_id)
                                  .with_only_columns(Referral.id)))


def _referable(service_id: uuid.UUID) -> Service:
    try:
        service = service_named(service_id)
    except NotFound:
        raise ValidationFailed("There is no service with this id.", errors={"service_id": [
            "There is no service with this id. Find one on the services page."]}) from None
    if not service.takes_referrals or service.status != "active":
        raise ValidationFailed("This service does not take referrals at the moment.", errors={"service_id": [
            "This service does not take referrals at the moment. Contact it directly, or choose another."]})
    return service


def _check_consent(actor: User, consent: dict, service: Service) -> None:
    errors: dict[str, list[str]] = {}
    if consent["recipient_organisation_id"] != service.organisation_id:
        errors["recipient_organisation_id"] = [
            f"The permission must name the provider that runs this service: {service.organisation.name}."]
    if consent["privacy_notice_version"] not in privacy.versions():
        errors["privacy_notice_version"] = ["This is not a version of our privacy notice. Show the resident the "
                                            "current one: " + privacy.current_version() + "."]
    if actor.role == Role.LEARNER and consent["given_by"] != "learner":
        errors["given_by"] = ["When you refer yourself, the permission is given by you: use learner."]
    if errors:
        raise ValidationFailed("The permission to share has problems: see errors.", errors={"consent": errors})


# Moving a referral on -------------------------------------------------------------------------------------------

def _event(referral: Referral, to: str, actor: User | None, reason_code: str | None, reason: str | None,
           from_status: str | type | None = type, at: datetime | None = None) -> None:
    db.session.add(ReferralEvent(
        referral_id=referral.id, from_status=referral.status if from_status is type else from_status, to_status=to,
        actor_id=actor.id if actor else None, reason_code=reason_code, reason=reason, at=at or utcnow()))


def transition(actor: User, referral: Referral, to: str, version: int, reason_code: str | None = None,
               reason: str | None = None) -> Referral:
    """Move the referral on, if this person may, from here, at this version. Flushes, never commits."""
    if not any(to in targets for targets in moves_for(actor.role).values()):
        raise Forbidden(f"Your account cannot mark a referral as {to.replace('_', ' ')}.")
    db.session.refresh(referral, with_for_update=True)  # two answers at once: the second waits, then sees 409
    if version != referral.version:
        raise Conflict("Someone changed this referral since you opened it. Open it again to see its status.",
                       errors={"version": [f"Out of date: the referral is at version {referral.version}."]})
    if to not in moves_for(actor.role).get(referral.status, ()):
        raise Conflict(f"A referral that is {referral.status.replace('_', ' ')} cannot become "
                       f"{to.replace('_', ' ')}.", errors={"to": [f"Not possible from {referral.status}."]})
    _check_reason(to, reason_code, reason)
    if to == "viewed":
        opened_by(actor, referral)
        return referral
    _move(referral, to, actor, reason_code, reason)
    return referral


def _check_reason(to: str, reason_code: str | None, reason: str | None) -> None:
    codes_for = REASON_CODES.get(to)
    if codes_for and reason_code not in codes_for:
        choices = ", ".join(f"{REASON_LABELS[code]} ({code})" for code in codes_for)
        labels = ", ".join(REASON_LABELS[code] for code in codes_for)
        raise ValidationFailed(f"Say why: choose one of {choices}.", errors={"reason_code": [f"Choose why: {labels}."]})
    if not codes_for and reason_code:
        raise ValidationFailed("A reason code is only for declined or not completed.",
                               errors={"reason_code": ["Leave this out for " + to + "."]})
    if reason_code == "other" and not (reason or "").strip():
        raise ValidationFailed("Say why in a few words.", errors={"reason": ["Say why in a few words (up to 500 "
                                                                             "characters)."]})


def _move(referral: Referral, to: str, actor: User | policy.SystemActor | None, reason_code: str | None,
          reason: str | None, at: datetime | None = None) -> None:
    now = at or utcnow()
    _event(referral, to, actor, reason_code, reason, at=now)
    if to in RESPONDED and referral.first_response_at is None:
        referral.first_response_at = now
    if to not in OPEN:
        referral.closed_at = now
    referral.status, referral.reason_code, referral.reason = to, reason_code, reason
    referral.version += 1
    audit.record(f"referral.{to}", referral.learner_id, referral_id=referral.id, **policy.audit_fields(actor))
    actor = policy.person(actor)
    if to in ("withdrawn", "entered_in_error") and actor is not None and actor.role != Role.PROVIDER:
        _tell_provider(referral, "withdrawn")
    if actor is None or actor.role == Role.PROVIDER:
        _tell_referrer(referral)


def withdraw_permission(actor: User, permission: SharingPermission) -> int:
    """The resident takes back permission to share with this provider: every permission they gave it ends, its
    open referrals are withdrawn, and the provider loses access at once. Returns how many were withdrawn."""
    learner = policy.learner_for(actor, permission.learner_id, REFER)
    now = utcnow()
    permissions = db.session.scalars(select(SharingPermission).where(
        SharingPermission.learner_id == learner.id, SharingPermission.organisation_id == permission.organisation_id,
        SharingPermission.withdrawn_at.is_(None))).all()
    for each in permissions:
        each.withdrawn_at, each.withdrawn_by_id = now, actor.id
    open_referrals = db.session.scalars(select(Referral).where(
        Referral.permission_id.in_([each.id for each in permissions]), Referral.status.in_(OPEN))).all()
    for referral in open_referrals:
        _move(referral, "withdrawn", actor, None, "Permission to share was withdrawn.")
    audit.record("sharing.withdrawn", learner.id, organisation_id=permission.organisation_id)
    return len(open_referrals)


def permissions_of(learner: User) -> list[SharingPermission]:
    return list(db.session.scalars(select(SharingPermission).where(SharingPermission.learner_id == learner.id)
                                   .order_by(SharingPermission.given_at.desc())))


def permission_for(actor: User, permission_id: uuid.UUID) -> SharingPermission:
    permission = db.session.get(SharingPermission, permission_id)
    if permission is None or not policy.may_see(actor, db.session.get(User, permission.learner_id)) \
            or not policy.allowed(actor, REFER):
        raise NotFound("There is no such permission.")
    return permission


# Notifications: a reference and a link, never personal data ----------------------------------------------------

def _link(referral: Referral) -> str:
    return f"{current_app.config['BASE_URL']}/referrals/{referral.id}"  # also built by the tick, outside requests


def _provider_email(kind: str, ref: str, date: str) -> tuple[str, str]:
    """The subject and text of an email to a provider's users, in the language being written (mail.written_for)."""
    if kind == "new":
        return (gettext("A new referral for you (%(ref)s)", ref=ref),
                gettext("You have a new referral, reference %(ref)s. Please reply by %(date)s.", ref=ref, date=date))
    if kind == "withdrawn":
        return (gettext("A referral was withdrawn (%(ref)s)", ref=ref),
                gettext("Referral %(ref)s has been withdrawn. You do not need to do anything more.", ref=ref))
    if kind == "last_day":
        return (gettext("Please reply to a referral by tomorrow (%(ref)s)", ref=ref),
                gettext("Referral %(ref)s needs a reply by %(date)s. After that it expires.", ref=ref, date=date))
    if kind == "halfway":
        return (gettext("A referral is waiting for your reply (%(ref)s)", ref=ref),
                gettext("Referral %(ref)s is waiting for your reply. Please reply by %(date)s.", ref=ref, date=date))
    raise ValueError(f"no provider email {kind!r}")


def _tell_provider(referral: Referral, kind: str) -> None:
    users = db.session.scalars(select(User).where(User.organisation_id == referral.organisation_id,
                                                  User.role == Role.PROVIDER, User.active.is_(True),
                                                  User.email.is_not(None))).all()
    ref = codes.grouped(referral.reference)
    for user in users:
        with written_for(user):
            subject, body = _provider_email(kind, ref, long_date(referral.respond_by))
            if referral.status not in GONE_FROM_PROVIDER:  # a withdrawn referral's page is closed to the provider
                body += "\n\n" + gettext("Open it here: %(link)s", link=_link(referral))
            queue_email(user.email, subject, body + "\n")


# The subject and first paragraph of the email telling the referrer and the learner of a referral's new status: a
# whole sentence for each status, so that each language can say it its own way (translated when the email is written).
STATUS_NEWS = {
    "submitted": (N_("Referral %(ref)s is now submitted"),
                  N_("There is news about referral %(ref)s: it is now submitted.")),
    "viewed": (N_("Referral %(ref)s is now viewed"),
               N_("There is news about referral %(ref)s: it is now viewed.")),
    "accepted": (N_("Referral %(ref)s is now accepted"),
                 N_("There is news about referral %(ref)s: it is now accepted.")),
    "waitlisted": (N_("Referral %(ref)s is now waitlisted"),
                   N_("There is news about referral %(ref)s: it is now waitlisted.")),
    "in_progress": (N_("Referral %(ref)s is now in progress"),
                    N_("There is news about referral %(ref)s: it is now in progress.")),
    "declined": (N_("Referral %(ref)s is now declined"),
                 N_("There is news about referral %(ref)s: it is now declined.")),
    "completed": (N_("Referral %(ref)s is now completed"),
                  N_("There is news about referral %(ref)s: it is now completed.")),
    "not_completed": (N_("Referral %(ref)s is now not completed"),
                      N_("There is news about referral %(ref)s: it is now not completed.")),
    "withdrawn": (N_("Referral %(ref)s is now withdrawn"),
                  N_("There is news about referral %(ref)s: it is now withdrawn.")),
    "expired": (N_("Referral %(ref)s is now expired"),
                N_("There is news about referral %(ref)s: it is now expired. The provider did not reply in time. "
                   "The page below suggests other services to try.")),
    "entered_in_error": (N_("Referral %(ref)s is now entered in error"),
                         N_("There is news about referral %(ref)s: it is now entered in error.")),
}


def _status_news(status: str, ref: str) -> tuple[str, str]:
    subject, news = STATUS_NEWS[status]
    return gettext(subject, ref=ref), gettext(news, ref=ref)


def _tell_referrer(referral: Referral) -> None:
    """The referrer and the learner see the new status when they sign in; those with email are told there is one."""
    people = {referral.referred_by_id, referral.learner_id}
    ref = codes.grouped(referral.reference)
    for user in db.session.scalars(select(User).where(User.id.in_(people), User.email.is_not(None))):
        with written_for(user):
            subject, news = _status_news(referral.status, ref)
            queue_email(user.email, subject, news + "\n\n" + gettext("See it here: %(link)s", link=_link(referral))
                        + "\n")


# The deadline tick ----------------------------------------------------------------------------------------------

@dataclass
class TickResult:
    halfway_reminders: int = 0
    last_day_reminders: int = 0
    expired: int = 0


def waiting_for_an_answer() -> list[uuid.UUID]:
    """The referrals the deadline tick looks at: submitted or viewed, not yet answered."""
    return list(db.session.scalars(select(Referral.id).where(Referral.status.in_(("submitted", "viewed")))))


def remind_or_expire(referral_id: uuid.UUID, now: datetime, result: TickResult) -> None:
    """The deadline tick for one referral: remind its provider at the halfway point and the day before the
    deadline; expire it if still unanswered after. Doing it twice changes nothing the second time (the status and
    the reminder times say what is done), and two ticks at once cannot both act on it (its row is locked). Runs
    as the system (no actor). Flushes, never commits: the tick commits each referral on its own."""
    today = workdays.local_date(now)
    referral = db.session.scalar(select(Referral).where(
        Referral.id == referral_id, Referral.status.in_(("submitted", "viewed"))).with_for_update(of=Referral))
    if referral is not None:
        start, days = workdays.local_date(referral.created_at), max(1, referral.service.response_days)
        if today > referral.respond_by:
            _move(referral, "expired", policy.DEADLINE_TICK, None, "No answer by the deadline.", at=now)
            result.expired += 1
        elif referral.last_day_reminder_at is None and today >= workdays.add_working_days(start, days - 1):
            referral.last_day_reminder_at = now
            referral.halfway_reminder_at = referral.halfway_reminder_at or now  # never a late halfway reminder
            _tell_provider(referral, "last_day")
            result.last_day_reminders += 1
        elif referral.halfway_reminder_at is None and today >= workdays.add_working_days(start, (days + 1) // 2):
            referral.halfway_reminder_at = now
            _tell_provider(referral, "halfway")
            result.halfway_reminders += 1
        db.session.flush()


# Erasure and retention --------------------------------------------------------------------------------------------

ERASED = "[erased]"


def withdraw_for_erasure(actor: User | policy.SystemActor | None,
                         learner_id: uuid.UUID) -> tuple[int, set[uuid.UUID]]:
    """The resident is erased: their open referrals are withdrawn (telling each provider), the details of every
    referral go, and their permissions to share end. Returns how many were withdrawn, and from which
    organisations."""
    withdrawn, told = 0, set()
    for referral in db.session.scalars(select(Referral).where(Referral.learner_id == learner_id)).all():
        if referral.status in OPEN:
            _move(referral, "withdrawn", actor, None, "Withdrawn at the resident's request.")
            withdrawn += 1
            told.add(referral.organisation_id)
        erase_details(referral)
    db.session.execute(SharingPermission.__table__.update().where(
        SharingPermission.learner_id == learner_id, SharingPermission.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow()))
    return withdrawn, told


def withdraw_doubles_before_merge(gone_id: uuid.UUID, kept_id: uuid.UUID) -> int:
    """Two records of one resident, each with an open referral to the same service: the merged-away record's is
    withdrawn (the kept record's stays), so the merged resident keeps one open referral per service. Returns how
    many were withdrawn. Flushes, never commits."""
    kept_services = select(Referral.service_id).where(Referral.learner_id == kept_id, Referral.status.in_(OPEN))
    doubles = db.session.scalars(select(Referral).where(Referral.learner_id == gone_id, Referral.status.in_(OPEN),
                                                        Referral.service_id.in_(kept_services))).all()
    for referral in doubles:
        _move(referral, "withdrawn", None, None, "The resident's two records were merged; the record kept already "
                                                 "has an open referral to this service.")
    db.session.flush()
    return len(doubles)


def erase_details(referral: Referral) -> None:
    """What the resident told us for this referral goes; the referral stays, for the figures."""
    referral.need = referral.access_needs = referral.contact_method = ERASED
    referral.reason = ERASED if referral.reason else None
    referral.personal_data_removed_at = referral.personal_data_removed_at or utcnow()
    db.session.execute(ReferralEvent.__table__.update().where(ReferralEvent.referral_id == referral.id,
                                                              ReferralEvent.reason.is_not(None))
                       .values(reason=ERASED))


def clear_details_closed_before(closed_before: datetime) -> int:
    """Retention: the details of referrals closed before this time go. Returns how many were cleared."""
    cleared = db.session.scalars(select(Referral).where(
        Referral.closed_at < closed_before, Referral.personal_data_removed_at.is_(None))).all()
    for referral in cleared:
        erase_details(referral)
    return len(cleared)


# Figures per provider -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    referrals: int
    median_days_to_respond: float | None
    acceptance_rate: float | None
    completion_rate: float | None

    @property
    def replies_in(self) -> str | None:
        if self.median_days_to_respond is None:
            return None
        days = round(self.median_days_to_respond)
        return "the same day" if days == 0 else f"{days} working day{'s' if days != 1 else ''}"


def figures(organisation_ids: set[uuid.UUID] | None = None) -> dict[uuid.UUID, Figures]:
    """Per organisation: median working days to a first answer, share accepted, share completed (one query)."""
    query = select(Referral.organisation_id, Referral.status, Referral.created_at, Referral.first_response_at) \
        .where(Referral.status != "entered_in_error")
    if organisation_ids is not None:
        if not organisation_ids:
            return {}
        query = query.where(Referral.organisation_id.in_(organisation_ids))
    rows: dict[uuid.UUID, list] = {}
    for row in db.session.execute(query):
        rows.setdefault(row.organisation_id, []).append(row)
    out = {}
    for organisation_id, items in rows.items():
        answered = [workdays.working_days_between(r.created_at, r.first_response_at) for r in items
                    if r.first_response_at]
        decided = [r for r in items if r.first_response_at]
        accepted = [r for r in decided if r.status not in ("declined",)]
        finished = [r for r in items if r.status in ("completed", "not_completed")]
        out[organisation_id] = Figures(
            referrals=len(items),
            median_days_to_respond=statistics.median(answered) if answered else None,
            acceptance_rate=len(accepted) / len(decided) if decided else None,
            completion_rate=sum(r.status == "completed" for r in finished) / len(finished) if finished else None)
    return out
