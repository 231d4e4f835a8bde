"""Suspected duplicates: the review queue, and resolving one by merging the two records or keeping both.

A merge moves everything the held record has to the kept one: each domain answers `residents.learners_merging`
for its own rows (consent and branches, enrolments and lesson progress with the furthest progress winning,
quiz attempts, skills checks, certificates, referrals and permissions to share, attendance, audit history),
fills the kept record's blanks from the held one, and leaves the held record inactive, pointing at the kept one.
Nothing is deleted but the duplicate rows whose facts were folded into the kept ones, so no count or history is
lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, select

from skills_hub import codes, residents
from skills_hub.accounts import policy
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import User
from skills_hub.accounts.permissions import REGISTER_LEARNER
from skills_hub.audit import services as audit
from skills_hub.errors import Conflict, NotFound, ValidationFailed
from skills_hub.extensions import db, utcnow
from skills_hub.outreach import sync
from skills_hub.outreach.models import SuspectedDuplicate


def open_for(actor: User) -> Select[tuple[SuspectedDuplicate]]:
    """The open suspected duplicates of residents this staff member may see (their branches'; admins all)."""
    visible = policy.visible_learners(actor).with_only_columns(User.id)
    return select(SuspectedDuplicate).where(SuspectedDuplicate.status == "open",
                                            SuspectedDuplicate.learner_id.in_(visible)) \
        .order_by(SuspectedDuplicate.created_at, SuspectedDuplicate.id)


def duplicate_for(actor: User, duplicate_id: uuid.UUID | str) -> SuspectedDuplicate:
    policy.require(actor, REGISTER_LEARNER)
    try:
        duplicate_id = uuid.UUID(str(duplicate_id))
    except ValueError:
        raise NotFound("There is no suspected duplicate with this id.") from None
    visible = policy.visible_learners(actor).with_only_columns(User.id)
    found = db.session.scalar(select(SuspectedDuplicate).where(
        SuspectedDuplicate.id == duplicate_id,
        SuspectedDuplicate.learner_id.in_(visible) | SuspectedDuplicate.kept_learner_id.in_(visible)))
    if found is None:
        raise NotFound("There is no suspected duplicate with this id.")
    return found


def candidates_of(duplicate: SuspectedDuplicate) -> list[User]:
    ids = [uuid.UUID(candidate) for candidate in duplicate.candidate_ids]
    found = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [found[i] for i in ids if i in found and found[i].active]


@dataclass
class Resolution:
    duplicate: SuspectedDuplicate
    kept: User
    pin: str | None  # a new PIN, once, when the held record is kept as a new resident with no email
    applied: list[dict]  # the held operations' results


def resolve(actor: User, duplicate: SuspectedDuplicate, action: str, keep: uuid.UUID | None) -> Resolution:
    """Merge the held record into a candidate, or keep both. Flushes, never commits."""
    if duplicate.status != "open":
        raise Conflict("This suspected duplicate has been dealt with already.",
                       errors={"action": [f"It was {duplicate.status.replace('_', ' ')}."]})
    held = db.session.get(User, duplicate.learner_id)
    pin = None
    if action == "keep_both":
        held.held_for_review = False
        held.learner_number = accounts.new_learner_number()
        if not held.email:
            pin = accounts.new_pin()
            held.pin_hash = accounts.hash_secret(pin)
        kept = held
    else:
        candidates = {user.id: user for user in candidates_of(duplicate)}
        if keep is None and len(candidates) == 1:
            keep = next(iter(candidates))
        if keep not in candidates:
            message = ("Choose which existing record to keep." if keep is None else
                       "Keep one of the existing records. To keep the new one as a different person, keep both.")
            raise ValidationFailed(message, errors={"keep": [message]})
        kept = candidates[keep]
        if not (policy.may_see(actor, kept) or kept.name_key == held.name_key):
            message = "Keep one of the records shown to you."
            raise ValidationFailed(message, errors={"keep": [message]})
        merge(held, kept)
    duplicate.status = "kept_both" if action == "keep_both" else "merged"
    duplicate.kept_learner_id, duplicate.resolved_by_id, duplicate.resolved_at = kept.id, actor.id, utcnow()
    audit.record(f"duplicate.{duplicate.status}", kept.id, duplicate_id=duplicate.id, held_learner_id=held.id)
    applied = sync.release_held(held.id)
    return Resolution(duplicate, kept, pin, applied)


def merge(gone: User, kept: User) -> None:
    """Move everything `gone` has to `kept`; `gone` stays as an inactive pointer. Each domain moves its own rows
    (the `learners_merging` signal). Flushes, never commits."""
    if gone.id == kept.id:
        raise ValidationFailed("A record cannot be merged into itself.", errors={"keep": ["Choose another."]})
    db.session.flush()
    residents.learners_merging.send(gone, kept=kept)
    db.session.flush()
    db.session.expire_all()
    audit.record("learner.merged", kept.id, merged_learner_id=gone.id,
                 merged_number=codes.grouped(gone.learner_number) if gone.learner_number else "")
