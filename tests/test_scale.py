"""Running at scale: two app processes and one RQ worker on one PostgreSQL and one Redis, and backups that restore.

The cluster is real processes, as the README's runbook starts them: `gunicorn -c gunicorn.conf.py wsgi:app` twice,
on two free ports, behind a pretend proxy (SKILLS_HUB_PROXY_COUNT=1, so X-Forwarded-For names the client), and
`rq worker`. They share a scratch PostgreSQL database made for this module and dropped after it, and Redis db 14
(only that db is flushed).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from skills_hub import migrate
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import Role
from skills_hub.certificates.models import Certificate
from skills_hub.config import PROJECT_ROOT
from skills_hub.courses import services as courses
from skills_hub.extensions import db
from skills_hub.jobs.models import Job, JobStatus
from skills_hub.learning import services as learning
from tests.conftest import IN_CI, TEST_PASSWORD, csrf_token_from, free_port, make_test_app, require
from tests.test_faults import COURSE, require_postgresql, right_answers, wait_until

SCALE_REDIS_DB = 14  # not the suite's 15: this module flushes it


def require_postgresql_and_redis() -> tuple[str, str]:
    """The services pass's PostgreSQL and Redis URLs. The embedded pass skips; under CI=true, a services pass
    (either variable set) without both fails instead."""
    database_url = os.environ.get("SKILLS_HUB_TEST_DATABASE_URL", "")
    redis_url = os.environ.get("SKILLS_HUB_TEST_REDIS_URL", "")
    if database_url.startswith("postgresql") and redis_url:
        return database_url, redis_url
    message = ("needs PostgreSQL and Redis: set SKILLS_HUB_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:"
               "5432/test and SKILLS_HUB_TEST_REDIS_URL=redis://127.0.0.1:6379/15 (CI's second pass does)")
    if IN_CI and (database_url or redis_url):
        pytest.fail(message + " (CI=true: the services pass must not skip)", pytrace=False)
    pytest.skip(message)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Browser:
    """One person's browser: a cookie jar, and the address the proxy reports for them in X-Forwarded-For."""

    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def open(self, port: int, method: str, path: str, *, form: dict | None = None, json_body: dict | None = None,
             headers: dict[str, str] | None = None) -> Answer:
        sent = {"X-Forwarded-For": self.address, "Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body, sent["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        if json_body is not None:
            body, sent["Content-Type"] = json.dumps(json_body), "application/json"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    self._keep(value)
        finally:
            connection.close()
        return answer

    def _keep(self, header: str) -> None:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def sign_in(self, port: int, email: str, password: str = TEST_PASSWORD) -> Answer:
        token = csrf_token_from(self.open(port, "GET", "/sign-in").text)
        return self.open(port, "POST", "/sign-in", form={"csrf_token": token, "method": "email", "email": email,
                                                          "password": password, "shared_computer": "yes"})


@dataclass
class Cluster:
    a: int
    b: int
    env: dict[str, str]
    redis_url: str
    queue: str
    mail_dir: Path
    lessons: list[str]
    answers: dict[str, str]
    seed_app: Flask


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each process group (gunicorn's arbiter and workers; rq's worker), then SIGKILL after 10 s."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def ready(port: int) -> bool:
    try:
        return Browser("127.0.0.1").open(port, "GET", "/readyz").status == 200
    except OSError:
        return False


def scratch_database(server_url: str, prefix: str) -> str:
    """A new, empty PostgreSQL database on the suite's server (never the suite's own database)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, real_course_files) -> Iterator[Cluster]:
    server_url, suite_redis_url = require_postgresql_and_redis()
    from redis import Redis

    folder = tmp_path_factory.mktemp("scale")
    database_url = scratch_database(server_url, "skills_hub_scale")
    redis_url = urlsplit(suite_redis_url)._replace(path=f"/{SCALE_REDIS_DB}").geturl()
    redis = Redis.from_url(redis_url)
    redis.flushdb()
    processes: list[subprocess.Popen] = []
    seed_app = make_test_app(database_url, folder, keep=True, SKILLS_HUB_TEST_REDIS_URL="")  # it queues nothing
    try:
        with seed_app.app_context():
            migrate.upgrade()
            courses.sync_courses(real_course_files)
            for email in ("session@example.test", "victim@example.test", "certificate@example.test"):
                accounts.create_user(role=Role.LEARNER, given_name="Zainab", family_name="Hussain", email=email,
                                     password=TEST_PASSWORD)
            db.session.commit()
        lessons, answers = right_answers(seed_app)
        queue = f"skills-hub-scale-{uuid.uuid4().hex[:8]}"
        a, b = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_HUB_")}
        env.update({
            "SKILLS_HUB_DATABASE_URL": database_url, "SKILLS_HUB_REDIS_URL": redis_url, "SKILLS_HUB_RQ_QUEUE": queue,
            "SKILLS_HUB_SECRET_KEY": secrets.token_hex(32), "SKILLS_HUB_SIGNING_KEY": secrets.token_hex(32),
            "SKILLS_HUB_BASE_URL": f"http://127.0.0.1:{a}", "SKILLS_HUB_MAIL_DIR": str(folder / "mail"),
            "SKILLS_HUB_DEMO": "false", "SKILLS_HUB_LOG_LEVEL": "WARNING",
            "SKILLS_HUB_PROXY_COUNT": "1", "SKILLS_HUB_TRUSTED_HOSTS": "127.0.0.1",
            "SKILLS_HUB_LOGIN_RATE_LIMIT": "3 per minute", "SKILLS_HUB_LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute",
            "WEB_CONCURRENCY": "1",
        })
        for name, port in (("a", a), ("b", b)):
            processes.append(start([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                   {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, folder / f"app-{name}.log"))
        processes.append(start([sys.executable, "-m", "rq.cli", "worker", "-w", "skills_hub.jobs.worker.Worker",
                               "--url", redis_url, queue], env,
                               folder / "worker.log"))
        for port in (a, b):
            deadline = time.monotonic() + 30
            while not ready(port):
                dead = [p for p in processes if p.poll() is not None]
                if dead or time.monotonic() > deadline:
                    logs = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in folder.glob("*.log"))
                    pytest.fail(f"the cluster did not start on port {port}:\n{logs}")
                time.sleep(0.1)
        yield Cluster(a, b, env, redis_url, queue, folder / "mail", lessons, answers, seed_app)
    finally:
        stop(processes)
        with seed_app.app_context():
            db.session.remove()
            db.engine.dispose()
        redis.flushdb()
        redis.close()
        drop_database(server_url, database_url)


def test_a_session_made_on_one_app_process_works_on_the_other(cluster):
    browser = Browser("203.0.113.10")
    assert browser.sign_in(cluster.a, "session@example.test").status == 302, "signed in on A"
    page = browser.open(cluster.b, "GET", "/my-learning")
    assert page.status == 200 and "Sign out" in page.text, "the same session on B"
    # Signing out on B ends the session on A too (the session version lives in the database, not the process).
    assert browser.open(cluster.b, "POST", "/sign-out", form={"csrf_token": csrf_token_from(page.text)}).status == 302
    again = browser.open(cluster.a, "GET", "/my-learning")
    assert again.status == 302 and "/sign-in" in again.headers["location"]


def test_sign_in_throttling_counts_across_app_processes(cluster):
    """3 attempts a minute per address and per account (set low through the environment), counted in Redis."""
    library_pc = Browser("203.0.113.20")
    tries = [library_pc.sign_in(port, "victim@example.test", "not the password").status
             for port in (cluster.a, cluster.b, cluster.a, cluster.b)]
    assert tries == [401, 401, 401, 429], "the fourth try is refused, whichever process counted the first three"
    # The same account from another address is refused too (per account), on either process...
    assert Browser("198.51.100.30").sign_in(cluster.a, "victim@example.test").status == 429
    # ...while someone else at another address signs in: the proxy's X-Forwarded-For names each client.
    assert Browser("198.51.100.31").sign_in(cluster.b, "session@example.test").status == 302


def test_only_the_trusted_host_names_are_served(cluster):
    elsewhere = Browser("198.51.100.32").open(cluster.a, "GET", "/courses", headers={"Host": "evil.example"})
    assert elsewhere.status == 400 and "host name is not served here" in elsewhere.text
    assert Browser("198.51.100.32").open(cluster.a, "GET", "/courses").status == 200


def test_a_certificate_finished_on_one_process_is_rendered_by_the_worker_and_downloaded_from_the_other(cluster):
    from redis import Redis
    from rq import Queue

    browser = Browser("203.0.113.40")
    assert browser.sign_in(cluster.a, "certificate@example.test").status == 302
    token = csrf_token_from(browser.open(cluster.a, "GET", "/my-learning").text)
    headers = {"X-CSRFToken": token}  # the page's JSON writes ride on its session cookie
    assert browser.open(cluster.a, "POST", "/api/v1/enrolments", json_body={"course": COURSE},
                        headers=headers).status == 201
    for lesson in cluster.lessons:
        done = browser.open(cluster.a, "POST", "/api/v1/progress", headers=headers, json_body={
            "event_id": str(uuid.uuid4()), "course": COURSE, "lesson": lesson, "assisted": False})
        assert done.status == 201, done.text
    assert browser.open(cluster.a, "POST", f"/api/v1/courses/{COURSE}/check", headers=headers,
                        json_body={"answers": cluster.answers}).status == 200
    [item] = json.loads(browser.open(cluster.a, "GET", "/api/v1/me/enrolments").body)["items"]
    code = item["certificate_code"]
    assert code, "completing the course issued the certificate"

    first = browser.open(cluster.b, "GET", f"/certificates/{code}.pdf")
    assert first.status in (200, 202), first.status  # 202 "being prepared" until the worker has rendered it
    download = wait_until(lambda: (answer := browser.open(cluster.b, "GET", f"/certificates/{code}.pdf")).status == 200
                          and answer, 45, "the worker rendering the PDF")
    assert download.headers["content-type"] == "application/pdf" and download.body.startswith(b"%PDF")
    assert download.headers["etag"]
    verified = Browser("192.0.2.50").open(cluster.b, "GET", f"/verify/{code}")
    assert verified.status == 200 and "Zainab Hussain" in verified.text

    # Neither app process ran the jobs (with Redis set they only hand them over): the worker did, from the queue.
    with cluster.seed_app.app_context():
        statuses = dict(db.session.execute(select(Job.kind, Job.status)).all())
        db.session.remove()
    wait_until(lambda: list(cluster.mail_dir.glob("*.eml")), 20, "the worker sending the certificate email")
    queue = Queue(cluster.queue, connection=Redis.from_url(cluster.redis_url))
    try:
        assert statuses.get("render_certificate") == JobStatus.DONE
        assert queue.finished_job_registry.count >= 1
    finally:
        queue.connection.close()
    [email] = cluster.mail_dir.glob("*.eml")
    assert "certificate" in email.read_text()


# Backups that restore --------------------------------------------------------------------------------------------

def make_real_data(app: Flask) -> str:
    """A learner who finished a course (progress, a check attempt, a certificate) and one halfway through another;
    the certificate code."""
    with app.app_context():
        learner = accounts.create_user(role=Role.LEARNER, given_name="Siobhán", family_name="O'Brien",
                                       email="siobhan@example.test", password=TEST_PASSWORD)
        course = courses.get_course(COURSE)
        learning.enrol(learner, course)
        for lesson in course.current_lessons:
            learning.lesson_done(learner.id, lesson, assisted=True)
        answers = {q["id"]: next(c["id"] for c in q["choices"] if c.get("correct"))
                   for q in course.knowledge_check["questions"]}
        learning.take_check(learner, course, answers)
        other = courses.get_course("getting-started")
        learning.enrol(learner, other)
        learning.lesson_done(learner.id, other.current_lessons[0], assisted=False)
        db.session.commit()
        code = db.session.scalar(select(Certificate.code))
        db.session.remove()
    assert code, "the finished course has its certificate"
    return code


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
                  for table in db.metadata.sorted_tables}
        db.session.remove()
    return counts


def check_restored(app: Flask, code: str, expected_counts: dict[str, int]) -> None:
    assert row_counts(app) == expected_counts
    client = app.test_client()
    assert client.get("/readyz").status_code == 200, "at the migration head"
    assert "Siobhán O&#39;Brien" in client.get(f"/verify/{code}").text
    token = csrf_token_from(client.get("/sign-in").text)
    assert client.post("/sign-in", data={"csrf_token": token, "method": "email", "email": "siobhan@example.test",
                                         "password": TEST_PASSWORD, "shared_computer": "yes"}).status_code == 302
    [finished, halfway] = sorted(client.get("/api/v1/me/enrolments").json["items"],
                                 key=lambda item: item["certificate_code"] is None)
    assert finished["certificate_code"] and halfway["certificate_code"] is None


def test_an_online_sqlite_backup_restores_with_every_row(tmp_path, real_course_files):
    live = tmp_path / "live" / "skills_hub.sqlite3"
    app = make_test_app(f"sqlite:///{live}", tmp_path, SKILLS_HUB_TEST_REDIS_URL="")
    with app.app_context():
        migrate.upgrade()
        courses.sync_courses(real_course_files)
        db.session.commit()
    code = make_real_data(app)
    counts = row_counts(app)
    assert counts["certificates"] == 1 and counts["lesson_progress"] > 1

    # The README's backup command, run while the app is connected to the database (an online backup).
    backup = tmp_path / "backup.sqlite3"
    with app.app_context(), db.engine.connect():
        subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect('{live}').backup("
                        f"sqlite3.connect('{backup}'))"], check=True)
        if shutil.which("sqlite3"):  # Debian's sqlite3 does the same: .backup
            subprocess.run(["sqlite3", str(live), f".backup '{tmp_path / 'cli-backup.sqlite3'}'"], check=True)
    check = sqlite3.connect(backup)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()

    # Restore: the backup file becomes the database of a new installation.
    for copy in [backup, *tmp_path.glob("cli-backup.sqlite3")]:
        restored = tmp_path / f"restored-{copy.stem}" / "skills_hub.sqlite3"
        restored.parent.mkdir()
        shutil.copyfile(copy, restored)
        check_restored(make_test_app(f"sqlite:///{restored}", tmp_path, SKILLS_HUB_TEST_REDIS_URL=""), code, counts)


def test_pg_dump_and_pg_restore_bring_back_every_row(tmp_path, real_course_files):
    server_url = os.environ.get("SKILLS_HUB_TEST_DATABASE_URL", "")
    require_postgresql(server_url)
    for tool in ("pg_dump", "pg_restore"):
        require(shutil.which(tool) is not None, tool, "install postgresql-client (apt install postgresql-client)")
    source_url = scratch_database(server_url, "skills_hub_backup")
    target_url = scratch_database(server_url, "skills_hub_restore")
    apps = [make_test_app(source_url, tmp_path, keep=True, SKILLS_HUB_TEST_REDIS_URL=""),
            make_test_app(target_url, tmp_path, keep=True, SKILLS_HUB_TEST_REDIS_URL="")]
    try:
        with apps[0].app_context():
            migrate.upgrade()
            courses.sync_courses(real_course_files)
            db.session.commit()
        code = make_real_data(apps[0])
        counts = row_counts(apps[0])

        def libpq(url: str) -> str:  # pg_dump and pg_restore take libpq's URL, without "+psycopg"
            return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

        dump = tmp_path / "skills_hub.dump"
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", libpq(source_url)], check=True)
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq(target_url)}", str(dump)],
                       check=True)
        check_restored(apps[1], code, counts)
    finally:
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        drop_database(server_url, source_url)
        drop_database(server_url, target_url)
