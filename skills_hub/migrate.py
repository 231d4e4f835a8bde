"""Database migrations: alembic driven from the app, with `flask db upgrade` and friends."""

from __future__ import annotations

from functools import cache

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.engine import Connection

from skills_hub.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def downgrade(revision: str) -> None:
    command.downgrade(alembic_config(), revision)


db_cli = AppGroup("db", help="Apply and write database migrations.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    upgrade(revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Undo migrations down to REVISION (`base` empties the database)."""
    downgrade(revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    command.revision(alembic_config(), message=message, autogenerate=True)


@db_cli.command("current")
def current_command() -> None:
    """Show the database's revision."""
    command.current(alembic_config())


@db_cli.command("check")
def check_command() -> None:
    """Fail if the models have changes that no migration holds."""
    command.check(alembic_config())


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
