"""Pages that are not part of a domain: home and the accessibility statement."""

from __future__ import annotations

from flask import Blueprint, render_template

from skills_hub.courses import services as courses

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("pages/home.html", course_count=courses.count_courses())


@bp.get("/accessibility")
def accessibility():
    return render_template("pages/accessibility.html")
