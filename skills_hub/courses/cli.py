"""`flask courses validate` and `flask courses sync`."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from skills_hub.courses import services
from skills_hub.courses.files import read_catalogue
from skills_hub.extensions import db

courses_cli = AppGroup("courses", help="Check and load the course files in content/courses/.")


@courses_cli.command("validate")
def validate_command() -> None:
    """Check every course file; exit 1 with a message per problem."""
    root = current_app.config["CONTENT_DIR"]
    courses, problems = read_catalogue(root)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found. Fix them and run `flask courses validate` again.", err=True)
        sys.exit(1)
    lessons = sum(len(course.lessons) for course in courses)
    click.echo(f"All {len(courses)} courses ({lessons} lessons) are valid.")


@courses_cli.command("sync")
def sync_command() -> None:
    """Copy the course files into the database (idempotent; removed courses and lessons are retired)."""
    try:
        report = services.sync_catalogue(current_app.config["CONTENT_DIR"])
    except services.CatalogueInvalid as invalid:
        db.session.rollback()
        for problem in invalid.problems:
            click.echo(str(problem), err=True)
        click.echo("Nothing was synced. Fix the problems and run `flask courses sync` again.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Courses synced: {len(report.created)} new, {len(report.updated)} updated, "
               f"{len(report.retired)} retired, {len(report.unchanged)} unchanged.")
