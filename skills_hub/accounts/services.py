"""Account services: create people, check sign-in details, register and find residents, reset PINs."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from skills_hub import codes
from skills_hub.accounts import matching, privacy, sessions, signals, tokens
from skills_hub.accounts.models import (
    Branch,
    BranchMember,
    Consent,
    OneTimeLink,
    Organisation,
    Role,
    User,
    default_display_name,
)
from skills_hub.accounts.permissions import (
    FIND_LEARNER,
    LINK_LEARNER,
    MANAGE_ACCOUNTS,
    REGISTER_LEARNER,
    RESET_PIN,
    SEARCH_LEARNERS,
)
from skills_hub.accounts.policy import branch_ids_of, may_see, refuse_if_not_live, require, visible_learners
from skills_hub.audit import services as audit
from skills_hub.audit.models import AuditEvent
from skills_hub.errors import Conflict, DomainError, NotFound, ValidationFailed
from skills_hub.extensions import db, utcnow
from skills_hub.mail import queue_email, written_for

LEARNER_NUMBER_LENGTH = 8
PIN_LENGTH = 6
PIN_ATTEMPTS = 5
PIN_LOCK_MINUTES = 15
# Checked against when an account is unknown, so that a wrong email takes as long as a wrong password.
_UNKNOWN_ACCOUNT_HASH = generate_password_hash(secrets.token_hex(16))


class PinLocked(DomainError):
    """Too many wrong PINs: the learner number is locked for a while."""

    status, title, slug = 429, "Too many attempts", "too-many-attempts"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_learner_number() -> str:
    """A fresh learner number (7 random characters and a check character), not used before."""
    while True:
        number = codes.generate(LEARNER_NUMBER_LENGTH)
        if db.session.scalar(select(User.id).where(User.learner_number == number)) is None:
            return number


def new_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_LENGTH))


def hash_secret(secret: str) -> str:
    """A password or PIN, hashed (scrypt unless the configuration says otherwise)."""
    return generate_password_hash(secret, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(*, role: Role, given_name: str, family_name: str, email: str | None = None,
                password: str | None = None, learner_number: str | None = None, pin: str | None = None,
                organisation: Organisation | None = None, branches: list[Branch] = (), is_demo: bool = False,
                **details: Any) -> User:
    """Add a user. Flushes, never commits."""
    given_name, family_name = given_name.strip(), family_name.strip()
    if "name_as_written" in details:
        details["name_as_written"] = written_name(given_name, family_name, details["name_as_written"])
    user = User(
        id=uuid.uuid4(), role=role, given_name=given_name, family_name=family_name,
        name_key=matching.name_key(given_name, family_name),
        email=normalise_email(email) if email else None,
        password_hash=hash_secret(password) if password else None,
        learner_number=learner_number, pin_hash=hash_secret(pin) if pin else None,
        organisation_id=organisation.id if organisation else None, is_demo=is_demo, **details,
    )
    db.session.add(user)
    db.session.flush()
    for branch in branches:
        db.session.add(BranchMember(user_id=user.id, branch_id=branch.id))
    db.session.flush()
    return user


def written_name(given_name: str, family_name: str, display_name: str | None) -> str | None:
    """What to keep as the name as written: None when it is blank or the same as the default, so the default
    follows any later change of the given or family name."""
    display_name = (display_name or "").strip()
    if not display_name or display_name == default_display_name(given_name, family_name):
        return None
    return display_name


def email_in_use(email: str) -> bool:
    return db.session.scalar(select(User.id).where(User.email == normalise_email(email))) is not None


# Signing in -----------------------------------------------------------------------------------------------------

def authenticate_by_email(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or user.password_hash is None:
        check_password_hash(_UNKNOWN_ACCOUNT_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) and user.active else None


def authenticate_by_pin(learner_number: str, pin: str) -> User | None:
    """The learner, or None. After 5 wrong PINs the number locks for 15 minutes (PinLocked). The caller commits.

    Each try is counted before the PIN is checked, in one UPDATE that also refuses a locked number, so guesses
    sent at the same moment wait for each other: exactly 5 are checked, then the number is locked."""
    user = db.session.scalar(select(User).where(User.learner_number == codes.normalise(learner_number)))
    if user is None or user.pin_hash is None:
        check_password_hash(_UNKNOWN_ACCOUNT_HASH, pin)
        return None
    tried = _count_pin_try(user)
    if tried is None:
        raise _locked()
    count, pin_hash, active = tried
    if pin_hash and check_password_hash(pin_hash, pin.strip()) and active:
        _set_pin_count(user, failed_pin_attempts=0)
        return user
    if count >= PIN_ATTEMPTS:
        _set_pin_count(user, pin_locked_until=utcnow() + timedelta(minutes=PIN_LOCK_MINUTES))
        audit.record("learner.pin_locked", user.id, actor_id=None)
        db.session.flush()
        raise _locked()
    return None


def _count_pin_try(user: User) -> tuple[int, str | None, bool] | None:
    """Count one more try, unless the number is locked (then None). A lock that has run out starts a new count.
    The row stays locked for this transaction, so a second try at the same moment waits for this one."""
    now = utcnow()
    lock_ran_out = User.pin_locked_until.is_not(None) & (User.pin_locked_until <= now)
    row = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(lock_ran_out, User.pin_locked_until.is_(None)
                                       & (User.failed_pin_attempts < PIN_ATTEMPTS)))
        .values(failed_pin_attempts=case((lock_ran_out, 1), else_=User.failed_pin_attempts + 1),
                pin_locked_until=None)
        .returning(User.failed_pin_attempts, User.pin_hash, User.active)
        .execution_options(synchronize_session=False)).first()
    if row is None:  # locked; or counted to the limit by an older version that did not lock: lock it now
        db.session.execute(update(User).where(User.id == user.id, User.pin_locked_until.is_(None))
                           .values(pin_locked_until=now + timedelta(minutes=PIN_LOCK_MINUTES))
                           .execution_options(synchronize_session=False))
        db.session.expire(user, ["failed_pin_attempts", "pin_locked_until"])
        return None
    db.session.expire(user, ["failed_pin_attempts", "pin_locked_until", "pin_hash", "active"])
    return row[0], row[1], row[2]


def _set_pin_count(user: User, **values: Any) -> None:
    db.session.execute(update(User).where(User.id == user.id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.expire(user, ["failed_pin_attempts", "pin_locked_until"])


def _locked() -> PinLocked:
    message = (f"This learner number is locked for {PIN_LOCK_MINUTES} minutes after {PIN_ATTEMPTS} wrong PINs. "
               "Wait, or ask library staff to unlock it.")
    return PinLocked(message, errors={"learner_number": [message]})


def user_for_credentials(username: str, password: str) -> User | None:
    """For `POST /api/v1/tokens`: an email with its password, or a learner number with its PIN."""
    if "@" in username:
        return authenticate_by_email(username, password)
    number = codes.normalise(username)
    if not (codes.is_well_formed(number, LEARNER_NUMBER_LENGTH) and codes.has_valid_check(number)):
        return None
    return authenticate_by_pin(number, password)


# Residents --------------------------------------------------------------------------------------------------------

@dataclass
class Registration:
    learner: User
    pin: str | None  # shown once, only when the account was just made and has no email
    created: bool
    held: bool = False  # a suspected duplicate, waiting for staff (no learner number or PIN yet)


def _request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps({k: v for k, v in body.items() if k != "client_id"}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _branch_for(actor: User, branch_id: uuid.UUID | None) -> Branch | None:
    if actor.role == Role.ADMIN:
        if branch_id is None:
            return None
        branch = db.session.get(Branch, branch_id)
        if branch is None:
            raise ValidationFailed("There is no branch with this id.", errors={"branch_id": ["Unknown branch."]})
        return branch
    own = branch_ids_of(actor)
    if branch_id is None:
        if len(own) == 1:
            return db.session.get(Branch, own[0])
        message = "Choose which of your branches this resident registers with."
        raise ValidationFailed(message, errors={"branch_id": [message]})
    if branch_id not in own:
        message = "You can only register residents with your own branches."
        raise ValidationFailed(message, errors={"branch_id": [message]})
    return db.session.get(Branch, branch_id)


def _check_consent(consent: dict[str, Any]) -> None:
    if consent["privacy_notice_version"] not in privacy.versions():
        message = f"Unknown privacy notice version. The current one is {privacy.current_version()}."
        raise ValidationFailed(message, errors={"consent": {"privacy_notice_version": [message]}})


def duplicate_conflict(actor: User, body: dict[str, Any]) -> Conflict | None:
    """The 409 for a likely duplicate, naming only learners the actor may see or that match exactly."""
    matches = matching.likely_duplicates(body["given_name"], body["family_name"], body.get("date_of_birth"),
                                         body.get("postcode"), body.get("display_name"))
    if not matches:
        return None
    key = matching.name_key(body["given_name"], body["family_name"])
    shown = [m for m in matches if may_see(actor, m) or m.name_key == key]
    branches = branch_ids_by_user([m.id for m in shown])
    candidates = [{"id": str(m.id), "learner_number": codes.grouped(m.learner_number) if m.learner_number else None,
                   "given_name": m.given_name, "family_name": m.family_name, "display_name": m.display_name,
                   "branch_ids": [str(b) for b in branches.get(m.id, [])]} for m in shown]
    return Conflict(
        "This resident may already have an account. Check the candidates, or send confirm_not_duplicate: true "
        "if this is a different person.",
        extra={"candidates": candidates, "matches_elsewhere": len(matches) - len(shown)})


def register_learner(actor: User, body: dict[str, Any], *, hold_duplicates: str | None = None,
                     make_pin: bool = True) -> Registration:
    """Staff register a resident (no email needed). A retried client_id answers with the first result, also when
    the retry arrives while the first is still being saved.

    A likely duplicate is a 409 with the candidates, unless `hold_duplicates` names where the record comes from
    ("sync", "csv"): then it is kept, held for staff review with no learner number, so nothing is lost.
    Batches (sync, sheets) pass make_pin=False: the PIN is made when staff hand out the card (issue_pin)."""
    require(actor, REGISTER_LEARNER)
    request_hash = _request_hash(body)
    if (replay := _replayed_registration(actor, body, request_hash)) is not None:
        return replay
    branch = _branch_for(actor, body.get("branch_id"))
    _check_consent(body["consent"])
    if body.get("email") and (email_in_use(body["email"]) or tokens.waiting_elsewhere(body["email"])):
        message = "This email address already has an account. Look the resident up instead."
        raise Conflict(message, errors={"email": [message]})
    suspected: list[User] = []
    if not body.get("confirm_not_duplicate"):
        conflict = duplicate_conflict(actor, body)
        if conflict and not hold_duplicates:
            if (replay := _replayed_registration(actor, body, request_hash)) is not None:
                return replay  # saved a moment ago by a retry: the "duplicate" is this very registration
            raise conflict
        if conflict:  # kept and held; the review shows only candidates this person may see, or exact matches
            key = matching.name_key(body["given_name"], body["family_name"])
            suspected = [m for m in matching.likely_duplicates(body["given_name"], body["family_name"],
                                                                body.get("date_of_birth"), body.get("postcode"),
                                                                body.get("display_name"))
                         if may_see(actor, m) or m.name_key == key]
            if not suspected:
                raise conflict_elsewhere(conflict)
    pin = None if body.get("email") or not make_pin else new_pin()
    try:
        with db.session.begin_nested():  # the same client_id saved at this moment by another request: see below
            if suspected:
                return _hold(actor, body, branch, suspected, hold_duplicates, request_hash)
            learner = create_user(
                role=Role.LEARNER, given_name=body["given_name"], family_name=body["family_name"],
                email=None, learner_number=new_learner_number(), pin=pin,  # the email waits: see below
                name_as_written=body.get("display_name"),
                branches=[branch] if branch else [], date_of_birth=body.get("date_of_birth"),
                postcode=body.get("postcode"), phone=body.get("phone"),
                preferred_language=body.get("preferred_language"), client_id=body.get("client_id"),
                client_request_hash=request_hash, created_by_id=actor.id)
    except IntegrityError:
        if (replay := _replayed_registration(actor, body, request_hash)) is not None:
            return replay  # the first request won: this one answers as its replay
        raise
    consent = body["consent"]
    db.session.add(Consent(user_id=learner.id, notice_version=consent["privacy_notice_version"],
                           given_by=consent["given_by"], method=consent["method"], recorded_by_id=actor.id))
    audit.record("learner.registered", learner.id, branch_id=branch.id if branch else "")
    if body.get("email"):  # it counts once its owner confirms it, from the invitation sent there
        send_link(learner, "invitation", to=normalise_email(body["email"]))
    return Registration(learner, pin, created=True)


def _replayed_registration(actor: User, body: dict[str, Any], request_hash: str) -> Registration | None:
    """The registration an earlier request made with this client_id (never its PIN), or None."""
    if not body.get("client_id"):
        return None
    existing = db.session.scalar(select(User).where(User.client_id == body["client_id"]))
    if existing is None:
        return None
    if existing.created_by_id != actor.id and not may_see(actor, existing):
        raise NotFound("There is no resident with this client_id.")
    if existing.client_request_hash != request_hash:
        raise ValidationFailed("This client_id was used before with a different body. Use a new "
                               "client_id for a new resident.", errors={"client_id": ["Already used."]})
    return Registration(existing, None, created=False)


def conflict_elsewhere(conflict: Conflict) -> ValidationFailed:
    """Only residents of other libraries look alike: nothing to merge here, and nothing to show. The record is
    refused with the reason, so staff ask the resident for their learner number."""
    message = ("Someone with a similar name, date of birth and postcode is registered at another library. Ask the "
               "resident for their learner number and look them up; if they are a different person, register them "
               "online with “not the same person” ticked.")
    return ValidationFailed(message, errors={"given_name": [message]},
                            extra={"matches_elsewhere": conflict.extra.get("matches_elsewhere", 0)})


def _hold(actor: User, body: dict[str, Any], branch: Branch | None, suspected: list[User], source: str,
          request_hash: str) -> Registration:
    learner = create_user(
        role=Role.LEARNER, given_name=body["given_name"], family_name=body["family_name"], email=body.get("email"),
        name_as_written=body.get("display_name"), branches=[branch] if branch else [],
        date_of_birth=body.get("date_of_birth"), postcode=body.get("postcode"), phone=body.get("phone"),
        preferred_language=body.get("preferred_language"), client_id=body.get("client_id"),
        client_request_hash=request_hash, created_by_id=actor.id, held_for_review=True)
    consent = body["consent"]
    db.session.add(Consent(user_id=learner.id, notice_version=consent["privacy_notice_version"],
                           given_by=consent["given_by"], method=consent["method"], recorded_by_id=actor.id))
    signals.learner_held.send(learner, candidates=suspected, branch=branch, source=source, actor=actor)
    audit.record("learner.held_as_duplicate", learner.id, source=source)
    return Registration(learner, None, created=True, held=True)


def merged_into(learner: User) -> list[User]:
    """The learner and every record merged into them (a merged record keeps what it held, inactive)."""
    found, frontier = [learner], [learner.id]
    while frontier:
        more = db.session.scalars(select(User).where(User.merged_into_id.in_(frontier))).all()
        found += more
        frontier = [user.id for user in more]
    return found


def register_self(body: dict[str, Any]) -> User:
    """A resident signs up with email and password, agreeing to the privacy notice online."""
    if body["privacy_notice_version"] not in privacy.versions():
        raise ValidationFailed("The privacy notice has changed. Read it again and agree.",
                               errors={"agree": ["The privacy notice has changed. Read it again and agree."]})
    if email_in_use(body["email"]):
        tell_owner_of_registration_try(body["email"])
        message = "This email address already has an account. Sign in, or reset your password."
        raise EmailTaken(message, errors={"email": [message]})
    learner = create_user(role=Role.LEARNER, given_name=body["given_name"], family_name=body["family_name"],
                          email=body["email"], password=body["password"], learner_number=new_learner_number())
    db.session.add(Consent(user_id=learner.id, notice_version=body["privacy_notice_version"],
                           given_by="learner", method="online"))
    audit.record("learner.registered", learner.id, actor_id=learner.id, how="self")
    return learner


def reset_pin(actor: User, learner: User, *, remove_added_since: datetime | None = None) -> str:
    """A new PIN, shown once. The old PIN stops working and the learner's sessions and tokens end.

    With `remove_added_since`, the email address, password and two-step verification set on or after that moment
    are taken off too: what someone else may have added on a PC left signed in."""
    require(actor, RESET_PIN)
    if remove_added_since is not None:
        remove_sign_in_methods_since(learner, remove_added_since)
    pin = new_pin()
    learner.pin_hash = hash_secret(pin)
    learner.failed_pin_attempts = 0
    learner.pin_locked_until = None
    if learner.learner_number is None:
        learner.learner_number = new_learner_number()
    sessions.end_everywhere(learner)
    tokens.revoke_api_tokens(learner)
    audit.record("learner.pin_reset", learner.id)
    return pin


def issue_pin(actor: User, learner: User) -> str:
    """The resident's first PIN (one registered in a batch has none yet), shown once; or, when they have one, a
    new one, exactly as reset_pin (audited as a reset)."""
    if learner.pin_hash is not None:
        return reset_pin(actor, learner)
    require(actor, RESET_PIN)
    pin = new_pin()
    learner.pin_hash = hash_secret(pin)
    audit.record("learner.pin_made", learner.id)
    return pin


def remove_sign_in_methods_since(learner: User, since: datetime) -> list[str]:
    """Take off the email address, password and two-step verification set on or after `since`. The caller
    checks the actor and commits."""
    removed = []
    if learner.email and learner.email_set_at and learner.email_set_at >= since:
        learner.email = None
        removed.append("email")
    if learner.password_hash and learner.password_set_at and learner.password_set_at >= since:
        learner.password_hash = None
        removed.append("password")
    if learner.mfa_secret and learner.mfa_enabled_at and learner.mfa_enabled_at >= since:
        learner.mfa_secret, learner.mfa_recovery_hashes, learner.mfa_enabled_at = None, [], None
        removed.append("two_step")
    audit.record("learner.sign_in_methods_removed", learner.id, since=since.isoformat(),
                 removed=",".join(removed) or "none")
    return removed


def sign_in_methods(learner: User) -> list[dict[str, Any]]:
    """Every way this account can sign in, with when it was set (None: before these dates were kept)."""
    pending = tokens.pending_email(learner)
    return [
        {"method": "pin", "label": "Learner number and PIN", "on": learner.pin_hash is not None,
         "since": learner.pin_set_at, "detail": "Locked after too many wrong PINs" if pin_locked(learner) else ""},
        {"method": "email", "label": "Email address", "on": learner.email is not None, "since": learner.email_set_at,
         "detail": learner.email or "", "pending": pending},
        {"method": "password", "label": "Password", "on": learner.password_hash is not None,
         "since": learner.password_set_at, "detail": ""},
        {"method": "two_step", "label": "Two-step verification", "on": learner.mfa_secret is not None,
         "since": learner.mfa_enabled_at, "detail": ""},
    ]


def unlock_pin(actor: User, learner: User) -> None:
    require(actor, RESET_PIN)
    learner.failed_pin_attempts = 0
    learner.pin_locked_until = None
    audit.record("learner.pin_unlocked", learner.id)


def pin_locked(user: User) -> bool:
    return bool(user.pin_locked_until and user.pin_locked_until > utcnow())


def lookup(actor: User, query: dict[str, Any]) -> User:
    """An exact lookup in any branch: by learner number, or by name and date of birth. Audited."""
    require(actor, FIND_LEARNER)
    learners = select(User).where(User.role == Role.LEARNER)
    if "learner_number" in query:
        found = list(db.session.scalars(learners.where(User.learner_number == query["learner_number"])))
    else:
        key = matching.name_key(query["given_name"], query["family_name"])
        found = list(db.session.scalars(learners.where(User.name_key == key,
                                                       User.date_of_birth == query["date_of_birth"])))
    audit.record("learner.looked_up", found[0].id if len(found) == 1 else None,
                 by="learner_number" if "learner_number" in query else "name_and_date_of_birth",
                 results=len(found))
    if not found:
        raise NotFound("No resident matches exactly. Check the spelling and the date of birth, or register them.")
    if len(found) > 1:
        raise Conflict("More than one resident matches. Look them up by learner number instead.")
    return found[0]


def link_to_branch(actor: User, learner_id: str, branch_id: uuid.UUID) -> User:
    """Link a resident found by an exact lookup to one of the actor's branches, with the resident present."""
    require(actor, LINK_LEARNER)
    try:
        learner = db.session.get(User, uuid.UUID(learner_id))
    except ValueError:
        learner = None
    if learner is None or learner.role != Role.LEARNER:
        raise NotFound("There is no resident with this id.")
    refuse_if_not_live(learner)  # erased, merged or held: nothing more is added to the record
    if actor.role != Role.ADMIN and branch_id not in branch_ids_of(actor):
        message = "You can only link residents to your own branches."
        raise ValidationFailed(message, errors={"branch_id": [message]})
    if db.session.get(Branch, branch_id) is None:
        raise ValidationFailed("There is no branch with this id.", errors={"branch_id": ["Unknown branch."]})
    if db.session.get(BranchMember, (learner.id, branch_id)) is None:
        db.session.add(BranchMember(user_id=learner.id, branch_id=branch_id))
        audit.record("learner.linked_to_branch", learner.id, branch_id=branch_id)
    return learner


def search(actor: User, text: str, page: int, per_page: int) -> tuple[list[User], int]:
    """Residents in the actor's branches whose name has every word of the text (read as the duplicate matcher
    reads names: no case, accents, spaces or apostrophes, in either order, and family name first as 王秀英 is
    written), or whose learner number it is."""
    require(actor, SEARCH_LEARNERS)
    query = visible_learners(actor)
    words = matching.search_words(text)
    if words:
        stored = func.replace(func.replace(User.name_key, "'", ""), "-", "")
        typed = "".join(text.casefold().split())
        written_family_first = func.replace(func.lower(User.family_name + User.given_name), " ", "")
        as_written = func.replace(func.lower(func.coalesce(User.name_as_written, "")), " ", "")
        query = query.where(or_(and_(*[stored.contains(word, autoescape=True) for word in words]),
                                written_family_first.contains(typed, autoescape=True),
                                as_written.contains(typed, autoescape=True),
                                User.learner_number == codes.normalise(text)))
    return in_name_order(query, page, per_page)


def in_name_order(learners_query, page: int, per_page: int) -> tuple[list[User], int]:
    """One page of a list of residents for staff, in the order people expect (see `name_order`), and the total."""
    names = db.session.execute(learners_query.with_only_columns(
        User.id, User.given_name, User.family_name, User.name_as_written).order_by(None)).all()
    ordered = sorted(names, key=lambda row: (matching.sort_key(row.name_as_written or default_display_name(
        row.given_name, row.family_name)), str(row.id)))
    ids = [row.id for row in ordered[(page - 1) * per_page:page * per_page]]
    found = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids], len(names)


def name_order(learners: list[User]) -> list[User]:
    """Residents sorted by the name shown: no case or accents, numbers as numbers ("Demo 4" before "Demo 37")."""
    return sorted(learners, key=lambda user: (matching.sort_key(user.display_name), str(user.id)))


def update_learner(actor: User, learner: User, changes: dict[str, Any]) -> User:
    """Change a resident's details. A stale version gets 409 and changes nothing."""
    if changes.pop("version") != learner.version:
        raise Conflict("Someone else changed this resident since you loaded it. Reload and try again.",
                       errors={"version": [f"The current version is {learner.version}."]})
    if changes.get("email") and normalise_email(changes["email"]) != learner.email and email_in_use(changes["email"]):
        message = "This email address already has an account."
        raise Conflict(message, errors={"email": [message]})
    changed = ",".join(sorted(changes))
    if "email" in changes:
        _staff_change_email(learner, changes.pop("email"))
    written = changes.pop("display_name", learner.name_as_written)
    for name, value in changes.items():
        setattr(learner, name, value)
    learner.name_as_written = written_name(learner.given_name, learner.family_name, written)
    learner.name_key = matching.name_key(learner.given_name, learner.family_name)
    learner.version += 1
    audit.record("learner.changed", learner.id, fields=changed)
    return learner


def _staff_change_email(learner: User, value: str | None) -> None:
    """Staff never make an address work on someone's account: a new address waits until its owner confirms it
    from the link sent there (with a password to choose, when the account has none), and the old address is
    told. Taking the address off happens at once (it gives no one a way in), and the old address is told."""
    new = normalise_email(value) if value else None
    if new == learner.email:
        return
    old = learner.email
    if new is None:
        learner.email = None  # every link made for the account as it was stops working
        audit.record("learner.email_removed", learner.id)
    else:
        send_link(learner, "confirm_email" if learner.password_hash else "invitation", to=new)
        audit.record("learner.email_change_asked", learner.id)
    if old:
        with written_for(learner):  # the old address is still theirs to read
            subject, body = notice("email_removed" if new is None else "email_change_asked")
        queue_email(old, subject, body)


def branch_ids_by_user(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each user's branch ids, in one query."""
    result: dict[uuid.UUID, list[uuid.UUID]] = {}
    if not user_ids:
        return result
    rows = db.session.execute(select(BranchMember.user_id, BranchMember.branch_id)
                              .where(BranchMember.user_id.in_(user_ids)).order_by(BranchMember.branch_id))
    for user_id, branch_id in rows:
        result.setdefault(user_id, []).append(branch_id)
    return result


def learner_out(learner: User, branch_ids: list[uuid.UUID] | None = None, pin: str | None = None,
                pending_email: str | bool | None = False) -> dict:
    """A resident as the API shows them. Lists pass `branch_ids` and `pending_email` read for the whole page."""
    data = {name: getattr(learner, name) for name in (
        "id", "learner_number", "given_name", "family_name", "display_name", "date_of_birth", "postcode", "email",
        "phone", "preferred_language", "version")}
    data["branch_ids"] = branch_ids if branch_ids is not None else branch_ids_by_user([learner.id]).get(learner.id, [])
    data["pin_locked"] = pin_locked(learner)
    data["pending_email"] = tokens.pending_email(learner) if pending_email is False else pending_email
    data["pin"] = pin
    return data


def branch_names(user: User) -> list[str]:
    return list(db.session.scalars(
        select(Branch.name).join(BranchMember, BranchMember.branch_id == Branch.id)
        .where(BranchMember.user_id == user.id).order_by(Branch.name)))


def branches_of(user: User) -> list[Branch]:
    query = select(Branch).order_by(Branch.name)
    if user.role != Role.ADMIN:
        query = query.join(BranchMember, BranchMember.branch_id == Branch.id).where(BranchMember.user_id == user.id)
    return list(db.session.scalars(query))


# Passwords and email ----------------------------------------------------------------------------------------------

LINK_PATHS = {"reset_password": "/password-reset/{token}", "invitation": "/password-reset/{token}",
              "confirm_email": "/account/email/{token}"}  # the pages accounts.new_password, .confirm_email


def link_email(purpose: str, url: str) -> tuple[str, str]:
    """The subject and body of an email with a single-use link, in the language being written
    (mail.written_for)."""
    if purpose == "reset_password":
        return (gettext("Reset your Skills Hub password"),
                gettext("Someone asked to reset the password for this email address on Skills Hub.\n\n"
                        "To choose a new password, open this link within 30 minutes:\n%(url)s\n\n"
                        "If this was not you, you can ignore this email. Your password has not changed.", url=url))
    if purpose == "invitation":
        return (gettext("Set up your Skills Hub account"),
                gettext("An account has been made for you on Skills Hub.\n\n"
                        "To choose your password, open this link within 7 days:\n%(url)s", url=url))
    if purpose == "confirm_email":
        return (gettext("Confirm your new email address for Skills Hub"),
                gettext("To use this email address for your Skills Hub account, open this link within a day:\n"
                        "%(url)s\n\n"
                        "If this was not you, you can ignore this email.", url=url))
    raise ValueError(f"no link email {purpose!r}")


def notice(kind: str) -> tuple[str, str]:
    """Emails that name no one and hold no link but the site's: an old address told of a change, an owner told
    of a registration try. In the language being written (mail.written_for)."""
    if kind == "email_change_asked":
        return (gettext("Your Skills Hub email address may change"),
                gettext("Library staff asked to change the email address for your Skills Hub account to a new "
                        "one. It changes only when the new address is confirmed.\n\n"
                        "If you did not ask for this, tell your library straight away."))
    if kind == "email_removed":
        return (gettext("Your Skills Hub email address was taken off"),
                gettext("Library staff took this email address off your Skills Hub account. You can still sign in "
                        "with your learner number and PIN.\n\n"
                        "If you did not ask for this, tell your library straight away."))
    if kind == "email_changed":
        return (gettext("Your Skills Hub email address has changed"),
                gettext("The email address for your Skills Hub account has changed. We will not send emails about "
                        "it to this address any more.\n\n"
                        "If you did not make this change, tell your library straight away."))
    if kind == "registration_tried":
        return (gettext("Someone tried to make a Skills Hub account with this address"),
                gettext("Someone tried to make a new Skills Hub account with this email address. It already has "
                        "an account, so nothing new was made.\n\n"
                        "If it was you, sign in here: %(base)s/sign-in\n"
                        "Forgotten your password? Choose a new one here: %(base)s/password-reset\n\n"
                        "If it was not you, you can ignore this email. Nobody can get into your account "
                        "without your password.", base=current_app.config["BASE_URL"]))
    raise ValueError(f"no notice {kind!r}")


REGISTRATION_NOTICE_HOURS = 1  # at most one "someone tried to register" email an hour to one address


def send_link(user: User, purpose: str, to: str | None = None) -> None:
    """Email a single-use link through the outbox. The email names no one."""
    secret = tokens.issue_link(user, purpose, new_email=to)
    url = current_app.config["BASE_URL"] + LINK_PATHS[purpose].format(token=secret)
    with written_for(user):  # a new address to confirm is read by the same person
        subject, body = link_email(purpose, url)
    queue_email(to or user.email, subject, body)


def request_password_reset(email: str) -> None:
    """Send a reset link if the address has an account. The caller answers the same either way."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is not None and user.active:
        send_link(user, "reset_password")


def set_password(user: User, password: str) -> None:
    """A new password: every other session ends and every API token is revoked. The caller commits."""
    user.password_hash = hash_secret(password)
    sessions.end_everywhere(user)
    tokens.revoke_api_tokens(user)
    audit.record("account.password_changed", user.id, actor_id=user.id)


def check_password(user: User, password: str | None) -> bool:
    return bool(user.password_hash and password and check_password_hash(user.password_hash, password))


def change_email(user: User, new_email: str) -> None:
    if email_in_use(new_email):
        return  # say nothing: the page answers the same, so nobody learns who has an account
    send_link(user, "confirm_email", to=normalise_email(new_email))


class EmailTaken(Conflict):
    """The address already belongs to an account."""


def confirm_email(link: OneTimeLink) -> User:
    """The owner of a new address opened the link sent there: the address now counts, and the old one is told.
    Refused (NotFound) when another account took the address meanwhile. The caller uses up the link and commits."""
    user = db.session.get(User, link.user_id)
    if email_in_use(link.new_email) and user.email != link.new_email:
        raise NotFound("This email address now belongs to another account.")
    old = user.email
    user.email = link.new_email
    if old and old != user.email:
        with written_for(user):
            subject, body = notice("email_changed")
        queue_email(old, subject, body)
    audit.record("account.email_changed", user.id, actor_id=user.id)
    return user


def tell_owner_of_registration_try(email: str) -> None:
    """Someone tried to register with an address that has an account: its owner hears of it (at most once an
    hour), without anything about who tried."""
    owner = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if owner is None:
        return
    since = utcnow() - timedelta(hours=REGISTRATION_NOTICE_HOURS)
    if db.session.scalar(select(AuditEvent.id).where(AuditEvent.subject_id == owner.id,
                                                     AuditEvent.action == "account.registration_tried",
                                                     AuditEvent.at > since).limit(1)) is None:
        with written_for(owner):
            subject, body = notice("registration_tried")
        queue_email(owner.email, subject, body)
    audit.record("account.registration_tried", owner.id, actor_id=None)


def deactivate(actor: User, user: User) -> None:
    require(actor, MANAGE_ACCOUNTS)
    user.active = False
    sessions.end_everywhere(user)
    tokens.revoke_api_tokens(user)
    audit.record("account.deactivated", user.id)


def set_page_language(user: User, code: str) -> None:
    """Remember the language a resident reads pages in (languages.PAGE_LANGUAGES). One UPDATE, no version
    bump (the caller commits): choosing a language never makes a staff member's open edit of the record stale."""
    db.session.execute(update(User).where(User.id == user.id).values(page_language=code))
    user.page_language = code
