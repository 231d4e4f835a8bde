"""The learning domain's part of a resident's data: enrolments, lesson progress, quiz attempts, skills checks."""

from __future__ import annotations

from sqlalchemy import select, update

from skills_hub import residents
from skills_hub.accounts.models import User
from skills_hub.certificates import services as certificates
from skills_hub.extensions import db
from skills_hub.learning.models import CheckAttempt, Enrolment, LessonProgress, ProgressEvent, SkillsCheck


@residents.exports(Enrolment.learner_id, LessonProgress.learner_id, CheckAttempt.learner_id, SkillsCheck.learner_id)
def export_learning(learner: User, export: residents.Export) -> None:
    export.add("enrolments", Enrolment, Enrolment.learner_id == learner.id)
    export.add("progress", LessonProgress, LessonProgress.learner_id == learner.id)
    export.add("progress_events", ProgressEvent, ProgressEvent.progress_id.in_(
        select(LessonProgress.id).where(LessonProgress.learner_id == learner.id)))
    export.add("attempts", CheckAttempt, CheckAttempt.learner_id == learner.id)
    export.add("skills_checks", SkillsCheck, SkillsCheck.learner_id == learner.id)


@residents.erases(Enrolment.learner_id, LessonProgress.learner_id, CheckAttempt.learner_id, CheckAttempt.answers,
                  SkillsCheck.learner_id, SkillsCheck.answers)
def erase_learning(learner: User, erasure: residents.Erasure) -> None:
    """Quiz answers go. Enrolments, progress, scores and skills-check ratings stay, tied to the anonymous record,
    so the programme's figures do not change."""
    for attempt in db.session.scalars(select(CheckAttempt).where(CheckAttempt.learner_id == learner.id)):
        attempt.answers = {}
    erasure.anonymised("attempts.answers")


@residents.merges(Enrolment.learner_id, LessonProgress.learner_id, CheckAttempt.learner_id, SkillsCheck.learner_id)
def merge_learning(gone: User, kept: User) -> None:
    """Enrolments and progress fold together (the furthest progress wins where both have the same lesson);
    attempts and skills checks move."""
    _merge_enrolments(gone, kept)
    _merge_progress(gone, kept)
    residents.move_rows(CheckAttempt.learner_id, SkillsCheck.learner_id, gone=gone, kept=kept)


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
        certificates.fold_enrolment(enrolment.id, twin.id)
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
