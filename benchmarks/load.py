"""A load test at city scale: 50 people at once for 60 seconds, against a floor measured in the same run.

Serves Skills Hub as the runbook does (`gunicorn -c gunicorn.conf.py wsgi:app`, 2 process workers) on a scratch
PostgreSQL database it makes on the local server (and drops afterwards), with Redis for rate limits (a redis-server
of its own on a free port), behind a pretend proxy: SKILLS_HUB_PROXY_COUNT=1 and an X-Forwarded-For per client, so
the production rate limits count each client as they would behind a real proxy.

Each simulated learner signs in once (a session cookie and an API token), then, with no pause, repeats a mix:
browse the catalogue, open a course, read a lesson, record progress through the API, and (an employer, from an
address of its own) check a certificate. The floor is `GET /healthz` (a bare Flask endpoint in the same app) with
the same server settings and the same number of clients. Every answer must be the expected one: any error fails
the run. Prints requests per second, p50 and p95 latency, and the ratios to the floor.

Run by hand with `make bench` (never in CI). Only 127.0.0.1 is loaded; the run stops by itself.
Settings: SKILLS_HUB_LOAD_USERS (50), SKILLS_HUB_LOAD_SECONDS (60), SKILLS_HUB_LOAD_FLOOR_SECONDS (20),
SKILLS_HUB_LOAD_WORKERS (2), SKILLS_HUB_BENCH_POSTGRES_SERVER (postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skills_hub import codes, create_app, migrate  # noqa: E402
from skills_hub.accounts import services as accounts  # noqa: E402
from skills_hub.accounts.models import Role  # noqa: E402
from skills_hub.certificates.models import Certificate  # noqa: E402
from skills_hub.config import Config  # noqa: E402
from skills_hub.courses import services as courses  # noqa: E402
from skills_hub.extensions import db  # noqa: E402
from skills_hub.learning import services as learning  # noqa: E402

USERS = int(os.environ.get("SKILLS_HUB_LOAD_USERS", "50"))
SECONDS = float(os.environ.get("SKILLS_HUB_LOAD_SECONDS", "60"))
FLOOR_SECONDS = float(os.environ.get("SKILLS_HUB_LOAD_FLOOR_SECONDS", "20"))
WORKERS = int(os.environ.get("SKILLS_HUB_LOAD_WORKERS", "2"))
POSTGRES_SERVER = os.environ.get("SKILLS_HUB_BENCH_POSTGRES_SERVER",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "load test password 1"
CERTIFICATES = 20
# What people do, by weight: reading lessons is most of it.
MIX = {"catalogue": 20, "course page": 15, "lesson": 35, "progress (API)": 20, "verify": 10}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Learner:
    email: str
    address: str
    course: str
    lessons: list[str]
    cookie: str = ""
    token: str = ""


@dataclass
class Results:
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def count(self, kind: str | None = None) -> int:
        return sum(len(v) for k, v in self.latencies.items() if kind in (None, k))

    def all_latencies(self) -> list[float]:
        return [t for v in self.latencies.values() for t in v]


def percentile(values: list[float], p: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def prepare(env: dict[str, str]) -> tuple[list[Learner], list[str]]:
    """Migrate, load the courses, make USERS learners (each enrolled in a course) and CERTIFICATES certificates."""
    app = create_app(Config({**env, "SKILLS_HUB_LOG_LEVEL": "WARNING"}))
    with app.app_context():
        migrate.upgrade()
        courses.sync_catalogue(app.config["CONTENT_DIR"])
        catalogue, _ = courses.list_courses(per_page=200)
        learners = []
        for n in range(USERS):
            course = catalogue[n % len(catalogue)]
            user = accounts.create_user(role=Role.LEARNER, given_name="Load", family_name=f"Learner {n}",
                                        email=f"learner{n}@load.example.test", password=PASSWORD)
            learning.enrol(user, course)
            learners.append(Learner(user.email, f"203.0.{113 + n // 254}.{n % 254 + 1}", course.slug,
                                    [lesson.slug for lesson in course.current_lessons]))
        for n in range(CERTIFICATES):  # finished courses, with certificates for employers to check
            course = catalogue[n % len(catalogue)]
            user = accounts.create_user(role=Role.LEARNER, given_name="Certified", family_name=f"Learner {n}",
                                        email=f"certified{n}@load.example.test")
            learning.enrol(user, course)
            for lesson in course.current_lessons:
                learning.lesson_done(user.id, lesson, assisted=n % 2 == 0)
            answers = {q["id"]: next(c["id"] for c in q["choices"] if c.get("correct"))
                       for q in course.knowledge_check["questions"]}
            learning.take_check(user, course, answers)
        db.session.commit()
        codes_to_check = [codes.grouped(code) for code in db.session.scalars(select(Certificate.code))]
        db.session.remove()
        db.engine.dispose()
    assert len(codes_to_check) == CERTIFICATES, codes_to_check
    return learners, codes_to_check


def request(port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
            ) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def sign_in(port: int, learner: Learner) -> None:
    """A session cookie (the sign-in form) and an API token (what the offline app uses), once per learner."""
    forwarded = {"X-Forwarded-For": learner.address}
    status, headers, body = request(port, "GET", "/sign-in", forwarded)
    cookie = headers["set-cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', body.decode()).group(1)
    form = urlencode({"csrf_token": token, "method": "email", "email": learner.email, "password": PASSWORD,
                      "shared_computer": "no"})
    status, headers, _ = request(port, "POST", "/sign-in", {
        **forwarded, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, form)
    assert status == 302, f"sign-in answered {status}"
    learner.cookie = headers["set-cookie"].split(";")[0]
    status, _, body = request(port, "POST", "/api/v1/tokens", {**forwarded, "Content-Type": "application/json"},
                              json.dumps({"username": learner.email, "password": PASSWORD}))
    assert status == 201, f"token answered {status}"
    learner.token = json.loads(body)["token"]


def step(learner: Learner, certificate_codes: list[str], rng: random.Random) -> tuple[str, str, str, dict, str | None,
                                                                                       tuple[int, ...]]:
    """One thing a person does: (kind, method, path, headers, body, expected statuses)."""
    kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    as_learner = {"X-Forwarded-For": learner.address, "Cookie": learner.cookie}
    if kind == "catalogue":
        return kind, "GET", "/courses", as_learner, None, (200,)
    if kind == "course page":
        return kind, "GET", f"/courses/{learner.course}", as_learner, None, (200,)
    if kind == "lesson":
        return kind, "GET", f"/courses/{learner.course}/lessons/{rng.choice(learner.lessons)}", as_learner, None, (200,)
    if kind == "progress (API)":
        body = json.dumps({"event_id": str(uuid.uuid4()), "course": learner.course,
                           "lesson": rng.choice(learner.lessons), "assisted": False})
        return kind, "POST", "/api/v1/progress", {"X-Forwarded-For": learner.address, "Content-Type":
                                                  "application/json", "Authorization": f"Bearer {learner.token}"}, \
            body, (201,)
    employer = f"192.0.2.{rng.randrange(1, 255)}" if rng.random() < 0.5 else f"198.51.100.{rng.randrange(1, 255)}"
    return kind, "GET", f"/verify/{rng.choice(certificate_codes)}", {"X-Forwarded-For": employer}, None, (200,)


def load(port: int, learners: list[Learner], seconds: float, make_step) -> Results:
    """Each learner in a thread of its own, with no pause between requests, for `seconds`."""
    results = Results()
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def person(n: int, learner: Learner) -> None:
        rng = random.Random(n)
        latencies, errors = defaultdict(list), defaultdict(list)
        while time.perf_counter() < stop_at:
            kind, method, path, headers, body, expected = make_step(learner, rng)
            started = time.perf_counter()
            try:
                status, _, _ = request(port, method, path, headers, body)
            except OSError as error:
                status, problem = 0, f"{type(error).__name__}: {error}"
            else:
                problem = None if status in expected else f"{method} {path} answered {status}"
            latencies[kind].append(time.perf_counter() - started)
            if problem:
                errors[kind].append(problem)
        with lock:
            for kind, values in latencies.items():
                results.latencies[kind] += values
            for kind, values in errors.items():
                results.errors[kind] += values

    started = time.perf_counter()
    threads = [threading.Thread(target=person, args=(n, learner)) for n, learner in enumerate(learners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.seconds = time.perf_counter() - started
    return results


def serve(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                                   cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(300):
        try:
            if request(port, "GET", "/readyz", {})[0] == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not start: {log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def own_redis(folder: Path) -> tuple[subprocess.Popen | None, str]:
    if not shutil.which("redis-server"):
        print("redis-server not found: rate limits are counted in each worker's memory")
        return None, ""
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL,
                               start_new_session=True)
    from redis import Redis

    client = Redis.from_url(f"redis://127.0.0.1:{port}/0")
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:
            time.sleep(0.05)
    client.close()
    return process, f"redis://127.0.0.1:{port}/0"


def report(label: str, results: Results, floor: Results | None) -> None:
    total = results.count()
    rps = total / results.seconds
    all_latencies = results.all_latencies()
    p50, p95 = percentile(all_latencies, 50) * 1000, percentile(all_latencies, 95) * 1000
    if floor is None:
        print(f"{label:<28} {total:>8} {rps:>8.0f} {p50:>8.1f} {p95:>8.1f} {'1.00':>9} "
              f"{sum(len(e) for e in results.errors.values()):>7}")
        return
    floor_rps = floor.count() / floor.seconds
    for kind in MIX:
        values = results.latencies.get(kind, [])
        print(f"  {kind:<26} {len(values):>8} {len(values) / results.seconds:>8.0f} "
              f"{percentile(values, 50) * 1000:>8.1f} {percentile(values, 95) * 1000:>8.1f} {'':>9} "
              f"{len(results.errors.get(kind, [])):>7}")
    print(f"{label:<28} {total:>8} {rps:>8.0f} {p50:>8.1f} {p95:>8.1f} {rps / floor_rps:>9.2f} "
          f"{sum(len(e) for e in results.errors.values()):>7}")
    floor_p50 = percentile(floor.all_latencies(), 50) * 1000
    print(f"\nThe mix serves {rps / floor_rps:.2f}x the floor's requests per second; its p50 is "
          f"{p50 / floor_p50:.1f}x the floor's.")


def main() -> int:
    server = make_url(POSTGRES_SERVER)
    name = f"skills_hub_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        print(f"PostgreSQL is needed (SKILLS_HUB_BENCH_POSTGRES_SERVER={POSTGRES_SERVER}): {error}")
        return 2
    database_url = server.set(database=name).render_as_string(hide_password=False)
    processes: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            redis_process, redis_url = own_redis(folder)
            if redis_process:
                processes.append(redis_process)
            env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLS_HUB_")}
            env.update({
                "SKILLS_HUB_DATABASE_URL": database_url, "SKILLS_HUB_REDIS_URL": redis_url,
                "SKILLS_HUB_SECRET_KEY": secrets.token_hex(32), "SKILLS_HUB_SIGNING_KEY": secrets.token_hex(32),
                "SKILLS_HUB_MAIL_DIR": str(folder / "mail"), "SKILLS_HUB_DEMO": "false",
                "SKILLS_HUB_LOG_FORMAT": "json", "SKILLS_HUB_LOG_LEVEL": "INFO",  # as production logs
                # Behind one proxy that names each client: the production rate limits, counted per client.
                "SKILLS_HUB_PROXY_COUNT": "1", "SKILLS_HUB_TRUSTED_HOSTS": "127.0.0.1",
                "SKILLS_HUB_LOGIN_RATE_LIMIT": "60 per minute;600 per hour",
                "SKILLS_HUB_LOGIN_ACCOUNT_RATE_LIMIT": "10 per minute;50 per hour",
                "WEB_CONCURRENCY": str(WORKERS),
            })
            learners, certificate_codes = prepare(env)
            port = free_port()
            processes.append(serve(port, env, folder / "gunicorn.log"))
            for learner in learners:
                sign_in(port, learner)
            print(f"gunicorn -c gunicorn.conf.py: {WORKERS} process workers (max_requests with jitter), PostgreSQL "
                  f"{'and Redis ' if redis_url else ''}on this machine ({os.cpu_count()} cores, shared with this "
                  f"client); {USERS} simulated people with no pause between requests; mix {SECONDS:.0f} s, floor "
                  f"{FLOOR_SECONDS:.0f} s")
            print(f"{'':<28} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'x floor':>9} {'errors':>7}")
            floor = load(port, learners, FLOOR_SECONDS,
                         lambda learner, rng: ("healthz", "GET", "/healthz", {"X-Forwarded-For": learner.address},
                                               None, (200,)))
            report("GET /healthz (floor)", floor, None)
            mix = load(port, learners, SECONDS, lambda learner, rng: step(learner, certificate_codes, rng))
            report("the mix", mix, floor)
            errors = [e for values in [*floor.errors.values(), *mix.errors.values()] for e in values]
            if errors:
                print(f"\n{len(errors)} errors, for example: {sorted(set(errors))[:5]}")
                print((folder / "gunicorn.log").read_text()[-3000:])
                return 1
            print("No errors.")
            return 0
    finally:
        for process in processes:
            stop(process)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
