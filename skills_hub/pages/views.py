"""Pages that are not part of a domain: home and the accessibility statement."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from marshmallow import fields, validate

from skills_hub.accounts import services as accounts
from skills_hub.accounts.views import safe_next
from skills_hub.courses import services as courses
from skills_hub.endpoints import FormSchema
from skills_hub.errors import DomainError
from skills_hub.extensions import db
from skills_hub.i18n import remember_choice
from skills_hub.languages import PAGE_LANGUAGES
from skills_hub.validation import load_form

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("pages/home.html", course_count=courses.count_courses())


@bp.get("/accessibility")
def accessibility():
    return render_template("pages/accessibility.html")


class LanguageChoice(FormSchema):
    language = fields.String(required=True, validate=validate.OneOf(
        list(PAGE_LANGUAGES), error="Choose one of the languages shown."),
        error_messages={"required": "Choose one of the languages shown."}, metadata={"label": "Language"})
    next = fields.String(load_default="/")


@bp.post("/language")
def choose_language():
    """The chooser on every page: remembers the language on this browser (a cookie) and, for a signed-in
    resident, on their account; then shows the page they were on again. No JavaScript needed."""
    data, errors = load_form(LanguageChoice())
    if errors:  # only a changed page sends another language: say what to do, in the words the form uses
        raise DomainError(errors[0][1])
    language = PAGE_LANGUAGES[data["language"]]
    if current_user.is_authenticated and current_user.role.value == "learner":
        accounts.set_page_language(current_user, language.code)
        db.session.commit()
    response = redirect(safe_next(data["next"]) or url_for("pages.home"), code=303)
    remember_choice(response, language)
    return response
