"""`flask data retention [--now …]`: apply the retention periods (`flask jobs run` does it daily)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask.cli import AppGroup

from skills_hub.dataprotection import services
from skills_hub.extensions import db
from skills_hub.jobs.services import periodic

data_cli = AppGroup("data", help="Data protection: retention.")


@periodic("retention", every=timedelta(days=1))
def retention_tick() -> services.RetentionResult:
    result = services.apply_retention()
    db.session.commit()
    return result


@data_cli.command("retention")
@click.option("--now", "now", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
              help="Pretend it is this moment (UTC), for testing.")
def retention_command(now: datetime | None) -> None:
    """Clear referral details and erase inactive accounts past their retention periods. Safe to run twice."""
    result = services.apply_retention(now.replace(tzinfo=UTC) if now else None)
    db.session.commit()
    click.echo(f"Referrals cleared: {result.referrals_cleared}. Accounts erased: {result.accounts_erased}.")
