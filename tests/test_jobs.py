"""The job outbox: written in the caller's transaction, run after commit (inline or by RQ), retried, failed."""

import email
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from flask import Blueprint
from sqlalchemy import select

from skills_hub.extensions import db, utcnow
from skills_hub.jobs import services as jobs
from skills_hub.jobs.models import Job, JobStatus
from skills_hub.mail import queue_email
from tests.conftest import free_port, make_test_app, require_redis

CALLS: list[dict] = []


@jobs.job_handler("test-record")
def record_call(payload: dict) -> None:
    CALLS.append(payload)


@jobs.job_handler("test-explode")
def explode(payload: dict) -> None:
    raise RuntimeError("the printer is on fire")


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


def all_jobs(app):
    with app.app_context():
        return list(db.session.scalars(select(Job).order_by(Job.created_at)))


def test_a_job_rolled_back_with_its_change_never_exists(app, drain_jobs):
    with app.app_context():
        jobs.enqueue("test-record", {"n": 1})
        db.session.rollback()
    drain_jobs()
    assert all_jobs(app) == [] and CALLS == []


def test_a_committed_job_runs_once_and_is_marked_done(app, drain_jobs):
    with app.app_context():
        jobs.enqueue("test-record", {"n": 1})
        db.session.commit()
    drain_jobs()
    drain_jobs()
    assert CALLS == [{"n": 1}]
    [job] = all_jobs(app)
    assert job.status == JobStatus.DONE and job.attempts == 1 and job.finished_at is not None


def test_a_job_committed_in_a_request_runs_right_after_it_without_redis(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, SKILLS_HUB_TEST_REDIS_URL="")
    bp = Blueprint("job_test", __name__)

    @bp.post("/test-enqueue")
    def enqueue_view():
        jobs.enqueue("test-record", {"from": "request"})
        db.session.commit()
        return "queued"

    app.register_blueprint(bp)
    app.config["WTF_CSRF_ENABLED"] = False
    assert app.test_client().post("/test-enqueue").status_code == 200
    assert CALLS == [{"from": "request"}], "ran in the same process, after the commit"
    with app.app_context():
        assert db.session.scalar(select(Job.status)) == JobStatus.DONE


def test_a_failing_job_is_retried_with_back_off_then_shown_as_failed(app, drain_jobs, client, make_user, login_as):
    from skills_hub.accounts.models import Role

    app.config["JOB_MAX_ATTEMPTS"] = 2
    try:
        with app.app_context():
            job_id = jobs.enqueue("test-explode", {}).id
            db.session.commit()
        drain_jobs()
        [job] = all_jobs(app)
        assert job.status == JobStatus.PENDING and job.attempts == 1
        assert job.last_error == "RuntimeError: the printer is on fire"
        assert job.run_after > utcnow() + timedelta(seconds=20), "backs off before the next try"
        with app.app_context():
            db.session.get(Job, job_id).run_after = utcnow()
            db.session.commit()
        drain_jobs()
        [job] = all_jobs(app)
        assert job.status == JobStatus.FAILED and job.attempts == 2
    finally:
        app.config["JOB_MAX_ATTEMPTS"] = 5
    login_as(make_user(Role.ADMIN))
    page = client.get("/admin")
    assert "test-explode" in page.text and "the printer is on fire" in page.text


def test_a_job_is_claimed_by_one_runner_only(app):
    with app.app_context():
        job_id = jobs.enqueue("test-record", {"n": 1}).id
        db.session.commit()
        assert jobs.run_job(job_id) is True
        assert jobs.run_job(job_id) is False
    assert CALLS == [{"n": 1}]


def test_a_job_whose_runner_died_is_run_again(app, drain_jobs):
    with app.app_context():
        job = jobs.enqueue("test-record", {"n": 1})
        job.status, job.started_at = JobStatus.RUNNING, utcnow() - timedelta(hours=1)
        db.session.commit()
    drain_jobs()
    assert CALLS == [{"n": 1}]


def test_ticks_run_when_due_and_purge_old_finished_jobs(app):
    with app.app_context():
        old = jobs.enqueue("test-record", {"n": 1})
        old.status, old.finished_at = JobStatus.DONE, utcnow() - timedelta(days=31)
        db.session.commit()
        last_runs: dict = {}
        assert "purge-finished-jobs" in jobs.run_ticks(last_runs)
        assert "purge-finished-jobs" not in jobs.run_ticks(last_runs), "not due again yet"
        assert db.session.scalar(select(Job.id)) is None


def test_flask_jobs_run_once_and_tick(app):
    with app.app_context():
        jobs.enqueue("test-record", {"n": 7})
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, result.output
    if not app.config["REDIS_URL"]:
        assert CALLS == [{"n": 7}]
    tick = runner.invoke(args=["jobs", "tick"])
    assert tick.exit_code == 0 and "purge-finished-jobs" in tick.output


def test_email_is_written_as_eml_in_development(app, drain_jobs):
    with app.app_context():
        queue_email("siobhan@example.test", "Your course", "Hello Siobhán, well done.")
        db.session.commit()
    drain_jobs()
    files = list(app.config["MAIL_DIR"].glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[-1].read_bytes(), policy=email.policy.default)
    assert message["To"] == "siobhan@example.test" and message["Subject"] == "Your course"
    assert "Siobhán" in message.get_content()
    files[-1].unlink()


class Inbox:
    def __init__(self):
        self.messages: list[bytes] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        self.received.set()
        return "250 OK"


def test_email_is_delivered_by_a_real_smtp_server(database_url, tmp_path):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = make_test_app(database_url, tmp_path, SKILLS_HUB_SMTP_HOST="127.0.0.1",
                            SKILLS_HUB_SMTP_PORT=str(port), SKILLS_HUB_SMTP_STARTTLS="false",
                            SKILLS_HUB_TEST_REDIS_URL="")
        with app.app_context():
            queue_email("nguyen@example.test", "Certificate ready", "Hello Nguyễn Văn An")
            db.session.commit()
            jobs.dispatch_due()
            assert inbox.received.wait(10)
            assert db.session.scalar(select(Job.status)) == JobStatus.DONE
    finally:
        controller.stop()
    message = email.message_from_bytes(inbox.messages[0], policy=email.policy.default)
    assert message["To"] == "nguyen@example.test" and "Nguyễn Văn An" in message.get_content()


def test_an_unreachable_smtp_server_leaves_the_email_pending_for_a_retry(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, SKILLS_HUB_SMTP_HOST="127.0.0.1",
                        SKILLS_HUB_SMTP_PORT=str(free_port()), SKILLS_HUB_TEST_REDIS_URL="")
    with app.app_context():
        queue_email("a@example.test", "Hi", "Body")
        db.session.commit()
        jobs.dispatch_due()
        job = db.session.scalar(select(Job))
        assert job.status == JobStatus.PENDING and "ConnectionRefusedError" in job.last_error


@pytest.mark.redis
def test_with_redis_jobs_are_handed_to_rq_workers(app, redis_url):
    require_redis(redis_url)
    from rq import SimpleWorker

    with app.app_context():
        job_id = jobs.enqueue("test-record", {"via": "rq"}).id
        db.session.commit()
        assert jobs.dispatch_due() == 1
        assert db.session.get(Job, job_id).status == JobStatus.QUEUED
        queue = jobs.rq_queue()
        assert queue.count == 1
        assert CALLS == [], "nothing ran in this process"
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        db.session.expire_all()
        assert db.session.get(Job, job_id).status == JobStatus.DONE
    assert CALLS == [{"via": "rq"}]


def test_with_redis_down_jobs_wait_safely_in_the_table(database_url, tmp_path):
    app = make_test_app(database_url, tmp_path, SKILLS_HUB_TEST_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        job_id = jobs.enqueue("test-record", {"n": 1}).id
        db.session.commit()
        assert jobs.dispatch_due() == 0  # Redis refuses: nothing is handed over, and nothing is lost
        assert db.session.get(Job, job_id).status == "pending"


def test_a_runner_told_to_stop_finishes_the_job_in_hand_and_starts_no_more(app):
    with app.app_context():
        app.config["REDIS_URL"], before = None, app.config["REDIS_URL"]
        try:
            ids = [jobs.enqueue("test-record", {"n": n}).id for n in range(3)]
            db.session.commit()
            assert jobs.dispatch(ids, stopping=lambda: len(CALLS) >= 1) == 1
        finally:
            app.config["REDIS_URL"] = before
    assert CALLS == [{"n": 0}]
