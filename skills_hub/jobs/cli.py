"""`flask jobs run` (the long-running dispatcher) and `flask jobs tick` (for cron)."""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import current_app
from flask.cli import AppGroup

from skills_hub.extensions import db
from skills_hub.jobs import services

log = logging.getLogger("skills_hub.jobs")
jobs_cli = AppGroup("jobs", help="Run background jobs and periodic ticks.")


@jobs_cli.command("run")
@click.option("--once", is_flag=True, help="One pass, then stop.")
def run_command(once: bool) -> None:
    """Dispatch due jobs (to RQ, or run them here), retry failures, and call the periodic ticks."""
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    mode = "handing jobs to RQ" if current_app.config["REDIS_URL"] else "running jobs in this process"
    click.echo(f"Job runner started, {mode}.")
    last_runs: dict = {}
    while not stopping:
        try:
            services.dispatch_due(stopping=lambda: stopping)  # a long pass (lessons read aloud) stops between jobs
            services.run_ticks(last_runs)
        except Exception:  # Redis or the database away for a moment: say so, and try again on the next pass
            log.exception("The job runner's pass failed; trying again")
            db.session.rollback()
        if once:
            break
        time.sleep(current_app.config["JOB_POLL_SECONDS"])
    click.echo("Job runner stopped.")


@jobs_cli.command("tick")
def tick_command() -> None:
    """Call every periodic tick once now (for a cron line), then dispatch what is due."""
    ran = services.run_ticks({}, force=True)
    dispatched = services.dispatch_due()
    click.echo(f"Ticks run: {', '.join(ran) or 'none'}. Jobs dispatched: {dispatched}.")
