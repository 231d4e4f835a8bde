"""Learning pages: enrol and leave, mark a lesson done, "My learning", and the skills check."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate

from skills_hub.accounts import policy
from skills_hub.accounts.models import Role
from skills_hub.certificates import services as certificates
from skills_hub.courses import services as courses
from skills_hub.courses.models import EDS_AREAS
from skills_hub.extensions import db
from skills_hub.learning import services, skills
from skills_hub.learning.models import SkillsCheck
from skills_hub.referrals import services as referrals
from skills_hub.referrals.models import Referral
from skills_hub.validation import flatten_errors

bp = Blueprint("learning", __name__)


learner_required = policy.page_for(Role.LEARNER)


@bp.post("/courses/<slug>/enrol")
@learner_required
def enrol(slug: str):
    course = courses.get_course(slug)
    _, created = services.enrol(current_user, course)
    db.session.commit()
    summary = services.summary_for(current_user.id, course)
    flash("You have started this course." if created else "Welcome back. Your progress is kept.", "success")
    target = summary.next_lesson
    if target is None:
        return redirect(url_for("courses.check_page", slug=slug))
    return redirect(url_for("courses.lesson_page", slug=slug, lesson_slug=target.slug))


@bp.post("/courses/<slug>/leave")
@learner_required
def leave(slug: str):
    course = courses.get_course(slug)
    services.leave(current_user, course)
    db.session.commit()
    flash(f"You have left {course.title}. Your progress is kept if you come back.", "success")
    return redirect(url_for("learning.my_learning"))


@bp.post("/courses/<slug>/lessons/<lesson_slug>/done")
@learner_required
def lesson_done(slug: str, lesson_slug: str):
    course = courses.get_course(slug)
    lesson = courses.get_lesson(course, lesson_slug)
    enrolment = services.enrolment_for(current_user.id, course)
    if enrolment is None or enrolment.left_at is not None:
        flash("Start the course first, then your finished lessons are saved.", "info")
        return redirect(url_for("courses.course_page", slug=slug))
    services.lesson_done(current_user.id, lesson, assisted=request.form.get("helped") == "yes")
    db.session.commit()
    flash(f"Lesson done: {lesson.title}.", "success")
    summary = services.summary_for(current_user.id, course)
    if summary.enrolment.completed_at:
        flash(f"You have completed {course.title}. Well done!", "success")
        return redirect(url_for("learning.my_learning"))
    if summary.next_lesson:
        return redirect(url_for("courses.lesson_page", slug=slug, lesson_slug=summary.next_lesson.slug))
    return redirect(url_for("courses.check_page", slug=slug))


@bp.get("/my-learning")
@learner_required
def my_learning():
    items = services.summaries([current_user.id])[current_user.id]
    hidden = {c.code for c in certificates.of_learner(current_user.id) if c.hide_name}
    mine = db.session.scalars(referrals.visible_referrals(current_user).order_by(Referral.created_at.desc())).all()
    return render_template("learning/my_learning.html", hidden_codes=hidden, referrals=mine,
                           current=[s for s in items if not s.left and not s.enrolment.completed_at],
                           completed=[s for s in items if s.enrolment.completed_at],
                           left=[s for s in items if s.left and not s.enrolment.completed_at])


def _skills_form() -> Schema:
    def answer(statement) -> fields.Integer:
        message = f"Choose how sure you feel: {statement.text}"
        return fields.Integer(required=True, error_messages={"required": message, "invalid": message},
                              validate=validate.OneOf(list(skills.CONFIDENCE), error=message))

    return Schema.from_dict({"csrf_token": fields.String(),
                             **{f"skill-{s.id}": answer(s) for s in skills.statements()}}, name="SkillsCheckForm")()


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
            flash("Thank you. Your skills profile is updated.", "success")
            return redirect(url_for("learning.skills_check"))
    profile = _profile(history)
    return render_template("learning/skills_check.html", statements=skills.statements(), areas=EDS_AREAS,
                           confidence=skills.CONFIDENCE, errors=errors, answers=answers, profile=profile,
                           history=history), 422 if errors else 200


def _profile(history: list[SkillsCheck]) -> list[dict] | None:
    """Each area's confidence now and at the first check, with courses recommended for the gaps."""
    if not history:
        return None
    first, latest = skills.area_scores(history[0].answers), skills.area_scores(history[-1].answers)
    completed = {s.course.id for s in services.summaries([current_user.id])[current_user.id]
                 if s.enrolment.completed_at}
    catalogue, _ = courses.list_courses(per_page=200)
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
