"""Learning services: enrol, record progress, score knowledge checks, complete courses, summarise progress.

Completion happens in the transaction that records its last step (a lesson done or a check passed): the
enrolment row is locked, so two requests finishing at the same moment make exactly one completion and one
certificate.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, defer, load_only, selectinload

from skills_hub import residents
from skills_hub.accounts import policy
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import User
from skills_hub.audit import services as audit
from skills_hub.certificates.models import Certificate
from skills_hub.courses import services as courses
from skills_hub.courses.models import Course, Lesson
from skills_hub.errors import Conflict, NotFound, ValidationFailed
from skills_hub.extensions import db, utcnow
from skills_hub.learning import permissions
from skills_hub.learning.models import CheckAttempt, Enrolment, LessonProgress, ProgressEvent, SkillsCheck

FUTURE_TOLERANCE = timedelta(minutes=5)
OLDEST_OFFLINE_WORK = timedelta(days=365)
INACTIVE_AFTER = timedelta(days=14)
_shuffler = random.SystemRandom()


# Enrolling ----------------------------------------------------------------------------------------------------------

def enrolment_for(learner_id: uuid.UUID, course: Course) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(Enrolment.learner_id == learner_id,
                                                     Enrolment.course_id == course.id))


def may_record(actor: User, learner_id: uuid.UUID) -> User:
    """The guard of every change to a resident's learning: the actor is the resident, or staff who may see them
    (404 otherwise), and the record is live (not held, erased or merged: 409)."""
    return policy.learner_for(actor, learner_id, permissions.RECORD_LEARNING)


def enrol(learner: User, course: Course, by: User | None = None,
          when: datetime | None = None) -> tuple[Enrolment, bool]:
    """Enrol (by the learner, or `by` staff), or resume an enrolment the learner left. Returns (enrolment,
    created). `when` is the time it happened, when that was earlier (the demo's history). Flushes, never commits."""
    may_record(by or learner, learner.id)
    when = when or utcnow()
    enrolment = enrolment_for(learner.id, course)
    if enrolment is not None:
        if enrolment.left_at is not None:
            enrolment.left_at = None
            enrolment.last_active_at = max(enrolment.last_active_at, when)
        return enrolment, False
    enrolment = Enrolment(learner_id=learner.id, course_id=course.id, enrolled_by_id=by.id if by else None,
                          enrolled_at=when, last_active_at=when)
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError:  # the same enrolment made at the same moment by another request
        return enrolment_for(learner.id, course), False
    return enrolment, True


def leave(learner: User, course: Course) -> None:
    enrolment = enrolment_for(learner.id, course)
    if enrolment is not None and enrolment.left_at is None:
        enrolment.left_at = utcnow()


def _require_enrolment(learner_id: uuid.UUID, course: Course) -> Enrolment:
    enrolment = enrolment_for(learner_id, course)
    if enrolment is None:
        message = f"The learner is not enrolled on {course.title}. Enrol them first."
        raise ValidationFailed(message, errors={"course": [message]})
    return enrolment


# Lessons ------------------------------------------------------------------------------------------------------------

def _progress(learner_id: uuid.UUID, lesson: Lesson) -> LessonProgress | None:
    return db.session.scalar(select(LessonProgress).where(LessonProgress.learner_id == learner_id,
                                                          LessonProgress.lesson_id == lesson.id))


def _progress_row(learner_id: uuid.UUID, lesson: Lesson) -> LessonProgress:
    """The learner's row for this lesson, made if needed (safe when two requests make it at once)."""
    progress = _progress(learner_id, lesson)
    if progress is not None:
        return progress
    progress = LessonProgress(learner_id=learner_id, course_id=lesson.course_id, lesson_id=lesson.id)
    try:
        with db.session.begin_nested():
            db.session.add(progress)
    except IntegrityError:
        progress = _progress(learner_id, lesson)
    return progress


def lesson_opened(learner: User, lesson: Lesson) -> None:
    """Mark a lesson started when an enrolled learner opens it (a read receipt: it changes no version)."""
    enrolment = enrolment_for(learner.id, lesson.course)
    if enrolment is None or enrolment.left_at is not None:
        return
    _progress_row(learner.id, lesson)
    enrolment.last_active_at = utcnow()


def lesson_done(learner_id: uuid.UUID, lesson: Lesson, *, assisted: bool, by: User | None = None,
                when: datetime | None = None) -> LessonProgress:
    """Mark a lesson done (once: doing it again changes nothing) and complete the course if that was the last
    step. `assisted` is true when a helper was there; staff recording it always counts as assisted. `by` is who
    records it when it is not the learner (checked here); the learner's own pages pass their own id."""
    if by is not None:
        may_record(by, learner_id)
    enrolment = _require_enrolment(learner_id, lesson.course)
    progress = _progress_row(learner_id, lesson)
    if progress.done_at is None:
        progress.done_at = when or utcnow()
        progress.started_at = min(progress.started_at or progress.done_at, progress.done_at)
        progress.done_content_hash = lesson.content_hash
        progress.assisted = assisted or (by is not None and by.id != learner_id)
        progress.recorded_by_id = by.id if by else None
    enrolment.last_active_at = max(enrolment.last_active_at, when or utcnow())
    complete_if_finished(enrolment, lesson.course, when=when)
    return progress


def _request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps({k: v for k, v in body.items() if k != "event_id"}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class ProgressRecorded:
    event: ProgressEvent
    progress: LessonProgress
    lesson: Lesson
    replayed: bool

    def as_dict(self) -> dict[str, Any]:
        """What the API answers; read before the commit expires the objects."""
        return {"event_id": self.event.event_id, "course": self.lesson.course.slug, "lesson": self.lesson.slug,
                "learner_id": self.progress.learner_id, "assisted": self.progress.assisted,
                "done_at": self.progress.done_at, "occurred_at": self.event.occurred_at}


def record_progress(actor: User, learner_id: uuid.UUID, body: dict[str, Any]) -> ProgressRecorded:
    """`POST /api/v1/progress`: idempotent by event_id; a reused event_id with another body is refused."""
    request_hash = _request_hash({**body, "learner_id": learner_id})
    event = db.session.get(ProgressEvent, body["event_id"])
    if event is not None:
        if event.request_hash != request_hash:
            raise ValidationFailed("This event_id was used before with a different body. Use a new event_id.",
                                   errors={"event_id": ["Already used with a different body."]})
        progress = db.session.get(LessonProgress, event.progress_id)
        return ProgressRecorded(event, progress, db.session.get(Lesson, progress.lesson_id), replayed=True)
    now = utcnow()
    occurred_at = body.get("occurred_at") or now
    if occurred_at > now + FUTURE_TOLERANCE:
        message = "occurred_at is in the future. Check the device's clock."
        raise ValidationFailed(message, errors={"occurred_at": [message]})
    if occurred_at < now - OLDEST_OFFLINE_WORK:
        message = "occurred_at is more than a year ago. Check the device's clock."
        raise ValidationFailed(message, errors={"occurred_at": [message]})
    lesson = lesson_named(body["course"], body["lesson"])
    progress = lesson_done(learner_id, lesson, assisted=body["assisted"], by=actor, when=occurred_at)
    event = ProgressEvent(event_id=body["event_id"], request_hash=request_hash, progress_id=progress.id,
                          occurred_at=occurred_at, recorded_by_id=actor.id)
    db.session.add(event)  # the same event_id arriving twice at once fails on commit: the caller retries it
    return ProgressRecorded(event, progress, lesson, replayed=False)


def course_named(course_slug: str) -> Course:
    """A published course named in a request body, or 422 (in a body, an unknown name is bad input, not 404)."""
    try:
        return courses.get_course(course_slug)
    except NotFound:
        raise ValidationFailed(f"There is no course called {course_slug!r}.",
                               errors={"course": ["Unknown course."]}) from None


def lesson_named(course_slug: str, lesson_slug: str) -> Lesson:
    """The current lesson with its course (bodies not loaded), or 422 naming what is unknown."""
    lesson = db.session.scalar(
        select(Lesson).join(Course, Lesson.course_id == Course.id)
        .where(Course.slug == course_slug, Course.published.is_(True), Course.retired_at.is_(None),
               Lesson.slug == lesson_slug, Lesson.retired_at.is_(None))
        .options(contains_eager(Lesson.course).defer(Course.knowledge_check), defer(Lesson.body_markdown)))
    if lesson is not None:
        return lesson
    course = course_named(course_slug)
    raise ValidationFailed(f"{course.title} has no lesson called {lesson_slug!r}.",
                           errors={"lesson": ["Unknown lesson for this course."]})


# Knowledge checks ---------------------------------------------------------------------------------------------------

def new_check_order() -> int:
    """A fresh order for the choices of a knowledge check: one for each attempt."""
    return _shuffler.randrange(courses.CHECK_ORDERS)


def check_answers(course: Course, answers: dict[str, str]) -> None:
    """422 for answers to unknown questions, unknown choices, or missing answers."""
    questions = {q["id"]: q for q in course.knowledge_check["questions"]}
    errors: dict[str, list[str]] = {}
    for question_id, choice_id in answers.items():
        if question_id not in questions:
            errors[question_id] = ["There is no such question in this check."]
        elif choice_id not in {c["id"] for c in questions[question_id]["choices"]}:
            errors[question_id] = ["There is no such choice for this question."]
    for question_id in questions.keys() - answers.keys():
        errors[question_id] = ["Answer this question."]
    if errors:
        raise ValidationFailed("Some answers are missing or unknown: see errors.", errors={"answers": errors})


def take_check(learner: User | None, course: Course, answers: dict[str, str],
               when: datetime | None = None) -> courses.CheckResult:
    """Score on the server. A signed-in learner's attempt is kept, and a pass may complete the course. `when` is
    the time of the attempt, when that was earlier (the demo's history)."""
    result = courses.score_check(course, answers)
    if learner is None or learner.role.value != "learner":
        return result
    moment = when or utcnow()
    db.session.add(CheckAttempt(learner_id=learner.id, course_id=course.id, answers=answers, score=result.score,
                                correct_count=result.correct_count, question_count=result.question_count,
                                passed=result.passed, course_content_hash=course.content_hash, created_at=moment))
    enrolment = enrolment_for(learner.id, course)
    if enrolment is not None:
        enrolment.last_active_at = max(enrolment.last_active_at, moment)
        if result.passed:
            db.session.flush()
            complete_if_finished(enrolment, course, when=when)
    return result


# Completion -----------------------------------------------------------------------------------------------------------

def complete_if_finished(enrolment: Enrolment, course: Course, when: datetime | None = None) -> None:
    """All current lessons done and the check passed → completed, with a certificate, in this transaction.

    The enrolment row is locked first (FOR UPDATE on PostgreSQL; SQLite writes one at a time), so exactly one of
    two racing requests completes it. It is completed now, or, when the last step is dated `when` (work done
    earlier, offline or in the demo's history), at the latest step recorded, never later than now.
    """
    db.session.flush()
    locked = db.session.scalar(select(Enrolment).where(Enrolment.id == enrolment.id)
                               .with_for_update().execution_options(populate_existing=True))
    if locked.completed_at is not None:
        return
    passed = db.session.scalar(select(CheckAttempt.id).where(
        CheckAttempt.learner_id == locked.learner_id, CheckAttempt.course_id == course.id,
        CheckAttempt.passed.is_(True)).limit(1))
    if passed is None:
        return
    done = select(LessonProgress.id).where(LessonProgress.lesson_id == Lesson.id,
                                           LessonProgress.learner_id == locked.learner_id,
                                           LessonProgress.done_at.is_not(None))
    lessons_left = db.session.scalar(select(func.count(Lesson.id)).where(
        Lesson.course_id == course.id, Lesson.retired_at.is_(None), ~done.exists()))
    if lessons_left:
        return
    now = utcnow()
    locked.completed_at = now if when is None else min(max(when, locked.last_active_at), now)
    assisted = db.session.scalar(select(LessonProgress.id).where(
        LessonProgress.learner_id == locked.learner_id, LessonProgress.course_id == course.id,
        LessonProgress.assisted.is_(True)).limit(1)) is not None
    _announce_completion(locked, course, assisted)


def complete_on_paper(actor: User, learner: User, course: Course, completed_on: datetime,
                      reason: str) -> Certificate:
    """An admin records a course completed on paper: the enrolment is marked completed on that date and the
    certificate issued. Audited; the reason is kept with the certificate's event. The caller commits."""
    policy.require(actor, permissions.RECORD_ON_PAPER)
    enrolment, _ = enrol(learner, course, by=actor)
    if enrolment.completed_at is not None:
        raise Conflict(f"{learner.display_name} has already completed {course.title}.")
    enrolment.completed_at = completed_on
    _announce_completion(enrolment, course, assisted=True, actor=actor, reason=reason)
    certificate = db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id,
                                                              Certificate.status == "valid"))
    audit.record("certificate.issued_on_paper", learner.id, actor_id=actor.id, code=certificate.code)
    return certificate


def _announce_completion(enrolment: Enrolment, course: Course, assisted: bool, actor: User | None = None,
                         reason: str | None = None) -> None:
    """Every domain that answers a completion (the certificate) does so in this transaction."""
    residents.course_completed.send(enrolment, learner=db.session.get(User, enrolment.learner_id), course=course,
                                    awarded_at=enrolment.completed_at, assisted=assisted, actor=actor, reason=reason)


# Summaries --------------------------------------------------------------------------------------------------------

@dataclass
class EnrolmentSummary:
    enrolment: Enrolment
    course: Course
    lessons_done: int
    lessons_total: int
    check_passed: bool
    certificate_code: str | None
    next_lesson: Lesson | None
    done_lesson_ids: set[uuid.UUID] = field(default_factory=set)
    certificate_status: str | None = None  # valid, revoked, superseded or withdrawn

    @property
    def percent(self) -> int:
        steps = self.lessons_total + 1  # the knowledge check is the last step
        done = min(self.lessons_done, self.lessons_total) + (1 if self.check_passed else 0)
        return 100 if self.enrolment.completed_at else round(100 * done / steps)

    @property
    def left(self) -> bool:
        return self.enrolment.left_at is not None


def summaries(learner_ids: list[uuid.UUID], only_current: bool = False) -> dict[uuid.UUID, list[EnrolmentSummary]]:
    """Each learner's enrolments with progress, in a fixed number of queries whatever their number."""
    if not learner_ids:
        return {}
    query = select(Enrolment).where(Enrolment.learner_id.in_(learner_ids)).order_by(Enrolment.last_active_at.desc())
    if only_current:
        query = query.where(Enrolment.left_at.is_(None))
    enrolments = list(db.session.scalars(query))
    course_ids = {e.course_id for e in enrolments}
    course_by_id = {c.id: c for c in db.session.scalars(
        select(Course).where(Course.id.in_(course_ids)).options(
            defer(Course.knowledge_check), defer(Course.summary),
            selectinload(Course.lessons).options(load_only(Lesson.id, Lesson.course_id, Lesson.slug, Lesson.title,
                                                           Lesson.position, Lesson.minutes, Lesson.retired_at))))}
    done: dict[tuple[uuid.UUID, uuid.UUID], set[uuid.UUID]] = {}
    for learner_id, course_id, lesson_id in db.session.execute(
            select(LessonProgress.learner_id, LessonProgress.course_id, LessonProgress.lesson_id).where(
                LessonProgress.learner_id.in_(learner_ids), LessonProgress.done_at.is_not(None))):
        done.setdefault((learner_id, course_id), set()).add(lesson_id)
    passed = {(learner_id, course_id) for learner_id, course_id in db.session.execute(
        select(CheckAttempt.learner_id, CheckAttempt.course_id).where(
            CheckAttempt.learner_id.in_(learner_ids), CheckAttempt.passed.is_(True)).distinct())}
    certificates: dict[uuid.UUID, tuple[str, str]] = {}
    for enrolment_id, code, status in db.session.execute(select(
            Certificate.enrolment_id, Certificate.code, Certificate.status).where(
            Certificate.learner_id.in_(learner_ids)).order_by(Certificate.awarded_at)):
        if certificates.get(enrolment_id, ("", ""))[1] != "valid":  # the valid one, else the latest
            certificates[enrolment_id] = (code, status)
    result: dict[uuid.UUID, list[EnrolmentSummary]] = {learner_id: [] for learner_id in learner_ids}
    for enrolment in enrolments:
        course = course_by_id[enrolment.course_id]
        lessons = course.current_lessons
        done_ids = done.get((enrolment.learner_id, course.id), set())
        result[enrolment.learner_id].append(EnrolmentSummary(
            enrolment=enrolment, course=course, lessons_done=sum(1 for lesson in lessons if lesson.id in done_ids),
            lessons_total=len(lessons), check_passed=(enrolment.learner_id, course.id) in passed,
            certificate_code=certificates.get(enrolment.id, (None, None))[0],
            certificate_status=certificates.get(enrolment.id, (None, None))[1],
            next_lesson=next((lesson for lesson in lessons if lesson.id not in done_ids), None),
            done_lesson_ids=done_ids))
    return result


def summary_for(learner_id: uuid.UUID, course: Course) -> EnrolmentSummary | None:
    for item in summaries([learner_id]).get(learner_id, []):
        if item.course.id == course.id:
            return item
    return None


@dataclass
class BranchOverview:
    learners: list[tuple[User, list[EnrolmentSummary]]]
    total: int
    inactive: list[tuple[User, datetime]]
    completions_this_month: int


def branch_overview(learners_query, page: int, per_page: int, now: datetime | None = None) -> BranchOverview:
    """The staff dashboard: learners with their courses, who has gone quiet, completions this month.

    `learners_query` is the policy's query of learners the staff member may see. A fixed number of queries.
    """
    now = now or utcnow()
    learner_ids = learners_query.with_only_columns(User.id).order_by(None)
    total = db.session.scalar(select(func.count()).select_from(learner_ids.subquery())) or 0
    learners, _ = accounts.in_name_order(learners_query, page, per_page)
    by_learner = summaries([learner.id for learner in learners])
    last_active = func.max(Enrolment.last_active_at)
    quiet = db.session.execute(
        select(User, last_active).join(Enrolment, Enrolment.learner_id == User.id)
        .where(User.id.in_(learner_ids), Enrolment.completed_at.is_(None), Enrolment.left_at.is_(None))
        .group_by(User.id).having(last_active < now - INACTIVE_AFTER).order_by(last_active).limit(50)).all()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    completions = db.session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.learner_id.in_(learner_ids), Enrolment.completed_at >= month_start)) or 0
    return BranchOverview([(learner, by_learner[learner.id]) for learner in learners], total,
                          [(user, when) for user, when in quiet], completions)


# Skills checks ------------------------------------------------------------------------------------------------------

def skills_history(learner: User) -> list[SkillsCheck]:
    return list(db.session.scalars(select(SkillsCheck).where(SkillsCheck.learner_id == learner.id)
                                   .order_by(SkillsCheck.taken_at, SkillsCheck.id)))


def learners_active_since(since: datetime) -> Select[tuple[uuid.UUID]]:
    """The ids of learners active on any course since this time (for retention)."""
    return select(Enrolment.learner_id).where(Enrolment.last_active_at >= since).distinct()
