"""Course pages: the catalogue, a course, a lesson, and the knowledge check."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory
from marshmallow import ValidationError

from skills_hub import storage
from skills_hub.courses import audio, glossary, services
from skills_hub.courses.schemas import CatalogueQuery
from skills_hub.eds import EDS_AREAS, LEVELS
from skills_hub.i18n import current_language
from skills_hub.languages import PAGE_LANGUAGES
from skills_hub.validation import flatten_errors

bp = Blueprint("courses", __name__)


@bp.get("/courses")
def catalogue():
    # A link shared with tracking added (?utm_source=, ?fbclid=) still opens the list: a page ignores what it does
    # not use; the API refuses it (it tells a client its mistake).
    known = CatalogueQuery().fields
    raw = {key: value for key, value in request.args.items() if value and key in known}
    try:
        query = CatalogueQuery().load(raw)
        errors = []
    except ValidationError as error:
        query = {"page": 1, "per_page": 50}
        errors = flatten_errors(error.messages)
    courses, total = services.list_courses(**query)
    return render_template("courses/catalogue.html", courses=services.for_readers(courses, current_language().code),
                           total=total, query=query, errors=errors, areas=EDS_AREAS, levels=LEVELS,
                           languages=PAGE_LANGUAGES)


@bp.get("/courses/<slug>/images/<path:filename>")
def course_image(slug: str, filename: str):
    course = services.get_course(slug)
    if not filename:
        abort(404)
    return send_from_directory(current_app.config["CONTENT_DIR"] / course.slug / "images", filename, max_age=86400)


@bp.get("/courses/<slug>/lessons/<lesson_slug>/audio/<language>.opus")
def lesson_audio(slug: str, lesson_slug: str, language: str):
    """The lesson read aloud (Ogg Opus), for the lesson as it reads now; with byte ranges (206), without which
    browsers show no length and cannot skip. An old lesson text's audio is never served."""
    course = services.get_course(slug)
    lesson = services.get_lesson(course, lesson_slug)
    return storage.response_for(audio.ready_key(lesson, language) if language in audio.VOICES else None)


@bp.get("/courses/<slug>/check/audio/<int:order>/<language>.opus")
def check_audio(slug: str, order: int, language: str):
    """The quiz read aloud: each question, then its choices in the order the page numbered `order` shows them."""
    known = language in audio.VOICES and order < services.CHECK_ORDERS
    shown = services.in_language(services.get_course(slug), language) if known else None
    return storage.response_for(audio.check_ready_key(shown, order) if known else None)


@bp.get("/words")
def words_explained():
    """Every word the lessons explain, with its meaning, in the page's language where the glossary is translated."""
    words, language = glossary.words_in(current_language().code)
    return render_template("courses/words.html", words=sorted(words, key=lambda word: word.word.casefold()),
                           words_language=language)
