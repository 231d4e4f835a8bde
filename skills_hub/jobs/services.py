"""Background work through one database job table (a transactional outbox).

`enqueue()` writes a job in the caller's transaction, so it exists exactly when the change that caused it
commits. Without Redis, jobs committed during a request run right after it, in the same process; with
`SKILLS_HUB_REDIS_URL`, they are handed to RQ workers. `flask jobs run` sweeps up anything due, retries
failures with back-off and runs the periodic ticks.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import delete, event, select, update

from skills_hub.extensions import db, utcnow
from skills_hub.jobs.models import Job, JobStatus

log = logging.getLogger("skills_hub.jobs")

HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {}
STALE_AFTER = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Tick:
    name: str
    every: timedelta
    run: Callable[[], object]


TICKS: dict[str, Tick] = {}


def job_handler(kind: str) -> Callable[[Callable[[dict[str, Any]], None]], Callable[[dict[str, Any]], None]]:
    """Register the function that does one kind of job. It may change the database; it must not commit."""

    def register(func: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        HANDLERS[kind] = func
        return func

    return register


def periodic(name: str, every: timedelta) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register a tick that `flask jobs run` calls every so often (and `flask jobs tick` on demand)."""

    def register(func: Callable[[], object]) -> Callable[[], object]:
        TICKS[name] = Tick(name, every, func)
        return func

    return register


def enqueue(kind: str, payload: dict[str, Any], *, run_after: datetime | None = None) -> Job:
    """Write a job in the current transaction. Flushes, never commits."""
    if kind not in HANDLERS:
        raise ValueError(f"No job handler is registered for {kind!r}.")
    job = Job(id=uuid.uuid4(), kind=kind, payload=payload, status=JobStatus.PENDING, run_after=run_after or utcnow())
    db.session.add(job)
    db.session.flush()
    if run_after is None:
        db.session.info.setdefault("new_job_ids", []).append(job.id)
    return job


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30) * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def run_job(job_id: uuid.UUID) -> bool:
    """Claim and run one job in its own transaction; False when another runner has it already."""
    now = utcnow()
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_([JobStatus.PENDING, JobStatus.QUEUED]), Job.run_after <= now)
        .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, started_at=now)
    ).rowcount
    db.session.commit()
    if not claimed:
        return False
    job = db.session.get(Job, job_id)
    assert job is not None
    kind, attempts = job.kind, job.attempts
    try:
        HANDLERS[kind](dict(job.payload))
        job.status, job.finished_at, job.last_error = JobStatus.DONE, utcnow(), None
        db.session.commit()
        log.info("job done", extra={"fields": {"job_id": str(job_id), "kind": kind, "attempts": attempts}})
    except Exception as error:  # a job's failure is recorded, never lost
        # A handler may mark its error keep_work_done: what it flushed before failing is whole and stays (a
        # certificate's signed credential when its PDF cannot be made); anything else is undone.
        try:
            if getattr(error, "keep_work_done", False):
                db.session.commit()
            else:
                db.session.rollback()
        except Exception:  # the work could not be kept: it is undone, and the job's failure still recorded
            db.session.rollback()
        job = db.session.get(Job, job_id)
        assert job is not None
        # An error that says trying again cannot help (a font missing for a name) fails the job at once, so admins
        # see it now; they try again once they have fixed the cause.
        out_of_attempts = attempts >= current_app.config["JOB_MAX_ATTEMPTS"] or \
            getattr(error, "retrying_cannot_help", False)
        job.status = JobStatus.FAILED if out_of_attempts else JobStatus.PENDING
        job.run_after = utcnow() + _backoff(attempts)
        job.last_error = f"{type(error).__name__}: {error}"[:2000]
        job.finished_at = utcnow() if out_of_attempts else None
        db.session.commit()
        log.warning("job failed", extra={"fields": {"job_id": str(job_id), "kind": kind, "attempts": attempts,
                                                    "error": type(error).__name__, "gives_up": out_of_attempts}})
    return True


def rq_queue() -> Queue:
    """The app's RQ queue, on one Redis connection pool per app."""
    connection = current_app.extensions.get("skills_hub_redis")
    if connection is None:
        connection = current_app.extensions["skills_hub_redis"] = Redis.from_url(current_app.config["REDIS_URL"])
    return Queue(current_app.config["RQ_QUEUE"], connection=connection)


def _hand_to_rq(job_ids: list[uuid.UUID]) -> int:
    now = utcnow()
    handed = []
    for job_id in job_ids:
        if db.session.execute(
            update(Job).where(Job.id == job_id, Job.status.in_([JobStatus.PENDING, JobStatus.QUEUED]))
            .values(status=JobStatus.QUEUED, run_after=now)
        ).rowcount:
            handed.append(job_id)
    db.session.commit()  # workers must see the job as queued before they can pick it up
    queue = rq_queue()
    for number, job_id in enumerate(handed):
        try:
            queue.enqueue("skills_hub.jobs.worker.perform", str(job_id), job_timeout=600)
        except RedisError:  # Redis refused: the rest go back to waiting, for the dispatcher's next pass
            db.session.execute(update(Job).where(Job.id.in_(handed[number:]), Job.status == JobStatus.QUEUED)
                               .values(status=JobStatus.PENDING))
            db.session.commit()
            log.warning("Redis refused jobs; they wait in the job table", extra={"fields": {
                "waiting": len(handed) - number}})
            return number
    return len(handed)


def dispatch(job_ids: list[uuid.UUID], stopping: Callable[[], bool] = lambda: False) -> int:
    """Run the jobs here (embedded mode) or hand them to RQ workers (with Redis). Here, `stopping` is asked
    before each job, so a runner told to stop finishes the job in hand and no more."""
    if not job_ids:
        return 0
    if current_app.config["REDIS_URL"]:
        return _hand_to_rq(job_ids)
    ran = 0
    for job_id in job_ids:
        if stopping():
            break
        ran += run_job(job_id)
    return ran


def dispatch_due(limit: int = 100, stopping: Callable[[], bool] = lambda: False) -> int:
    """Dispatch pending jobs that are due, and recover jobs whose runner vanished."""
    now = utcnow()
    db.session.execute(  # a worker that died mid-job: count it as a failed attempt, try again
        update(Job).where(Job.status == JobStatus.RUNNING, Job.started_at < now - STALE_AFTER)
        .values(status=JobStatus.PENDING, last_error="The runner stopped before the job finished.")
    )
    db.session.execute(  # handed to RQ but never picked up (Redis lost it): hand it over again
        update(Job).where(Job.status == JobStatus.QUEUED, Job.run_after < now - STALE_AFTER)
        .values(status=JobStatus.PENDING)
    )
    db.session.commit()
    due = list(db.session.scalars(
        select(Job.id).where(Job.status == JobStatus.PENDING, Job.run_after <= now).order_by(Job.run_after).limit(limit)
    ))
    return dispatch(due, stopping)


def run_ticks(last_runs: dict[str, datetime], *, force: bool = False) -> list[str]:
    """Call every tick that is due (or all, with force); each in its own transaction."""
    ran = []
    for tick in TICKS.values():
        now = utcnow()
        if not force and tick.name in last_runs and now - last_runs[tick.name] < tick.every:
            continue
        last_runs[tick.name] = now
        try:
            tick.run()
            db.session.commit()
            ran.append(tick.name)
        except Exception:
            db.session.rollback()
            log.exception("tick failed", extra={"fields": {"tick": tick.name}})
    return ran


def retry(job_id: uuid.UUID) -> bool:
    """An admin asks to try a failed job again. Flushes, never commits."""
    return bool(db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.FAILED)
        .values(status=JobStatus.PENDING, run_after=utcnow(), attempts=0, finished_at=None)
    ).rowcount)


def failed_jobs(limit: int = 100) -> list[Job]:
    return list(db.session.scalars(
        select(Job).where(Job.status == JobStatus.FAILED).order_by(Job.finished_at.desc()).limit(limit)))


@periodic("purge-finished-jobs", every=timedelta(hours=1))
def purge_finished_jobs() -> int:
    """Finished jobs are kept 30 days for troubleshooting, then removed."""
    return db.session.execute(
        delete(Job).where(Job.status == JobStatus.DONE, Job.finished_at < utcnow() - timedelta(days=30))
    ).rowcount


def _remember_new_jobs_at_commit(session) -> None:
    new = session.info.pop("new_job_ids", None)
    if new:
        session.info.setdefault("committed_job_ids", []).extend(new)


def _forget_new_jobs_at_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("new_job_ids", None)


_listening = False


def init_app(app: Flask) -> None:
    global _listening
    if not _listening:
        event.listen(db.session, "after_commit", _remember_new_jobs_at_commit)
        event.listen(db.session, "after_soft_rollback", _forget_new_jobs_at_rollback)
        _listening = True

    @app.after_request
    def _dispatch_jobs_committed_by_this_request(response):
        committed = db.session.info.pop("committed_job_ids", [])
        if committed:
            try:
                dispatch(committed)
            except Exception:  # the jobs are safe in the table; `flask jobs run` will pick them up
                db.session.rollback()
                log.exception("could not dispatch jobs after the request")
        return response
