"""Fixtures: one app per session on SQLite (default) or SKILLS_HUB_TEST_DATABASE_URL, emptied after each test."""

from __future__ import annotations

import os
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from werkzeug.serving import make_server

from skills_hub import create_app, migrate
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import Branch, Organisation, Role, User
from skills_hub.config import PROJECT_ROOT, TestConfig
from skills_hub.courses import services as courses
from skills_hub.courses.files import read_catalogue
from skills_hub.directory.models import Location, Service
from skills_hub.extensions import db
from skills_hub.jobs import services as jobs
from skills_hub.referrals.models import Referral

IN_CI = os.environ.get("CI", "").lower() == "true"
CONTENT_DIR = PROJECT_ROOT / "content" / "courses"
TEST_PASSWORD = "a long test password"


def require(available: bool, what: str, how: str) -> None:
    """Skip a test that needs something this machine lacks; under CI=true, fail instead."""
    if available:
        return
    message = f"{what} is not available: {how}"
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing tool fails the run)", pytrace=False)
    pytest.skip(message)


def require_redis(redis_url: str | None) -> None:
    """Redis tests run in the services pass (SKILLS_HUB_TEST_REDIS_URL); the embedded pass skips them.

    Under CI=true, the services pass (a PostgreSQL URL set) without a Redis URL fails instead of skipping.
    """
    if redis_url:
        return
    if IN_CI and os.environ.get("SKILLS_HUB_TEST_DATABASE_URL"):
        pytest.fail("SKILLS_HUB_TEST_REDIS_URL is not set in CI's PostgreSQL and Redis pass", pytrace=False)
    pytest.skip("needs Redis: set SKILLS_HUB_TEST_REDIS_URL=redis://127.0.0.1:6379/15 (CI's second pass does)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_postgresql(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("SKILLS_HUB_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    try:
        _reset_postgresql(url)
    except Exception as error:  # the variable asks for this database: never skip silently
        pytest.exit(f"SKILLS_HUB_TEST_DATABASE_URL is set but the database does not answer: {error}", returncode=3)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    url = os.environ.get("SKILLS_HUB_TEST_REDIS_URL")
    if url:
        from redis import Redis

        try:
            Redis.from_url(url).ping()
        except Exception as error:
            pytest.exit(f"SKILLS_HUB_TEST_REDIS_URL is set but Redis does not answer: {error}", returncode=3)
    return url


_APPS_MADE_BY_THE_TEST: list[Flask] = []


@contextmanager
def live_server(app: Flask) -> Iterator[int]:
    """The app behind werkzeug's threaded server on a free port (each request on its own thread and connection, as
    gunicorn's threads would run it), for tests that send real requests at once. Yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def make_test_app(database_url: str, tmp_path: Path, *, keep: bool = False, **overrides: str) -> Flask:
    """A separate app on the test database; its engine is disposed after the test (unless keep)."""
    env = dict(os.environ)
    env.update({
        "SKILLS_HUB_TEST_DATABASE_URL": database_url,
        "SKILLS_HUB_MAIL_DIR": str(tmp_path / "mail"),
        "SKILLS_HUB_CONTENT_DIR": str(CONTENT_DIR),
        "SKILLS_HUB_RQ_QUEUE": f"skills-hub-test-{uuid.uuid4().hex[:8]}",
    })
    env.update(overrides)
    app = create_app(TestConfig(env))
    app.config["RATELIMIT_KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:8]}"
    if not keep:
        _APPS_MADE_BY_THE_TEST.append(app)
    return app


@pytest.fixture(autouse=True)
def _dispose_apps_made_by_the_test() -> Iterator[None]:
    yield
    while _APPS_MADE_BY_THE_TEST:
        app = _APPS_MADE_BY_THE_TEST.pop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_path_factory) -> Iterator[Flask]:
    app = make_test_app(database_url, tmp_path_factory.mktemp("app"), keep=True)
    with app.app_context():
        migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_database_after_each_test(request) -> Iterator[None]:
    uses_database = {"app", "database_url"} & set(request.fixturenames)
    app = request.getfixturevalue("app") if uses_database else None
    yield
    if app is None:
        return
    for sent in app.config["MAIL_DIR"].glob("*.eml"):
        sent.unlink()
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def real_course_files():
    """The real course files, read once (reading and checking them is the slow part of a sync)."""
    files, problems = read_catalogue(CONTENT_DIR)
    assert not problems, [str(p) for p in problems]
    return files


@pytest.fixture
def catalogue(app, real_course_files) -> None:
    """The real course catalogue from content/courses/, synced."""
    with app.app_context():
        courses.sync_courses(real_course_files)
        db.session.commit()


@pytest.fixture
def make_branch(app) -> Callable[..., Branch]:
    def make(name: str | None = None) -> Branch:
        with app.app_context():
            branch = Branch(name=name or f"Branch {uuid.uuid4().hex[:6]}")
            db.session.add(branch)
            db.session.commit()
            db.session.refresh(branch)
            db.session.expunge(branch)
            return branch

    return make


@pytest.fixture
def branch(make_branch) -> Branch:
    """A library, for tests about one branch's staff and residents."""
    return make_branch("Central Library")


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    def make(role: Role = Role.LEARNER, **overrides) -> User:
        with app.app_context():
            organisation = None
            if "organisation_id" in overrides:
                organisation = db.session.get(Organisation, overrides.pop("organisation_id"))
            elif role == Role.PROVIDER and "organisation" not in overrides:
                organisation = Organisation(name=f"Provider {uuid.uuid4().hex[:6]}")
                db.session.add(organisation)
                db.session.flush()
            fields = {
                "role": role, "given_name": "Siobhán", "family_name": "O'Brien",
                "email": f"{role.value}-{uuid.uuid4().hex[:8]}@example.test", "password": TEST_PASSWORD,
                "organisation": organisation,
            }
            fields.update(overrides)
            user = accounts.create_user(**fields)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


@pytest.fixture
def make_service(app) -> Callable[..., Service]:
    """A directory service at a location in a postcode district (by default M13), run by an organisation."""

    def make(organisation_id: uuid.UUID | None = None, outcode: str = "M13", **overrides) -> Service:
        from skills_hub import geo

        with app.app_context():
            if organisation_id is None:
                organisation = Organisation(name=f"Provider {uuid.uuid4().hex[:6]}")
                db.session.add(organisation)
                db.session.flush()
                organisation_id = organisation.id
            where = geo.place(outcode)
            location = Location(organisation_id=organisation_id, name=f"Hall in {outcode}", address_1="1 Mill Lane",
                                city="Manchester", postcode=f"{outcode} 1AA", outcode=outcode,
                                latitude=where.latitude, longitude=where.longitude)
            fields = {"name": f"Service {uuid.uuid4().hex[:6]}", "description": "Help with phones.",
                      "eds_areas": ["communicating"], "levels": ["foundation"], "delivery_modes": ["in_person"],
                      "languages": ["en"], "accessibility": [], "referral_needs": []}
            fields.update(overrides)
            service = Service(organisation_id=organisation_id, **fields)
            service.locations = [location]
            db.session.add(service)
            db.session.commit()
            db.session.refresh(service)
            return service

    return make


def referral_body(learner_id, service, **overrides) -> dict:
    """A valid `POST /api/v1/referrals` body, with the permission to share."""
    body = {"client_id": str(uuid.uuid4()), "learner_id": str(learner_id), "service_id": str(service.id),
            "need": "Wants to use a smartphone, in Urdu.", "contact_method": "Phone in the afternoon",
            "consent": {"given_by": "staff_on_behalf", "method": "in_person", "privacy_notice_version": "2026-11",
                        "recipient_organisation_id": str(service.organisation_id)}}
    body.update(overrides)
    return body


@pytest.fixture
def make_referral(app) -> Callable[..., Referral]:
    """A referral made by `actor` (staff of the learner's branch, or the learner) through the service layer."""

    def make(actor: User, learner: User, service: Service, **overrides) -> Referral:
        from skills_hub.referrals import services as referrals

        with app.test_request_context():
            actor = db.session.get(User, actor.id)
            body = referral_body(learner.id, service, **overrides)
            body["client_id"] = uuid.UUID(body["client_id"])
            body["learner_id"] = learner.id
            body["service_id"] = service.id
            body["consent"] = {**body["consent"], "recipient_organisation_id": service.organisation_id}
            referral = referrals.make(actor, body).referral
            db.session.commit()
            db.session.refresh(referral)
            return referral

    return make


@pytest.fixture
def login_as(client) -> Callable[[User], FlaskClient]:
    def login(user: User) -> FlaskClient:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client

    return login


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def drain_jobs(app, redis_url) -> Callable[[], None]:
    """Run whatever jobs are waiting, as production would: an RQ worker with Redis, the runner without."""

    def drain() -> None:
        with app.app_context():
            jobs.dispatch_due()
            if app.config["REDIS_URL"]:
                from rq import SimpleWorker

                queue = jobs.rq_queue()
                SimpleWorker([queue], connection=queue.connection).work(burst=True)
            db.session.remove()

    return drain


@pytest.fixture
def count_queries(app) -> Callable[[], list[str]]:
    """Record the SQL statements run while the returned list is in use."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield lambda: statements
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def bearer(app) -> Callable[[User], dict[str, str]]:
    """Headers with a fresh API token for the user."""

    def headers(user: User) -> dict[str, str]:
        from skills_hub.accounts import tokens

        with app.app_context():
            secret, _ = tokens.issue_api_token(db.session.get(User, user.id), name="test")
            db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return headers


@pytest.fixture
def staff_in(make_user) -> Callable[[Branch], User]:
    def make(branch: Branch, **overrides) -> User:
        return make_user(Role.STAFF, branches=[branch], **overrides)

    return make


def new_learner_body(**overrides) -> dict:
    """A valid `POST /api/v1/learners` body for a resident with no email."""
    body = {
        "client_id": str(uuid.uuid4()), "given_name": "Siobhán", "family_name": "O'Brien",
        "date_of_birth": "1961-04-12", "postcode": "m13 9pl",
        "consent": {"privacy_notice_version": "2026-11", "given_by": "staff_on_behalf", "method": "in_person"},
    }
    body.update(overrides)
    return body


def synced_twin(client: FlaskClient, headers: dict[str, str]) -> uuid.UUID:
    """Siobhan OBrien, registered from an offline device as not the same person as the fixtures' Siobhán O'Brien
    (same birthday and postcode, another phone): the record a merge then folds into hers. Returns its id."""
    body = new_learner_body(given_name="Siobhan", family_name="OBrien", date_of_birth="1961-07-09",
                            postcode="M13 9PL", phone="07700 933444", confirm_not_duplicate=True)
    body.pop("branch_id", None)
    [made] = client.post("/api/v1/sync", headers=headers, json={"device_id": "d", "operations": [
        {"op_id": str(uuid.uuid4()), "type": "create_learner", "recorded_at": "2026-11-28T10:00:00+00:00",
         "payload": body}]}).json["results"]
    return uuid.UUID(made["ref"])


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The text of a PDF, read by poppler's pdftotext (installed by .ci/run)."""
    import shutil
    import subprocess

    require(shutil.which("pdftotext") is not None, "pdftotext", "install poppler-utils (apt install poppler-utils)")
    path = tmp_path / "file.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
