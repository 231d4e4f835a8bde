"""Course pages: the catalogue, a course, a lesson, and the knowledge check."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory, url_for
from flask_login import current_user
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from skills_hub.accounts.models import Role
from skills_hub.courses import markdown, services
from skills_hub.courses.models import EDS_AREAS, LEVELS
from skills_hub.courses.schemas import CatalogueQuery
from skills_hub.extensions import db
from skills_hub.learning import services as learning
from skills_hub.validation import flatten_errors

bp = Blueprint("courses", __name__)


def check_answers_form(questions: list[dict]) -> Schema:
    """The knowledge-check form's schema: one radio group per question, named `answer-<question id>`."""
    answer_fields: dict = {"csrf_token": fields.String()}
    for number, question in enumerate(questions, start=1):
        message = f"Choose an answer for question {number}."
        answer_fields[f"answer-{question['id']}"] = fields.String(
            required=True, error_messages={"required": message},
            validate=validate.OneOf([c["id"] for c in question["choices"]], error=message))
    return Schema.from_dict(answer_fields, name="CheckAnswersForm")(unknown=RAISE)


@bp.get("/courses")
def catalogue():
    raw = {key: value for key, value in request.args.items() if value}
    try:
        query = CatalogueQuery().load(raw)
        errors = []
    except ValidationError as error:
        query = {"page": 1, "per_page": 50}
        errors = flatten_errors(error.messages)
    courses, total = services.list_courses(**query)
    return render_template("courses/catalogue.html", courses=courses, total=total, query=query, errors=errors,
                           areas=EDS_AREAS, levels=LEVELS)


def _signed_in_learner():
    return current_user if current_user.is_authenticated and current_user.role == Role.LEARNER else None


@bp.get("/courses/<slug>")
def course_page(slug: str):
    course = services.get_course(slug)
    learner = _signed_in_learner()
    summary = learning.summary_for(learner.id, course) if learner else None
    return render_template("courses/course.html", course=course, summary=summary, learner=learner)


@bp.get("/courses/<slug>/lessons/<lesson_slug>")
def lesson_page(slug: str, lesson_slug: str):
    course = services.get_course(slug)
    lesson = services.get_lesson(course, lesson_slug)
    lessons = course.current_lessons
    index = lessons.index(lesson)
    body = markdown.render(lesson.body_markdown, url_for("courses.course_image", slug=slug, filename=""))
    learner = _signed_in_learner()
    summary = None
    if learner:
        learning.lesson_opened(learner, lesson)  # a read receipt: "started"
        db.session.commit()
        summary = learning.summary_for(learner.id, course)
    return render_template(
        "courses/lesson.html", course=course, lesson=lesson, body=body, number=index + 1, total=len(lessons),
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None, summary=summary,
        done=bool(summary and lesson.id in summary.done_lesson_ids and not summary.left),
    )


@bp.get("/courses/<slug>/images/<path:filename>")
def course_image(slug: str, filename: str):
    course = services.get_course(slug)
    if not filename:
        abort(404)
    return send_from_directory(current_app.config["CONTENT_DIR"] / course.slug / "images", filename, max_age=86400)


@bp.route("/courses/<slug>/check", methods=["GET", "POST"])
def check_page(slug: str):
    course = services.get_course(slug)
    questions = course.knowledge_check["questions"]
    if request.method == "GET":
        return render_template("courses/check.html", course=course, questions=learning.shuffled_questions(course),
                               answers={}, errors=[])
    answers = {key.removeprefix("answer-"): value for key, value in request.form.items() if key.startswith("answer-")}
    try:
        form = check_answers_form(questions).load(request.form.to_dict())
    except ValidationError as error:
        order = {f"answer-{q['id']}": n for n, q in enumerate(questions)}
        errors = sorted(flatten_errors(error.messages), key=lambda e: order.get(e[0], -1))
        return render_template("courses/check.html", course=course, questions=questions, answers=answers,
                               errors=errors), 422
    answers = {key.removeprefix("answer-"): value for key, value in form.items() if key.startswith("answer-")}
    learner = _signed_in_learner()
    result = learning.take_check(learner, course, answers)
    db.session.commit()
    summary = learning.summary_for(learner.id, course) if learner else None
    return render_template("courses/check_result.html", course=course, result=result, summary=summary,
                           pass_mark=course.knowledge_check["pass_mark"])
