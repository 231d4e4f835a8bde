"""Suspected duplicates: the review queue, and resolving one by merging the two records or keeping both.

A merge moves everything the held record has to the kept one — consent, branches, enrolments and lesson
progress (the furthest progress wins where both have the same lesson), quiz attempts, skills checks,
certificates, referrals and permissions to share, attendance and audit history — fills the kept record's blanks
from the held one, and leaves the held record inactive, pointing at the kept one. Nothing is deleted but the
duplicate rows whose facts were folded into the kept ones, so no count or history is lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, delete, select, update

from skills_hub import codes
from skills_hub.accounts import policy
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import ApiToken, BranchMember, Consent, OneTimeLink, User
from skills_hub.accounts.policy import Action
from skills_hub.audit import services as audit
from skills_hub.audit.models import AuditEvent
from skills_hub.certificates.models import Certificate
from skills_hub.errors import Conflict, NotFound, ValidationFailed
from skills_hub.extensions import db, utcnow
from skills_hub.learning.models import CheckAttempt, Enrolment, LessonProgress, ProgressEvent, SkillsCheck
from skills_hub.outreach.models import Attendance, SuspectedDuplicate, SyncOperation
from skills_hub.referrals.models import Referral, SharingPermission

# Never the email address: it would let whoever registered the held record reset the kept account's password.
BLANKS_FILLED = ("phone", "date_of_birth", "postcode", "preferred_language")


def open_for(actor: User) -> Select[tuple[SuspectedDuplicate]]:
    """The open suspected duplicates of residents this staff member may see (their branches'; admins all)."""
    visible = policy.visible_learners(actor).with_only_columns(User.id)
    return select(SuspectedDuplicate).where(SuspectedDuplicate.status == "open",
                                            SuspectedDuplicate.learner_id.in_(visible)) \
        .order_by(SuspectedDuplicate.created_at, SuspectedDuplicate.id)


def duplicate_for(actor: User, duplicate_id: uuid.UUID | str) -> SuspectedDuplicate:
    policy.require(actor, Action.REGISTER_LEARNER)
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


def held_operations(learner_id: uuid.UUID) -> list[SyncOperation]:
    return list(db.session.scalars(select(SyncOperation).where(SyncOperation.waiting_for_learner_id == learner_id,
                                                               SyncOperation.status == "held")
                                   .order_by(SyncOperation.received_at, SyncOperation.op_id)))


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
    from skills_hub.outreach import sync

    applied = sync.release_held(held.id)
    return Resolution(duplicate, kept, pin, applied)


def merge(gone: User, kept: User) -> None:
    """Move everything `gone` has to `kept`; `gone` stays as an inactive pointer. Flushes, never commits."""
    if gone.id == kept.id:
        raise ValidationFailed("A record cannot be merged into itself.", errors={"keep": ["Choose another."]})
    db.session.flush()
    _merge_enrolments(gone, kept)
    _merge_progress(gone, kept)
    for model, column in ((CheckAttempt, "learner_id"), (SkillsCheck, "learner_id"), (Certificate, "learner_id"),
                          (Referral, "learner_id"), (SharingPermission, "learner_id"), (Consent, "user_id"),
                          (Attendance, "learner_id"), (AuditEvent, "subject_id")):
        db.session.execute(update(model).where(getattr(model, column) == gone.id).values({column: kept.id}),
                           execution_options={"synchronize_session": False})
    kept_branches = set(db.session.scalars(select(BranchMember.branch_id).where(BranchMember.user_id == kept.id)))
    for member in db.session.scalars(select(BranchMember).where(BranchMember.user_id == gone.id)).all():
        if member.branch_id not in kept_branches:
            db.session.add(BranchMember(user_id=kept.id, branch_id=member.branch_id, created_at=member.created_at))
        db.session.delete(member)
    for name in BLANKS_FILLED:
        value = getattr(gone, name)
        if getattr(kept, name) in (None, "") and value not in (None, ""):
            setattr(kept, name, value)
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == gone.id))
    db.session.execute(delete(OneTimeLink).where(OneTimeLink.user_id == gone.id))
    gone.active, gone.merged_into_id, gone.held_for_review = False, kept.id, False
    gone.session_version += 1
    kept.version += 1
    db.session.flush()
    db.session.expire_all()
    audit.record("learner.merged", kept.id, merged_learner_id=gone.id,
                 merged_number=codes.grouped(gone.learner_number) if gone.learner_number else "")


def _merge_enrolments(gone: User, kept: User) -> None:
    kept_by_course = {e.course_id: e for e in db.session.scalars(select(Enrolment)
                                                                 .where(Enrolment.learner_id == kept.id))}
    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.learner_id == gone.id)).all():
        twin = kept_by_course.get(enrolment.course_id)
        if twin is None:
            enrolment.learner_id = kept.id
            continue
        twin.enrolled_at = min(twin.enrolled_at, enrolment.enrolled_at)
        twin.last_active_at = max(twin.last_active_at, enrolment.last_active_at)
        twin.completed_at = twin.completed_at or enrolment.completed_at
        twin.left_at = twin.left_at if enrolment.left_at else None  # still on it in either record: still on it
        kept_valid = db.session.scalar(select(Certificate.id).where(Certificate.enrolment_id == twin.id,
                                                                    Certificate.status == "valid"))
        for certificate in db.session.scalars(select(Certificate).where(Certificate.enrolment_id == enrolment.id)):
            if kept_valid is not None and certificate.status == "valid":
                certificate.status = "superseded"  # one valid certificate per course; the other stays on record
            certificate.enrolment_id = twin.id
        db.session.flush()
        db.session.delete(enrolment)
    db.session.flush()


def _merge_progress(gone: User, kept: User) -> None:
    kept_by_lesson = {p.lesson_id: p for p in db.session.scalars(select(LessonProgress)
                                                                 .where(LessonProgress.learner_id == kept.id))}
    for progress in db.session.scalars(select(LessonProgress).where(LessonProgress.learner_id == gone.id)).all():
        twin = kept_by_lesson.get(progress.lesson_id)
        if twin is None:
            progress.learner_id = kept.id
            continue
        twin.started_at = min(twin.started_at, progress.started_at)
        if progress.done_at and (twin.done_at is None or progress.done_at < twin.done_at):
            twin.done_at, twin.done_content_hash = progress.done_at, progress.done_content_hash
            twin.assisted, twin.recorded_by_id = progress.assisted, progress.recorded_by_id
        db.session.execute(update(ProgressEvent).where(ProgressEvent.progress_id == progress.id)
                           .values(progress_id=twin.id), execution_options={"synchronize_session": False})
        db.session.flush()
        db.session.delete(progress)
    db.session.flush()
