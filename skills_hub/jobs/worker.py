"""What RQ workers run: `rq worker -w skills_hub.jobs.worker.Worker --url "$SKILLS_HUB_REDIS_URL" skills-hub`."""

from __future__ import annotations

import uuid
from functools import cache

from flask import Flask, has_app_context
from rq import Worker as RqWorker


@cache
def _worker_app() -> Flask:
    from skills_hub import create_app

    return create_app()


def perform(job_id: str) -> bool:
    """Run one job from the job table by its id (the table, not Redis, holds the job's data)."""
    from skills_hub.jobs.services import run_job

    if has_app_context():
        return run_job(uuid.UUID(job_id))
    with _worker_app().app_context():
        return run_job(uuid.UUID(job_id))


class Worker(RqWorker):
    """An RQ worker that builds the app once, before it forks a process for each job, so a job does not pay for
    building it again (about 2 s). Building the app opens no database connection, so none is shared by forks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _worker_app()
