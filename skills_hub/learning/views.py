"""Learning pages: enrol and leave, mark a lesson done, "My learning", and the skills check."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from skills_hub import codes, markdown, storage
from skills_hub.accounts import policy
from skills_hub.accounts.models import Role, User
from skills_hub.accounts.schemas import LearnerNumberField
from skills_hub.certificates import services as certificates
from skills_hub.courses import audio as course_audio
from skills_hub.courses import glossary
from skills_hub.courses import services as courses
from skills_hub.eds import EDS_AREAS
from skills_hub.endpoints import FormSchema
from skills_hub.errors import DomainError, NotFound
from skills_hub.extensions import db
from skills_hub.i18n import current_language
from skills_hub.languages import PAGE_LANGUAGES
from skills_hub.learning import services, skills
from skills_hub.learning.models import SkillsCheck
from skills_hub.referrals import services as referrals
from skills_hub.referrals.models import Referral
from skills_hub.validation import flatten_errors, load_form

bp = Blueprint("learning", __name__)


learner_required = policy.page_for(Role.LEARNER)


@bp.post("/courses/<slug>/enrol")
@learner_required
def enrol(slug: str):
    course = courses.get_course(slug)
    _, created = services.enrol(current_user, course)
    db.session.commit()
    summary = services.summary_for(current_user.id, course)
    flash(gettext("You have started this course.") if created else gettext("Welcome back. Your progress is kept."),
          "success")
    target = summary.next_lesson
    if target is None:
        return redirect(url_for("learning.check_page", slug=slug))
    return redirect(url_for("learning.lesson_page", slug=slug, lesson_slug=target.slug))


@bp.post("/courses/<slug>/leave")
@learner_required
def leave(slug: str):
    course = courses.get_course(slug)
    services.leave(current_user, course)
    db.session.commit()
    flash(gettext("You have left %(course)s. Your progress is kept if you come back.",
                  course=courses.in_language(course, current_language().code).title), "success")
    return redirect(url_for("learning.my_learning"))


@bp.post("/courses/<slug>/lessons/<lesson_slug>/done")
@learner_required
def lesson_done(slug: str, lesson_slug: str):
    course = courses.get_course(slug)
    lesson = courses.get_lesson(course, lesson_slug)
    enrolment = services.enrolment_for(current_user.id, course)
    if enrolment is None or enrolment.left_at is not None:
        flash(gettext("Start the course first, then your finished lessons are saved."), "info")
        return redirect(url_for("learning.course_page", slug=slug))
    services.lesson_done(current_user.id, lesson, assisted=request.form.get("helped") == "yes")
    db.session.commit()
    shown = courses.in_language(course, current_language().code)  # titles as the resident reads them
    flash(gettext("Lesson done: %(lesson)s.", lesson=next(
        read.title for read in shown.current_lessons if read.id == lesson.id)), "success")
    summary = services.summary_for(current_user.id, course)
    if summary.enrolment.completed_at:
        flash(gettext("You have completed %(course)s. Well done!", course=shown.title), "success")
        return redirect(url_for("learning.my_learning"))
    if summary.next_lesson:
        return redirect(url_for("learning.lesson_page", slug=slug, lesson_slug=summary.next_lesson.slug))
    return redirect(url_for("learning.check_page", slug=slug))


@bp.get("/my-learning")
@learner_required
def my_learning():
    items = services.summaries([current_user.id])[current_user.id]
    read_as = {course.id: course for course in courses.all_in_language([s.course for s in items],
                                                                        current_language().code)}
    items = [_as_read(item, read_as[item.course.id]) for item in items]
    mine = db.session.scalars(referrals.visible_referrals(current_user).order_by(Referral.created_at.desc())).all()
    shown = certificates.by_enrolment(current_user.id)
    return render_template("learning/my_learning.html", certificates=shown,
                           unprintable=certificates.unprintable(shown.values()),
                           referrals=mine,
                           current=[s for s in items if not s.left and not s.enrolment.completed_at],
                           completed=[s for s in items if s.enrolment.completed_at],
                           left=[s for s in items if s.left and not s.enrolment.completed_at])


def _skills_form() -> Schema:
    def answer(statement) -> fields.Integer:
        message = gettext("Choose how sure you feel: %(statement)s", statement=statement.text)
        return fields.Integer(required=True, error_messages={"required": message, "invalid": message},
                              validate=validate.OneOf(list(skills.CONFIDENCE), error=message))

    return Schema.from_dict({"csrf_token": fields.String(),
                             **{f"skill-{s.id}": answer(s) for s in skills.statements(current_language().code)}},
                            name="SkillsCheckForm")()


@bp.route("/skills-check", methods=["GET", "POST"])
@learner_required
def skills_check():
    history = services.skills_history(current_user)
    errors, answers = [], {}
    if request.method == "POST":
        answers = {k.removeprefix("skill-"): v for k, v in request.form.items() if k.startswith("skill-")}
        try:
            form = _skills_form().load(request.form.to_dict())
        except ValidationError as error:
            errors = flatten_errors(error.messages)
        else:
            db.session.add(SkillsCheck(learner_id=current_user.id,
                                       answers={k.removeprefix("skill-"): v for k, v in form.items()
                                                if k.startswith("skill-")}))
            db.session.commit()
            flash(gettext("Thank you. Your skills profile is updated."), "success")
            return redirect(url_for("learning.skills_check"))
    profile = _profile(history)
    language = current_language().code
    if skills.ask_for_reading(language):  # the first visit in a language asks the server to read the statements
        db.session.commit()
    audio_url = url_for("learning.skills_check_audio", language=language) if skills.reading_key(language) else None
    return render_template("learning/skills_check.html", statements=skills.statements(language), audio_url=audio_url,
                           areas=EDS_AREAS,
                           confidence=skills.CONFIDENCE, errors=errors, answers=answers, profile=profile,
                           history=history), 422 if errors else 200


@bp.get("/skills-check/audio/<language>.opus")
@learner_required
def skills_check_audio(language: str):
    """The skills check's statements read aloud, with byte ranges."""
    return storage.response_for(skills.reading_key(language) if language in course_audio.VOICES else None,
                                cache_seconds=0)


def _profile(history: list[SkillsCheck]) -> list[dict] | None:
    """Each area's confidence now and at the first check, with courses recommended for the gaps."""
    if not history:
        return None
    first, latest = skills.area_scores(history[0].answers), skills.area_scores(history[-1].answers)
    completed = {s.course.id for s in services.summaries([current_user.id])[current_user.id]
                 if s.enrolment.completed_at}
    catalogue, _ = courses.list_courses(per_page=200)
    catalogue = courses.all_in_language(catalogue, current_language().code)  # titles as the resident reads them
    rows = []
    for area, label in EDS_AREAS.items():
        if area not in latest:
            continue
        gap = latest[area] < skills.CONFIDENT
        rows.append({
            "area": area, "label": label, "now": latest[area], "first": first.get(area),
            "change": latest[area] - first[area] if area in first and len(history) > 1 else None,
            "recommended": [c for c in catalogue if area in c.eds_areas and c.id not in completed][:2] if gap else [],
            "gap": gap,
        })
    return rows


# Course pages: a course, a lesson and the knowledge check, with the signed-in resident's progress -----------

def check_answers_form(questions: list[dict]) -> Schema:
    """The knowledge-check form's schema: one radio group per question, named `answer-<question id>`."""
    answer_fields: dict = {"csrf_token": fields.String(), "order": fields.Raw()}
    for number, question in enumerate(questions, start=1):
        message = gettext("Choose an answer for question %(number)s.", number=number)
        answer_fields[f"answer-{question['id']}"] = fields.String(
            required=True, error_messages={"required": message},
            validate=validate.OneOf([c["id"] for c in question["choices"]], error=message))
    return Schema.from_dict(answer_fields, name="CheckAnswersForm")(unknown=RAISE)


def _check_order(text: str | None) -> int:
    """The order of the choices the form was shown in, so that they come back the same; a new one if it is lost."""
    if text and text.isascii() and text.isdigit() and int(text) < courses.CHECK_ORDERS:
        return int(text)
    return services.new_check_order()


def _as_read(summary, shown):
    """A progress summary made for this page, with the course's and next lesson's titles in the page's language."""
    if summary is None:
        return None
    summary.course = shown
    if summary.next_lesson is not None:
        summary.next_lesson = next(lesson for lesson in shown.current_lessons if lesson.id == summary.next_lesson.id)
    return summary


def _signed_in_learner():
    return current_user if current_user.is_authenticated and current_user.role == Role.LEARNER else None


@bp.get("/courses/<slug>")
def course_page(slug: str):
    course = courses.get_course(slug)
    learner = _signed_in_learner()
    summary = services.summary_for(learner.id, course) if learner else None
    shown = courses.in_language(course, current_language().code)
    return render_template("courses/course.html", course=shown, summary=_as_read(summary, shown), learner=learner)


@bp.get("/courses/<slug>/lessons/<lesson_slug>")
def lesson_page(slug: str, lesson_slug: str):
    course = courses.get_course(slug)
    lesson = courses.get_lesson(course, lesson_slug)
    index = course.current_lessons.index(lesson)
    shown = courses.in_language(course, current_language().code)  # one course, whatever language it is read in
    lessons = shown.current_lessons
    read_in = lessons[index].body_language
    words, words_language = glossary.words_in(read_in)
    with force_locale(PAGE_LANGUAGES[read_in].locale):  # the explanations are part of the lesson's body
        label = gettext("What does “%(word)s” mean?", word="{word}")
    body = markdown.render(lessons[index].body_markdown, url_for("courses.course_image", slug=slug, filename=""),
                           words if words_language == read_in else (), read_in, label)
    learner = _signed_in_learner()
    summary = None
    if learner:
        services.lesson_opened(learner, lesson)  # a read receipt: "started"
        db.session.commit()
        summary = services.summary_for(learner.id, course)
    audio_url = (url_for("courses.lesson_audio", slug=slug, lesson_slug=lesson_slug, language=read_in)
                 if course_audio.ready_key(lesson, read_in) else None)
    return render_template(
        "courses/lesson.html", course=shown, lesson=lessons[index], body=body, number=index + 1, total=len(lessons),
        audio_url=audio_url,
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None, summary=summary,
        done=bool(summary and lesson.id in summary.done_lesson_ids and not summary.left),
    )


@bp.route("/courses/<slug>/check", methods=["GET", "POST"])
def check_page(slug: str):
    course = courses.get_course(slug)
    # Answers are choice ids: changing language mid-course keeps every answer; only the words change.
    translated = courses.in_language(course, current_language().code)
    questions = course.knowledge_check["questions"]
    def reading_of(order: int) -> str | None:  # the quiz read aloud with its choices in the order shown
        found = course_audio.check_ready_key(translated, order)
        return url_for("courses.check_audio", slug=slug, order=order, language=translated.language) if found else None

    if request.method == "GET":
        shown = services.new_check_order()
        return render_template("courses/check.html", course=translated, order=shown, audio_url=reading_of(shown),
                               questions=courses.shuffled_questions(translated, shown), answers={}, errors=[])
    answers = {key.removeprefix("answer-"): value for key, value in request.form.items() if key.startswith("answer-")}
    try:
        form = check_answers_form(questions).load(request.form.to_dict())
    except ValidationError as error:
        order = {f"answer-{q['id']}": n for n, q in enumerate(questions)}
        errors = sorted(flatten_errors(error.messages), key=lambda e: order.get(e[0], -1))
        shown = _check_order(request.form.get("order"))
        return render_template("courses/check.html", course=translated, order=shown, audio_url=reading_of(shown),
                               questions=courses.shuffled_questions(translated, shown), answers=answers,
                               errors=errors), 422
    answers = {key.removeprefix("answer-"): value for key, value in form.items() if key.startswith("answer-")}
    learner = _signed_in_learner()
    services.take_check(learner, course, answers)
    db.session.commit()
    summary = services.summary_for(learner.id, course) if learner else None
    result = courses.score_check(translated, answers)  # the same score, with the questions and feedback as read
    return render_template("courses/check_result.html", course=translated, result=result,
                           summary=_as_read(summary, translated),
                           pass_mark=course.knowledge_check["pass_mark"])


# A course completed on paper (admins) ----------------------------------------------------------------------------

class PaperCompletionForm(FormSchema):
    learner_number = LearnerNumberField(required=True, error_messages={"required": "Enter the learner number."})
    course = fields.String(required=True, error_messages={"required": "Choose the course."})
    completed_on = fields.Date(required=True, error_messages={"required": "Enter the date they completed it.",
                                                              "invalid": "Enter a date like 2026-11-28."})
    reason = fields.String(required=True, error_messages={"required": "Give the reason."},
                           validate=validate.Length(min=3, max=500, error="Give the reason in 3 to 500 "
                                                                              "characters."))


@bp.route("/admin/certificates", methods=["GET", "POST"])
@policy.page_for(Role.ADMIN)
def issue_on_paper():
    """Issue a certificate for a course completed on paper (a reason is needed; audited)."""
    catalogue, _ = courses.list_courses(per_page=200)
    errors, values = [], {}
    if request.method == "POST":
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        form, errors = load_form(PaperCompletionForm())
        if not errors:
            learner = db.session.scalar(select(User).where(User.learner_number == form["learner_number"],
                                                           User.role == Role.LEARNER))
            try:
                course = courses.get_course(form["course"])
            except NotFound:
                course = None
            if learner is None:
                errors = [("learner_number", "No resident has this learner number.")]
            elif course is None:
                errors = [("course", "Choose a course from the list.")]
            elif form["completed_on"] > date.today():
                errors = [("completed_on", "The date cannot be in the future.")]
            else:
                try:
                    certificate = services.complete_on_paper(
                        current_user, learner, course, datetime.combine(form["completed_on"], time(12), UTC),
                        form["reason"])
                except DomainError as error:
                    errors = [("learner_number", error.detail)]
                else:
                    db.session.commit()
                    flash("The certificate is issued.", "success")
                    return redirect(url_for("certificates.manage", code=codes.grouped(certificate.code)))
    return render_template("certificates/issue.html", errors=errors, values=values, courses=catalogue), \
        422 if errors else 200
