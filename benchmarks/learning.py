"""Learning write and page throughput against a floor measured in the same run, on SQLite and PostgreSQL.

Serves Skills Hub and a bare Flask app that inserts one row (the floor, benchmarks/floor_app.py) with gunicorn on
127.0.0.1, then loads each for a few seconds from client threads and prints requests per second:
  (a) the floor: POST /floor, one INSERT;
  (b) POST /api/v1/progress with a bearer token, a new event_id each time;
  (c) GET /my-learning for a learner with 20 enrolments.
Run by hand with `make bench` (never in CI). PostgreSQL is used when SKILLS_HUB_BENCH_POSTGRES_URL (default: the
local server's `skills_hub_bench` database, created if missing) answers.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.floor_app import metadata as floor_metadata  # noqa: E402
from skills_hub import create_app, migrate  # noqa: E402
from skills_hub.accounts import services as accounts  # noqa: E402
from skills_hub.accounts import tokens  # noqa: E402
from skills_hub.accounts.models import Role  # noqa: E402
from skills_hub.config import PROJECT_ROOT, Config  # noqa: E402
from skills_hub.courses import services as courses  # noqa: E402
from skills_hub.extensions import db  # noqa: E402
from skills_hub.learning import services as learning  # noqa: E402

SECONDS = float(os.environ.get("SKILLS_HUB_BENCH_SECONDS", "8"))
CLIENTS = int(os.environ.get("SKILLS_HUB_BENCH_CLIENTS", "8"))
WORKERS = int(os.environ.get("SKILLS_HUB_BENCH_WORKERS", "2"))
PASSWORD = "bench mark password"
POSTGRES_URL = os.environ.get("SKILLS_HUB_BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/skills_hub_bench")


def twenty_courses(folder: Path) -> Path:
    """The real catalogue, plus copies under new slugs, so that a learner can have 20 enrolments."""
    real = sorted(p for p in (PROJECT_ROOT / "content" / "courses").iterdir() if (p / "course.yaml").exists())
    for n in range(20):
        source = real[n % len(real)]
        slug = source.name if n < len(real) else f"{source.name}-copy-{n}"
        shutil.copytree(source, folder / slug)
        course_file = folder / slug / "course.yaml"
        course_file.write_text(re.sub(r"^slug: .*$", f"slug: {slug}", course_file.read_text(), flags=re.M))
    return folder


def postgres_available() -> bool:
    admin = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            name = POSTGRES_URL.rsplit("/", 1)[1]
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return True
    except Exception as error:
        print(f"PostgreSQL skipped: {error}")
        return False


def prepare(env: dict[str, str]) -> tuple[str, str]:
    """Migrate, sync 20 courses, and make a learner with 20 enrolments. Returns (bearer token, email)."""
    app = create_app(Config(env))
    with app.app_context():
        migrate.upgrade()
        courses.sync_catalogue(app.config["CONTENT_DIR"])
        learner = accounts.create_user(role=Role.LEARNER, given_name="Bench", family_name="Learner",
                                       email="bench@example.test", password=PASSWORD)
        catalogue, _ = courses.list_courses(per_page=200)
        for course in catalogue[:20]:
            learning.enrol(learner, course)
            learning.lesson_done(learner.id, course.current_lessons[0], assisted=False)
        secret, _ = tokens.issue_api_token(learner, name="bench")
        db.session.commit()
        floor_metadata.create_all(db.engine)
        db.engine.dispose()
    return secret, "bench@example.test"


def serve(target: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", target], cwd=ROOT, env=env)
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{target} did not start")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load(port: int, request) -> tuple[float, int]:
    """Requests per second over SECONDS from CLIENTS threads with keep-alive, and the number of failures."""
    done, failed = [0], [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + SECONDS

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop_at:
            method, path, body, headers = request()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            with lock:
                done[0] += 1
                failed[0] += response.status >= 300
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - started), failed[0]


def session_cookie(port: int, email: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("GET", "/sign-in")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urlencode({"csrf_token": token, "method": "email", "email": email, "password": PASSWORD,
                      "shared_computer": "no"})
    connection.request("POST", "/sign-in", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = connection.getresponse()
    response.read()
    assert response.status == 302, response.status
    return response.getheader("Set-Cookie").split(";")[0]


def bench(name: str, database_url: str, folder: Path) -> list[tuple[str, float, int]]:
    env = {**os.environ, "SKILLS_HUB_DATABASE_URL": database_url, "SKILLS_HUB_CONTENT_DIR": str(folder / "courses"),
           "SKILLS_HUB_MAIL_DIR": str(folder / "mail"), "SKILLS_HUB_LOG_LEVEL": "WARNING",
           "SKILLS_HUB_LOGIN_RATE_LIMIT": "100000 per minute", "SKILLS_HUB_REDIS_URL": ""}
    secret, email = prepare(env)
    hub_port, floor_port = free_port(), free_port()
    processes = [serve("wsgi:app", hub_port, env), serve("benchmarks.floor_app:app", floor_port, env)]
    try:
        floor_rps, floor_failed = load(floor_port, lambda: ("POST", "/floor", b"", {}))
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        lessons = ["switching-on-and-off", "touch-and-typing", "mouse-and-keyboard"]

        def progress():
            body = {"event_id": str(uuid.uuid4()), "course": "getting-started", "lesson": lessons[0],
                    "assisted": False}
            return "POST", "/api/v1/progress", json.dumps(body).encode(), headers
        progress_rps, progress_failed = load(hub_port, progress)
        cookie = session_cookie(hub_port, email)
        page_rps, page_failed = load(hub_port, lambda: ("GET", "/my-learning", None, {"Cookie": cookie}))
    finally:
        for process in processes:
            process.terminate()
            process.wait()
    return [(f"{name}: POST /floor (one INSERT)", floor_rps, floor_failed),
            (f"{name}: POST /api/v1/progress", progress_rps, progress_failed),
            (f"{name}: GET /my-learning (20 enrolments)", page_rps, page_failed)]


def main() -> None:
    print(f"{WORKERS} gunicorn workers, {CLIENTS} client threads, {SECONDS:.0f} s per row, on this machine")
    print(f"{'request':<50} {'req/s':>8} {'x floor':>8} {'failed':>7}")
    targets = [("SQLite", None)] + ([("PostgreSQL", POSTGRES_URL)] if postgres_available() else [])
    for name, url in targets:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            twenty_courses(folder / "courses")
            rows = bench(name, url or f"sqlite:///{folder / 'bench.sqlite3'}", folder)
        floor = rows[0][1]
        for label, rps, failed in rows:
            print(f"{label:<50} {rps:>8.0f} {rps / floor:>8.2f} {failed:>7}")


if __name__ == "__main__":
    main()
