"""Course services: sync the files into the database, and find courses and lessons for readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from skills_hub.courses.files import CourseFile, Problem, read_catalogue
from skills_hub.courses.models import Course, Lesson
from skills_hub.errors import NotFound
from skills_hub.extensions import db, utcnow


class CatalogueInvalid(Exception):
    """The course files have problems; nothing was synced."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the course files")
        self.problems = problems


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)


def sync_catalogue(root: Path) -> SyncReport:
    """Make the database match the course files. Idempotent; retires, never deletes. Flushes, never commits."""
    files, problems = read_catalogue(root)
    if problems:
        raise CatalogueInvalid(problems)
    return sync_courses(files)


def sync_courses(files: list[CourseFile]) -> SyncReport:
    """Make the database hold exactly these courses as current (the rest retired). Flushes, never commits."""
    existing = {c.slug: c for c in db.session.scalars(select(Course).options(selectinload(Course.lessons)))}
    report = SyncReport()
    now = utcnow()
    for course_file in files:
        course = existing.pop(course_file.slug, None)
        if course is None:
            course = Course(slug=course_file.slug, lessons=[])
            db.session.add(course)
            _apply(course, course_file, now)
            report.created.append(course_file.slug)
        elif course.content_hash != course_file.content_hash or course.retired_at is not None:
            _apply(course, course_file, now)
            report.updated.append(course_file.slug)
        else:
            report.unchanged.append(course_file.slug)
    for course in existing.values():
        if course.retired_at is None:
            course.retired_at = now
            course.updated_at = now
            report.retired.append(course.slug)
    db.session.flush()
    return report


def _apply(course: Course, source: CourseFile, now) -> None:
    course.title, course.summary, course.level = source.title, source.summary, source.level
    course.eds_areas, course.minutes, course.version = list(source.eds_areas), source.minutes, source.version
    course.published, course.outcomes = source.published, list(source.outcomes)
    course.knowledge_check, course.content_hash = source.knowledge_check, source.content_hash
    course.retired_at, course.updated_at = None, now
    course.lesson_count = len(source.lessons)
    by_slug = {lesson.slug: lesson for lesson in course.lessons}
    for lesson_file in source.lessons:
        lesson = by_slug.pop(lesson_file.slug, None)
        if lesson is None:
            lesson = Lesson(slug=lesson_file.slug)
            course.lessons.append(lesson)
        if lesson.content_hash != lesson_file.content_hash or lesson.position != lesson_file.position \
                or lesson.retired_at is not None:
            lesson.title, lesson.position, lesson.minutes = lesson_file.title, lesson_file.position, lesson_file.minutes
            lesson.body_markdown, lesson.content_hash = lesson_file.body, lesson_file.content_hash
            lesson.retired_at, lesson.updated_at = None, now
    for position, gone in enumerate(by_slug.values(), start=len(source.lessons) + 1):
        if gone.retired_at is None:
            gone.retired_at, gone.updated_at = now, now
        gone.position = 1000 + position  # out of the way of current lessons


def _published():
    return select(Course).where(Course.published.is_(True), Course.retired_at.is_(None))


def list_courses(*, area: str | None = None, level: str | None = None, page: int = 1,
                 per_page: int = 50) -> tuple[list[Course], int]:
    """Published, current courses, by title; with the total for paging."""
    query = _published()
    if level:
        query = query.where(Course.level == level)
    courses = list(db.session.scalars(query.order_by(Course.title)))
    if area:  # eds_areas is a JSON list; a catalogue is tens of courses, so filter here on every database
        courses = [course for course in courses if area in course.eds_areas]
    start = (page - 1) * per_page
    return courses[start:start + per_page], len(courses)


def count_courses() -> int:
    return db.session.scalar(select(func.count()).select_from(_published().subquery())) or 0


def get_course(slug: str) -> Course:
    """A published, current course with its lessons, or NotFound."""
    course = db.session.scalar(_published().where(Course.slug == slug).options(selectinload(Course.lessons)))
    if course is None:
        raise NotFound(f"There is no course called {slug!r}.")
    return course


def get_lesson(course: Course, lesson_slug: str) -> Lesson:
    for lesson in course.current_lessons:
        if lesson.slug == lesson_slug:
            return lesson
    raise NotFound(f"The course {course.title!r} has no lesson called {lesson_slug!r}.")


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    question_text: str
    chosen_id: str | None
    chosen_text: str | None
    correct: bool
    feedback: str


@dataclass(frozen=True)
class CheckResult:
    score: int
    correct_count: int
    question_count: int
    passed: bool
    results: list[QuestionResult]


def score_check(course: Course, answers: dict[str, str]) -> CheckResult:
    """Score answers ({question_id: choice_id}) on the server, with feedback for every question."""
    check = course.knowledge_check
    results = []
    for question in check["questions"]:
        chosen = next((c for c in question["choices"] if c["id"] == answers.get(question["id"])), None)
        correct = bool(chosen and chosen["correct"])
        feedback = chosen["feedback"] if chosen else "You did not answer this question."
        results.append(QuestionResult(question["id"], question["text"], chosen and chosen["id"],
                                      chosen and chosen["text"], correct, feedback))
    correct_count = sum(r.correct for r in results)
    score = round(100 * correct_count / len(results)) if results else 0
    return CheckResult(score, correct_count, len(results), score >= check["pass_mark"], results)
