"""Course services: sync the files into the database, and find courses and lessons for readers."""

from __future__ import annotations

import functools
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from skills_hub.courses.files import CourseFile, Problem, read_catalogue
from skills_hub.courses.models import Course, CourseTranslation, Lesson, LessonTranslation
from skills_hub.courses.translation_files import TRANSLATED_LANGUAGES
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
    db.session.flush()
    _sync_translations(CourseTranslation, CourseTranslation.course_id, course.id, source.translations, now,
                       lambda row, file: setattr(row, "texts", file.texts))
    for lesson_file in source.lessons:
        lesson = next(lesson for lesson in course.lessons if lesson.slug == lesson_file.slug)
        _sync_translations(LessonTranslation, LessonTranslation.lesson_id, lesson.id, lesson_file.translations, now,
                           lambda row, file: setattr(row, "body_markdown", file.texts["body"]))


def _sync_translations(model, owner_column, owner_id, files, now, copy_texts) -> None:
    """Make one course's (or lesson's) translation rows match its translation files: removed files go."""
    rows = {row.language: row for row in db.session.scalars(select(model).where(owner_column == owner_id))}
    for language, file in files.items():
        row = rows.pop(language, None)
        if row is None:
            row = model(language=language, **{owner_column.key: owner_id})
            db.session.add(row)
        elif row.content_hash == file.content_hash and row.current == file.current:
            continue
        copy_texts(row, file)
        row.current, row.translated_by, row.reviewed_by = file.current, file.translated_by, file.reviewed_by
        row.content_hash, row.updated_at = file.content_hash, now
    for gone in rows.values():
        db.session.delete(gone)


def _published():
    return select(Course).where(Course.published.is_(True), Course.retired_at.is_(None))


def fully_translated(language: str) -> tuple:
    """Conditions on Course: a current translation of its texts and of every current lesson into `language` (what
    `languages_of` calls current)."""
    untranslated_lesson = select(Lesson.id).where(
        Lesson.course_id == Course.id, Lesson.retired_at.is_(None),
        ~select(LessonTranslation.id).where(LessonTranslation.lesson_id == Lesson.id,
                                            LessonTranslation.language == language,
                                            LessonTranslation.current.is_(True)).exists())
    return (Course.id.in_(select(CourseTranslation.course_id).where(CourseTranslation.language == language,
                                                                    CourseTranslation.current.is_(True))),
            ~untranslated_lesson.exists())


def list_courses(*, area: str | None = None, level: str | None = None, available_in: str | None = None,
                 page: int = 1, per_page: int = 50) -> tuple[list[Course], int]:
    """Published, current courses, by title; with the total for paging. `available_in` keeps the courses with a
    current translation into that language (every course is in English)."""
    query = _published()
    if level:
        query = query.where(Course.level == level)
    if available_in and available_in != "en":
        query = query.where(*fully_translated(available_in))
    courses = list(db.session.scalars(query.order_by(Course.title)))
    if area:  # eds_areas is a JSON list; a catalogue is tens of courses, so filter here on every database
        courses = [course for course in courses if area in course.eds_areas]
    start = (page - 1) * per_page
    return courses[start:start + per_page], len(courses)


def list_all_courses() -> list[Course]:
    """Every current course, published or not, by slug, with its lessons (for translators and admins)."""
    return list(db.session.scalars(select(Course).where(Course.retired_at.is_(None))
                                   .options(selectinload(Course.lessons)).order_by(Course.slug)))


def english_texts(course: CourseFile) -> dict:
    """A course file's English texts, in the shape translation_files.course_source_hash reads."""
    return {"title": course.title, "summary": course.summary, "outcomes": course.outcomes,
            "lessons": [{"slug": lesson.slug, "title": lesson.title} for lesson in course.lessons],
            "check": course.knowledge_check}


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


# The orders a check's choices are shown in: few, so that each can be read aloud on the server (courses.audio) and a
# listener hears the choices in the order the page shows them; an attempt keeps its order (the form carries it).
CHECK_ORDERS = 4


def shuffled_questions(course: Course, order: int) -> list[dict]:
    """The questions with their choices in the order numbered `order`, never with the answers. An attempt keeps
    its order (the form carries it), so the choices do not move when the form comes back with an error."""
    shuffler = random.Random(f"{course.slug}:{order}")
    questions = []
    for question in course.knowledge_check["questions"]:
        choices = [{"id": c["id"], "text": c["text"]} for c in question["choices"]]
        shuffler.shuffle(choices)
        questions.append({"id": question["id"], "text": question["text"], "choices": choices})
    return questions


def score_check(course: Course, answers: dict[str, str]) -> CheckResult:
    """Score answers ({question_id: choice_id}) on the server, with feedback for every question."""
    check = course.knowledge_check
    results = []
    for question in check["questions"]:
        chosen = next((c for c in question["choices"] if c["id"] == answers.get(question["id"])), None)
        correct = bool(chosen and chosen["correct"])
        feedback = chosen["feedback"] if chosen else gettext("You did not answer this question.")
        results.append(QuestionResult(question["id"], question["text"], chosen and chosen["id"],
                                      chosen and chosen["text"], correct, feedback))
    correct_count = sum(r.correct for r in results)
    score = round(100 * correct_count / len(results)) if results else 0
    return CheckResult(score, correct_count, len(results), score >= check["pass_mark"], results)


# A course in a reader's language ----------------------------------------------------------------------------------
# One course, one enrolment, one progress record whatever language it is read in: these are views of the same
# Course and Lessons (ids, slugs and the answers stay the English's), with the texts swapped where a current
# translation exists. A page never mixes languages in its body: a lesson whose translation is missing or outdated
# is shown whole in English, with one sentence in the reader's language saying so.

class LessonShown:
    def __init__(self, lesson: Lesson, title: str, translation: LessonTranslation | None, body_language: str):
        self.lesson, self.title, self.body_language = lesson, title, body_language
        self._translation = translation
        # The lesson page's heading is in the language of its body.
        self.heading = title if body_language != "en" else lesson.title

    @property
    def body_markdown(self) -> str:  # read only by the lesson page (lists load lessons without their bodies)
        return self._translation.body_markdown if self._translation is not None else self.lesson.body_markdown

    def __getattr__(self, name: str):
        return getattr(self.lesson, name)

    def __eq__(self, other) -> bool:
        return isinstance(other, LessonShown) and other.lesson.id == self.lesson.id

    __hash__ = None  # type: ignore[assignment]


class CourseShown:
    """A course as a reader of `wanted` sees it. `language` is the language its texts are in; `waiting` is true
    when the reader asked for another language and these texts (or a lesson's) are in English meanwhile."""

    def __init__(self, course: Course, wanted: str, translation: CourseTranslation | None,
                 lessons: dict[uuid.UUID, LessonTranslation]):
        self.course, self.wanted = course, wanted
        texts = translation.texts if translation is not None and translation.current else None
        self.language = wanted if texts else "en"
        self.waiting = wanted != "en" and texts is None
        self._texts, self._lesson_translations = texts, lessons

    # Read when used: lists load courses without the columns they do not show.
    @property
    def title(self) -> str:
        return self._texts["title"] if self._texts else self.course.title

    @property
    def summary(self) -> str:
        return self._texts["summary"] if self._texts else self.course.summary

    @property
    def outcomes(self) -> list[str]:
        return self._texts["outcomes"] if self._texts else self.course.outcomes

    @functools.cached_property
    def knowledge_check(self) -> dict:
        check = self.course.knowledge_check
        return _translated_check(check, self._texts["check"]) if self._texts else check

    @functools.cached_property
    def current_lessons(self) -> list[LessonShown]:
        """Made when first read: a list of courses (the catalogue, the API) never loads their lessons."""
        shown = []
        for lesson in self.course.current_lessons:
            found = self._lesson_translations.get(lesson.id)
            title = self._texts["lessons"].get(lesson.slug, lesson.title) if self._texts else lesson.title
            if self._texts and found is not None and found.current:
                shown.append(LessonShown(lesson, title, found, self.wanted))
            else:
                shown.append(LessonShown(lesson, title, None, "en"))
        return shown

    def __getattr__(self, name: str):
        return getattr(self.course, name)


def _translated_check(check: dict, texts: dict) -> dict:
    questions = []
    for question in check["questions"]:
        said = texts["questions"].get(question["id"], {})
        choices = [{**choice, **said.get("choices", {}).get(choice["id"], {})} for choice in question["choices"]]
        questions.append({**question, "text": said.get("text", question["text"]), "choices": choices})
    return {**check, "questions": questions}


def in_language(course: Course, language: str) -> CourseShown:
    """The course as a reader of `language` (a page language code) sees it: two queries, none for English."""
    if language == "en":
        return CourseShown(course, "en", None, {})
    translation = db.session.scalar(select(CourseTranslation).where(
        CourseTranslation.course_id == course.id, CourseTranslation.language == language))
    lessons = {row.lesson_id: row for row in db.session.scalars(select(LessonTranslation).where(
        LessonTranslation.lesson_id.in_([lesson.id for lesson in course.current_lessons]),
        LessonTranslation.language == language))} if translation is not None and translation.current else {}
    return CourseShown(course, language, translation, lessons)


def all_in_language(courses: list[Course], language: str) -> list[CourseShown]:
    """A list of courses (the catalogue, My learning) in a reader's language: one query for all of them."""
    if language == "en":
        return [CourseShown(course, "en", None, {}) for course in courses]
    translations = {row.course_id: row for row in db.session.scalars(select(CourseTranslation).where(
        CourseTranslation.course_id.in_([course.id for course in courses]), CourseTranslation.language == language))}
    return [CourseShown(course, language, translations.get(course.id), {}) for course in courses]


@dataclass(frozen=True)
class TranslationState:
    language: str
    status: str  # current, outdated or missing
    reviewed_by: str | None = None
    translated_by: str | None = None
    outdated_lessons: tuple[str, ...] = ()
    missing_lessons: tuple[str, ...] = ()

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewed_by)


def languages_of(courses: list[Course]) -> dict[uuid.UUID, list[TranslationState]]:
    """Each course's languages besides English, as readers meet them: a course counts as translated into a
    language when its course texts and every current lesson have a translation; outdated when any is outdated."""
    ids = [course.id for course in courses]
    course_rows = db.session.execute(select(CourseTranslation.course_id, CourseTranslation.language,
                                            CourseTranslation.current, CourseTranslation.reviewed_by,
                                            CourseTranslation.translated_by)
                                     .where(CourseTranslation.course_id.in_(ids))).all()
    lesson_rows = db.session.execute(
        select(Lesson.course_id, Lesson.slug, LessonTranslation.language, LessonTranslation.current,
               LessonTranslation.reviewed_by)
        .join(LessonTranslation, LessonTranslation.lesson_id == Lesson.id)
        .where(Lesson.course_id.in_(ids), Lesson.retired_at.is_(None))).all()
    lessons: dict[tuple, dict[str, tuple[bool, str | None]]] = {}
    for course_id, slug, language, current, reviewed_by in lesson_rows:
        lessons.setdefault((course_id, language), {})[slug] = (current, reviewed_by)
    found = {(course_id, language): (current, reviewed_by, translated_by)
             for course_id, language, current, reviewed_by, translated_by in course_rows}
    current_slugs: dict[uuid.UUID, list[str]] = {}
    for course_id, slug in db.session.execute(select(Lesson.course_id, Lesson.slug).where(
            Lesson.course_id.in_(ids), Lesson.retired_at.is_(None)).order_by(Lesson.position)):
        current_slugs.setdefault(course_id, []).append(slug)
    states: dict[uuid.UUID, list[TranslationState]] = {}
    for course in courses:
        slugs = current_slugs.get(course.id, [])
        states[course.id] = []
        for language in TRANSLATED_LANGUAGES:
            if (course.id, language) not in found:
                states[course.id].append(TranslationState(language, "missing"))
                continue
            current, reviewed_by, translated_by = found[(course.id, language)]
            done = lessons.get((course.id, language), {})
            missing = tuple(slug for slug in slugs if slug not in done)
            outdated = tuple(slug for slug in slugs if slug in done and not done[slug][0])
            status = "outdated" if not current or outdated else ("missing" if len(missing) == len(slugs)
                                                                 else "current")
            lessons_reviewed = all(done[slug][1] for slug in slugs if slug in done)
            states[course.id].append(TranslationState(
                language, "outdated" if status == "current" and missing else status,
                reviewed_by if lessons_reviewed else None, translated_by, outdated, missing))
    return states


def _language_list(states: list[TranslationState]) -> list[dict[str, str]]:
    return [{"code": "en", "status": "current"}] + [{"code": state.language, "status": state.status}
                                                    for state in states if state.status != "missing"]


def for_readers(courses: list[Course], language: str) -> list[CourseShown]:
    """Courses for the catalogue and the API: in `language` where current, each with its list of languages."""
    states = languages_of(courses)
    shown = all_in_language(courses, language)
    for course in shown:
        course.languages = _language_list(states[course.id])
    return shown


def for_reader(course: Course, language: str) -> CourseShown:
    shown = in_language(course, language)
    shown.languages = _language_list(languages_of([course])[course.id])
    return shown


def translated_title(course_id: uuid.UUID, language: str) -> str | None:
    """The course's title in `language`, from its current translation, or None."""
    texts = db.session.scalar(select(CourseTranslation.texts).where(
        CourseTranslation.course_id == course_id, CourseTranslation.language == language,
        CourseTranslation.current.is_(True)))
    return texts["title"] if texts else None
