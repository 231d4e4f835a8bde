"""Faults at city scale: Redis stops, the database stops, a worker dies in the middle of a certificate render.

Each fault is real: a redis-server of the test's own on a free port (the machine's Redis is never touched), a TCP
relay in this process between an app and the real PostgreSQL that the test cuts, and an RQ worker process killed
with SIGKILL while it renders.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from skills_hub.accounts.models import Role
from skills_hub.certificates import pdf
from skills_hub.certificates.models import Certificate
from skills_hub.config import PROJECT_ROOT
from skills_hub.courses import services as courses
from skills_hub.extensions import db, utcnow
from skills_hub.jobs import services as jobs
from skills_hub.jobs.models import Job, JobStatus
from skills_hub.storage import StoredFile
from tests.conftest import IN_CI, TEST_PASSWORD, csrf_token_from, free_port, make_test_app, require

COURSE = "using-email"


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> object:
    """Poll until condition() is truthy; fail naming what did not happen."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"{what} did not happen within {seconds:.0f} s")


def require_postgresql(database_url: str) -> None:
    """PostgreSQL tests run in the services pass (SKILLS_HUB_TEST_DATABASE_URL); the embedded pass skips them.

    Under CI=true, the services pass (a Redis URL set) on anything but PostgreSQL fails instead of skipping.
    """
    if database_url.startswith("postgresql"):
        return
    if IN_CI and os.environ.get("SKILLS_HUB_TEST_REDIS_URL"):
        pytest.fail("SKILLS_HUB_TEST_DATABASE_URL is not a PostgreSQL URL in CI's PostgreSQL and Redis pass",
                    pytrace=False)
    pytest.skip("needs PostgreSQL: set SKILLS_HUB_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test")


class RedisServer:
    """A redis-server of the test's own on a free port, keeping nothing on disk; stopped as a crash would."""

    def __init__(self, folder: Path):
        require(shutil.which("redis-server") is not None, "redis-server", "install redis-server "
                "(apt install redis-server)")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.answers, 10, f"redis-server on port {self.port} answering")
        return self

    def answers(self) -> bool:
        from redis import Redis

        client = Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()

    def crash(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.crash()


class TcpRelay:
    """Relays TCP connections from a local port to the real database; stop() is the database going away:
    open connections are cut and new ones refused. start() again on the same port brings it back."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpRelay:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
            self._listener.close()
            self._listener = None
        with self._lock:
            open_sockets, self._sockets = self._sockets, []
        for end in open_sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


def sign_in(client: FlaskClient, email: str, password: str = TEST_PASSWORD):
    token = csrf_token_from(client.get("/sign-in").text)
    return client.post("/sign-in", data={"csrf_token": token, "method": "email", "email": email,
                                         "password": password, "shared_computer": "yes"})


def right_answers(app: Flask, slug: str = COURSE) -> tuple[list[str], dict[str, str]]:
    """The course's current lessons and the right answer to each question of its check."""
    with app.app_context():
        course = courses.get_course(slug)
        lessons = [lesson.slug for lesson in course.current_lessons]
        answers = {q["id"]: next(c["id"] for c in q["choices"] if c.get("correct"))
                   for q in course.knowledge_check["questions"]}
    return lessons, answers


def finish_course(client: FlaskClient, headers: dict[str, str], lessons: list[str], answers: dict[str, str],
                  slug: str = COURSE) -> str:
    """Enrol, do every lesson and pass the check over the API, as the learner's phone would. The certificate code."""
    assert client.post("/api/v1/enrolments", json={"course": slug}, headers=headers).status_code in (200, 201)
    for lesson in lessons:
        answer = client.post("/api/v1/progress", headers=headers, json={
            "event_id": str(uuid.uuid4()), "course": slug, "lesson": lesson, "assisted": False})
        assert answer.status_code in (200, 201), answer.text
    assert client.post(f"/api/v1/courses/{slug}/check", json={"answers": answers}, headers=headers).status_code == 200
    [item] = client.get("/api/v1/me/enrolments", headers=headers).json["items"]
    assert item["certificate_code"], item
    return item["certificate_code"]


def api_token(client: FlaskClient, email: str) -> dict[str, str]:
    answer = client.post("/api/v1/tokens", json={"username": email, "password": TEST_PASSWORD})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json['token']}"}


def run_rq_worker_once(app: Flask) -> None:
    """What `rq worker` does, in this process, until the queue is empty."""
    from rq import SimpleWorker

    with app.app_context():
        queue = jobs.rq_queue()
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
        db.session.remove()


def jobs_by_kind(app: Flask) -> dict[str, list[Job]]:
    with app.app_context():
        found: dict[str, list[Job]] = {}
        for job in db.session.scalars(select(Job).order_by(Job.created_at)):
            found.setdefault(job.kind, []).append(job)
        db.session.remove()
        return found


# Redis stops ---------------------------------------------------------------------------------------------------------

def test_with_redis_stopped_pages_and_sign_in_work_and_jobs_wait_in_the_table_until_it_is_back(
        database_url, catalogue, make_user, own_redis, tmp_path):
    hub = make_test_app(database_url, tmp_path, SKILLS_HUB_TEST_REDIS_URL=own_redis.url)
    lessons, answers = right_answers(hub)
    make_user(Role.LEARNER, email="amina@example.test", given_name="Amina", family_name="Yusuf")
    make_user(Role.LEARNER, email="tried@example.test")
    client = hub.test_client()
    assert client.get("/courses").status_code == 200

    own_redis.crash()

    for path in ("/", "/courses", f"/courses/{COURSE}", "/verify", "/healthz", "/readyz"):
        assert client.get(path).status_code == 200, path
    assert sign_in(client, "amina@example.test").status_code == 302, "sign-in works without Redis"
    assert "Sign out" in client.get("/my-learning").text

    # Throttling goes on, counted in this process's memory: three wrong passwords for an account, then 429.
    hub.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per minute"
    stranger = hub.test_client()
    tries = [sign_in(stranger, "tried@example.test", "not the password").status_code for _ in range(4)]
    assert tries == [401, 401, 401, 429]

    # Work that needs a job: a password-reset email, and a finished course (its certificate PDF and an email).
    reset_page = client.get("/password-reset").text
    assert client.post("/password-reset", data={"csrf_token": csrf_token_from(reset_page),
                                                "email": "amina@example.test"}).status_code == 200
    code = finish_course(client, api_token(client, "amina@example.test"), lessons, answers)
    waiting = jobs_by_kind(hub)
    assert set(waiting) >= {"send_email", pdf.RENDER_JOB}, waiting
    assert all(job.status in (JobStatus.PENDING, JobStatus.QUEUED) for kind in waiting.values() for job in kind)
    assert not list((tmp_path / "mail").glob("*.eml")), "nothing was sent while Redis was away"
    assert client.get(f"/certificates/{code}.pdf").status_code == 202

    # Redis comes back (empty: it keeps nothing on disk). The dispatcher (`flask jobs run`) hands the waiting jobs
    # to RQ again once they have been queued for STALE_AFTER without a worker picking them up, and they go out.
    own_redis.start()
    with hub.app_context():
        jobs.dispatch_due()
        assert db.session.scalar(select(func.count(Job.id)).where(Job.status == JobStatus.DONE)) == 0
        db.session.execute(update(Job).where(Job.status == JobStatus.QUEUED)
                           .values(run_after=utcnow() - jobs.STALE_AFTER - timedelta(minutes=1)))
        db.session.commit()
        assert jobs.dispatch_due() == sum(len(kind) for kind in waiting.values())
    run_rq_worker_once(hub)
    done = jobs_by_kind(hub)
    assert all(job.status == JobStatus.DONE for kind in done.values() for job in kind), done
    sent = sorted(p.read_text() for p in (tmp_path / "mail").glob("*.eml"))
    assert len(sent) == len(done["send_email"]) >= 2
    assert any("password" in text.lower() for text in sent) and any("certificate" in text for text in sent)
    pdf_answer = client.get(f"/certificates/{code}.pdf")
    assert pdf_answer.status_code == 200 and pdf_answer.data.startswith(b"%PDF")


def test_jobs_that_could_not_be_handed_to_redis_go_on_the_dispatchers_next_pass_once_it_is_back(
        app, database_url, own_redis, tmp_path):
    from skills_hub.mail import queue_email

    hub = make_test_app(database_url, tmp_path, SKILLS_HUB_TEST_REDIS_URL=own_redis.url)
    own_redis.crash()
    with hub.app_context():
        queue_email("amina@example.test", "Hello", "Body")
        db.session.commit()
        job_id = db.session.scalar(select(Job.id))
        assert jobs.dispatch([job_id]) == 0  # after the request that queued it: Redis refuses, the job waits
        assert db.session.get(Job, job_id).status == "pending"
    own_redis.start()
    with hub.app_context():
        assert jobs.dispatch_due() == 1, "handed to RQ on the next pass"


def test_the_dispatcher_keeps_running_while_redis_is_down(app, database_url, own_redis, tmp_path):
    from skills_hub.mail import queue_email

    hub = make_test_app(database_url, tmp_path, SKILLS_HUB_TEST_REDIS_URL=own_redis.url)
    own_redis.crash()
    with hub.app_context():
        queue_email("amina@example.test", "Hello", "Body")
        db.session.commit()
    result = hub.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, f"the dispatcher stopped: {result.exception!r}"


# The database stops ---------------------------------------------------------------------------------------------------

def test_with_the_database_stopped_probes_pages_and_the_api_answer_a_clear_503(app, database_url, catalogue,
                                                                                make_user, bearer, tmp_path):
    require_postgresql(database_url)
    real = make_url(database_url)
    relay = TcpRelay(real.host or "127.0.0.1", real.port or 5432).start()
    try:
        through_relay = real.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
        hub = make_test_app(through_relay, tmp_path)
        learner = make_user(Role.LEARNER, email="grace@example.test", given_name="Grace", family_name="Mensah")
        headers = bearer(learner)
        signed_in, visitor = hub.test_client(), hub.test_client()
        assert sign_in(signed_in, "grace@example.test").status_code == 302
        assert signed_in.get("/my-learning").status_code == 200
        assert hub.test_client().get("/readyz").status_code == 200

        relay.stop()

        assert hub.test_client().get("/healthz").status_code == 200, "the process is alive"
        ready = hub.test_client().get("/readyz")
        assert ready.status_code == 503 and "database does not answer" in ready.json["reason"]
        form_token = csrf_token_from(visitor.get("/sign-in").text)  # drawn without the database
        for client, method, path, data in [
                (visitor, "GET", "/courses", None), (visitor, "GET", f"/courses/{COURSE}", None),
                (signed_in, "GET", "/my-learning", None),
                (visitor, "POST", "/sign-in", {"csrf_token": form_token, "method": "email",
                                               "email": "grace@example.test", "password": TEST_PASSWORD,
                                               "shared_computer": "yes"})]:
            page = client.open(path, method=method, data=data)
            assert page.status_code == 503, (method, path, page.status_code)
            assert page.mimetype == "text/html" and page.headers["Retry-After"].isdigit()
            assert "Service unavailable" in page.text and "cannot reach its database" in page.text
            assert "Traceback" not in page.text and "OperationalError" not in page.text
        for client, path, extra in [(visitor, "/api/v1/courses", {}), (visitor, "/api/v1/me/enrolments", headers)]:
            problem = client.get(path, headers=extra)
            assert problem.status_code == 503 and problem.mimetype == "application/problem+json", path
            assert problem.json["type"] == "/problems/service-unavailable" and problem.json["status"] == 503
            assert "database" in problem.json["detail"]

        relay.start()  # the database is back: the pool reconnects, the session cookie still works

        assert hub.test_client().get("/readyz").status_code == 200
        assert "Sign out" in signed_in.get("/my-learning").text
        assert visitor.get("/api/v1/me/enrolments", headers=headers).status_code == 200
    finally:
        relay.stop()


# A worker dies in the middle of a render --------------------------------------------------------------------------

SLOW_WORKER = textwrap.dedent("""
    # An RQ worker whose certificate render says when it starts, then takes long enough to be killed.
    import os, pathlib, time
    from redis import Redis
    from rq import Queue, Worker
    from skills_hub.certificates import pdf

    real_render = pdf.render

    def slow_render(certificate):
        pathlib.Path(os.environ["RENDER_STARTED"]).write_text(str(os.getpid()))
        time.sleep(120)
        return real_render(certificate)

    pdf.render = slow_render
    connection = Redis.from_url(os.environ["SKILLS_HUB_REDIS_URL"])
    Worker([Queue(os.environ["SKILLS_HUB_RQ_QUEUE"], connection=connection)], connection=connection).work()
""")


def test_a_worker_killed_in_the_middle_of_a_render_is_retried_and_one_pdf_is_stored(
        database_url, catalogue, make_user, own_redis, tmp_path):
    hub = make_test_app(database_url, tmp_path, SKILLS_HUB_TEST_REDIS_URL=own_redis.url)
    lessons, answers = right_answers(hub)
    make_user(Role.LEARNER, email="tomasz@example.test", given_name="Tomasz", family_name="Nowak")
    client = hub.test_client()
    assert sign_in(client, "tomasz@example.test").status_code == 302
    code = finish_course(client, api_token(client, "tomasz@example.test"), lessons, answers)

    started = tmp_path / "render-started"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_HUB_")}
    env.update({"SKILLS_HUB_DATABASE_URL": hub.config["SQLALCHEMY_DATABASE_URI"], "SKILLS_HUB_REDIS_URL": own_redis.url,
                "SKILLS_HUB_RQ_QUEUE": hub.config["RQ_QUEUE"], "SKILLS_HUB_SIGNING_KEY": hub.config["SIGNING_KEY"],
                "SKILLS_HUB_MAIL_DIR": str(tmp_path / "mail"), "SKILLS_HUB_LOG_LEVEL": "WARNING",
                "RENDER_STARTED": str(started)})
    worker = subprocess.Popen([sys.executable, "-c", SLOW_WORKER], cwd=PROJECT_ROOT, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: started.exists() and started.read_text(), 60, "the worker starting the render")
        # The machine dies: the work horse (RQ forks one per job, in its own process group) mid-render, and the
        # worker that forked it.
        os.killpg(int(started.read_text()), signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

    [render] = jobs_by_kind(hub)[pdf.RENDER_JOB]
    assert render.status == JobStatus.RUNNING and render.attempts == 1, "left running by the dead worker"
    with hub.app_context():
        key = pdf.storage_key(db.session.scalar(select(Certificate)))
        assert db.session.get(StoredFile, key) is None, "the half-done render's transaction was rolled back"
        # `flask jobs run` finds the job still running after STALE_AFTER and runs it again.
        db.session.execute(update(Job).where(Job.id == render.id)
                           .values(started_at=utcnow() - jobs.STALE_AFTER - timedelta(minutes=1)))
        db.session.commit()
        jobs.dispatch_due()
        db.session.remove()
    run_rq_worker_once(hub)

    [render] = jobs_by_kind(hub)[pdf.RENDER_JOB]
    assert render.status == JobStatus.DONE and render.attempts == 2 and render.last_error is None
    with hub.app_context():
        pdfs = list(db.session.scalars(select(StoredFile).where(StoredFile.key.like("certificates/%.pdf"))))
        assert [stored.key for stored in pdfs] == [key], "exactly one PDF"
        assert pdfs[0].data.startswith(b"%PDF") and pdfs[0].size == len(pdfs[0].data)
        db.session.remove()
    download = client.get(f"/certificates/{code}.pdf")
    assert download.status_code == 200 and download.headers["ETag"].strip('"') == pdfs[0].sha256
