"""`flask referrals tick [--now …]`: reminders and expiry by working days. `flask jobs run` calls it too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask.cli import AppGroup

from skills_hub.extensions import db, utcnow
from skills_hub.jobs.services import periodic
from skills_hub.referrals import services

referrals_cli = AppGroup("referrals", help="Referral deadlines.")


def tick(now: datetime | None = None) -> services.TickResult:
    """Remind and expire every referral waiting for an answer, each in its own transaction (so a long run holds
    no row for long, and what is done stays done if it stops half way)."""
    now = now or utcnow()
    result = services.TickResult()
    for referral_id in services.waiting_for_an_answer():
        services.remind_or_expire(referral_id, now, result)
        db.session.commit()
    return result


@periodic("referral-deadlines", every=timedelta(minutes=5))
def deadline_tick() -> services.TickResult:
    return tick()


@referrals_cli.command("tick")
@click.option("--now", "now", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S",
                                                           "%Y-%m-%d"]),
              help="Pretend it is this moment (UTC unless an offset is given), for testing.")
def tick_command(now: datetime | None) -> None:
    """Send due reminders and expire unanswered referrals. Safe to run twice."""
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    result = tick(now)
    click.echo(f"Reminders: {result.halfway_reminders} halfway, {result.last_day_reminders} last day. "
               f"Expired: {result.expired}.")
