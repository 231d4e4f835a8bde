"""`flask users create-admin`: the first admin of a new installation."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from skills_hub.accounts import passwords, services
from skills_hub.accounts.models import Role
from skills_hub.audit import services as audit
from skills_hub.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--given-name", prompt="First name")
@click.option("--family-name", prompt="Last name")
@click.password_option(help="At least 8 characters; asked for when not given.")
def create_admin(email: str, given_name: str, family_name: str, password: str) -> None:
    """Add an admin who signs in with this email address and password."""
    problem = passwords.problem_with(password)
    if problem:
        click.echo(problem, err=True)
        sys.exit(1)
    if services.email_in_use(email):
        click.echo("That email address already has an account.", err=True)
        sys.exit(1)
    user = services.create_user(role=Role.ADMIN, given_name=given_name, family_name=family_name, email=email,
                                password=password)
    audit.record("account.created_admin", user.id, actor_id=None)
    db.session.commit()
    click.echo("Admin account created. Sign in at /sign-in.")
