"""`flask courses validate` and `flask courses sync`."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import AppGroup

from skills_hub.courses import audio, glossary, services, translation_files
from skills_hub.courses.files import read_catalogue, read_course
from skills_hub.extensions import db

courses_cli = AppGroup("courses", help="Check and load the course files in content/courses/.")


@courses_cli.command("validate")
def validate_command() -> None:
    """Check every course file; exit 1 with a message per problem."""
    root = current_app.config["CONTENT_DIR"]
    courses, problems = read_catalogue(root)
    for problem in problems:
        click.echo(str(problem), err=True)
    for course in courses:
        for warning in course.warnings:
            click.echo(f"warning: {warning}", err=True)
    glossary_file = current_app.config["GLOSSARY_FILE"]
    for problem in glossary.problems(glossary_file):
        if "is outdated" in problem:
            click.echo(f"warning: {problem}", err=True)
        else:
            problems.append(problem)
            click.echo(problem, err=True)
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
    if missing := audio.tools_missing():
        click.echo(f"Lessons are not read aloud on this server: install Debian's {' and '.join(missing)} (the "
                   "browser's own voice still reads them).")
        return
    queued = audio.queue_missing_audio()
    db.session.commit()
    if queued:
        click.echo(f"Audio: {queued} readings of lessons and quizzes queued (`flask jobs run` makes them).")


@courses_cli.command("audio")
def audio_command() -> None:
    """Per course and language: which lessons are read aloud on the server, and which are waiting or failed."""
    if missing := audio.tools_missing():
        click.echo(f"No server audio here: install Debian's {' and '.join(missing)}.")
    shown = services.list_all_courses()
    found = audio.coverage(shown)
    for course in shown:
        click.echo(f"{course.slug}:")
        for language in audio.VOICES:
            rows = found[(course.id, language)]
            counts = {status: sum(row.status == status for row in rows)
                      for status in ("ready", "waiting", "failed", "english")}
            parts = [f"{counts['ready']} of {len(rows)} ready"] + [f"{counts[s]} {s}" for s in ("waiting", "failed")
                                                                    if counts[s]]
            if counts["english"]:
                parts.append(f"{counts['english']} not translated (the English is read)")
            click.echo(f"  {language}: " + ", ".join(parts))


@courses_cli.command("translations")
def translations_command() -> None:
    """Per course and language: current, outdated, missing, and whether a native speaker has reviewed it (as last
    synced: run `flask courses sync` after editing the files)."""
    click.echo("As synced into the database (after editing the files, run `flask courses sync` first).")
    shown = services.list_all_courses()
    states = services.languages_of(shown)
    for course in shown:
        click.echo(f"{course.slug}:")
        for state in states[course.id]:
            review = "" if state.status == "missing" else (
                f", reviewed by {state.reviewed_by}" if state.reviewed else ", not yet reviewed")
            detail = ""
            if state.outdated_lessons:
                detail += " (outdated lessons: " + ", ".join(state.outdated_lessons) + ")"
            if state.missing_lessons and state.status != "missing":
                detail += " (lessons not translated: " + ", ".join(state.missing_lessons) + ")"
            click.echo(f"  {state.language}: {state.status}{review}{detail}")


@courses_cli.command("stamp")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def stamp_command(paths: tuple[str, ...]) -> None:
    """Record in each translation file the English it now translates (after bringing it up to date)."""
    for name in paths:
        path = Path(name).resolve()
        if re.match(r"^glossary\.[A-Za-z-]+\.yaml$", path.name):  # the glossary's translations
            english = yaml.safe_load(path.with_name("glossary.yaml").read_text(encoding="utf-8"))
            translation_files.stamp(path, glossary.english_hash(english["words"]))
            click.echo(f"Stamped {name}")
            continue
        folder = path.parent.parent if path.parent.name == "lessons" else path.parent
        course, problems = read_course(folder)
        if course is None:
            raise click.ClickException(f"{name}: its course has problems; fix them first:\n"
                                       + "\n".join(str(problem) for problem in problems))
        if translation_files.COURSE_TRANSLATION.match(path.name):
            source = translation_files.course_source_hash(services.english_texts(course))
        elif found := translation_files.LESSON_TRANSLATION.match(path.name):
            lesson = next((lesson for lesson in course.lessons if lesson.position == int(found.group(1))
                           and lesson.slug == found.group(2)), None)
            if lesson is None:
                raise click.ClickException(f"{name} translates no lesson of {course.slug}")
            source = translation_files.lesson_source_hash(lesson.body)
        else:
            raise click.ClickException(f"{name} is not a translation file (course.<language>.yaml or "
                                       "lessons/NN-slug.<language>.md)")
        before = path.read_text(encoding="utf-8")
        translation_files.stamp(path, source)
        # Now that it claims to be current, its ids and parts must match the English: check before keeping it.
        _, problems = read_course(folder)
        mine = [str(problem) for problem in problems if problem.path.endswith(path.name)]
        if mine:
            path.write_text(before, encoding="utf-8")
            raise click.ClickException(f"{name} was not stamped: it does not match the English yet.\n"
                                       + "\n".join(mine))
        click.echo(f"Stamped {name}")
