"""`flask certificates revoke CODE --reason …`, `render-missing` and `sign-again`: certificates from the command
line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from skills_hub.certificates import pdf, services
from skills_hub.errors import DomainError
from skills_hub.extensions import db
from skills_hub.jobs.services import enqueue

certificates_cli = AppGroup("certificates", help="Certificates.")


@certificates_cli.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Shown on the public verify page.")
def revoke(code: str, reason: str) -> None:
    """Revoke a certificate; its verify page then says so, with the reason."""
    try:
        services.change_status(None, services.find(code), "revoke", reason)
    except DomainError as error:
        click.echo(error.detail, err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Revoked {code}.")


@certificates_cli.command("render-missing")
def render_missing() -> None:
    """Queue a render for every valid certificate without a PDF for the current template version."""
    missing = services.missing_renders()
    for certificate in missing:
        enqueue(pdf.RENDER_JOB, {"certificate_id": str(certificate.id)})
    db.session.commit()
    click.echo(f"Queued {len(missing)} certificate {'render' if len(missing) == 1 else 'renders'}.")


@certificates_cli.command("sign-again")
def sign_again() -> None:
    """Sign again every stored credential signed before credentials carried a revocation status entry and a
    salted name (safe to run again: it then signs nothing)."""
    signed = services.sign_again()
    db.session.commit()
    click.echo(f"Signed {signed} {'credential' if signed == 1 else 'credentials'} again.")
