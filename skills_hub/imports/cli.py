"""`flask learners import FILE --branch …`: check or import a sign-up sheet from the command line."""

from __future__ import annotations

import sys
import uuid
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_login import login_user
from sqlalchemy import func, select

from skills_hub import codes
from skills_hub.accounts import privacy
from skills_hub.accounts.models import Branch, Role, User
from skills_hub.errors import DomainError
from skills_hub.extensions import db
from skills_hub.imports import services
from skills_hub.jobs.services import periodic

learners_cli = AppGroup("learners", help="Residents in bulk: import a sign-up sheet (CSV).")


@periodic("import-files", every=timedelta(hours=1))
def forget_old_import_files() -> int:
    return services.forget_old_files()


def _branch(name_or_id: str) -> Branch | None:
    try:
        return db.session.get(Branch, uuid.UUID(name_or_id))
    except ValueError:
        return db.session.scalar(select(Branch).where(func.lower(Branch.name) == name_or_id.strip().lower()))


def _actor(email: str | None) -> User | None:
    if email:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        return user if user is not None and user.active and user.role in (Role.STAFF, Role.ADMIN) else None
    admins = list(db.session.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True)).limit(2)))
    return admins[0] if len(admins) == 1 else None


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@learners_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--branch", "branch_name", required=True, help="The branch the residents join: its name or id.")
@click.option("--dry-run", is_flag=True, help="Only show what would happen; add nobody.")
@click.option("--notice-version", default=None, help="The privacy notice version the sheet showed (default: the "
              "current one).")
@click.option("--method", default="paper", show_default=True, help="How the residents agreed: paper, in_person, "
              "phone or online.")
@click.option("--by", "by_email", default=None, help="Email of the staff member or admin doing the import (default: "
              "the only admin).")
def import_command(file: Path, branch_name: str, dry_run: bool, notice_version: str | None, method: str,
                   by_email: str | None) -> None:
    """Check (--dry-run) or import a sign-up sheet. Rows are reported by line; the header is line 1."""
    actor = _actor(by_email)
    if actor is None:
        _fail("Say who is importing with --by EMAIL (an active staff member or admin)." if not by_email else
              f"There is no active staff member or admin with the email {by_email}.")
    branch = _branch(branch_name)
    if branch is None:
        _fail(f"There is no branch called {branch_name}.")
    base_url = current_app.config["BASE_URL"]
    with current_app.test_request_context("/", base_url=base_url):
        login_user(actor)  # audit entries and emails name the person importing
        try:
            branch = services.branch_for_import(actor, branch.id)
            consent = services.consent_for(notice_version or privacy.current_version(), method)
            run = services.check_sheet if dry_run else services.import_sheet
            result = run(actor, branch, file.read_bytes(), consent=consent, filename=file.name)
        except DomainError as error:
            db.session.rollback()
            _fail(error.detail)
        db.session.commit()
    for row in result.rows:
        number = f" {codes.grouped(row.learner_number)}" if row.learner_number else ""
        problems = "; ".join(f"{column}: {message}" for column, messages in (row.errors or {}).items()
                             for message in messages)
        click.echo(f"line {row.line}: {row.status}{number}{' — ' + problems if problems else ''}")
    counts = result.record.counts
    click.echo(", ".join(f"{name.replace('_', ' ')}: {counts[name]}" for name in
                         ("would_create" if dry_run else "created", "already_imported", "duplicates", "errors",
                          "to_check")))
    if result.record.unrecognised_columns:
        click.echo("Columns not used: " + ", ".join(result.record.unrecognised_columns))
    click.echo(f"Import id: {result.record.id}")
    if not dry_run and counts["created"]:
        click.echo(f"No PINs are made here: make them on the import's page, /staff/imports/{result.record.id}, "
                   "when you hand out the login cards.")
