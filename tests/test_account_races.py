"""Account safety under real concurrent requests: threads against a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import func, select

from skills_hub.accounts import services
from skills_hub.accounts.models import Role, User
from skills_hub.audit.models import AuditEvent
from skills_hub.extensions import db
from tests.conftest import live_server, make_test_app

GUESSES = 10


@contextmanager
def serving(app) -> Iterator[str]:
    with live_server(app) as port:
        yield f"http://127.0.0.1:{port}"


def at_once(count: int, send) -> list[requests.Response]:
    """Send `count` requests from as many threads, released together."""
    barrier = threading.Barrier(count)
    answers: list[requests.Response | None] = [None] * count

    def one(i: int) -> None:
        barrier.wait()
        answers[i] = send(i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """Every PIN or password hash the accounts service checks (the real check, counted)."""
    checked: list[str] = []
    lock = threading.Lock()
    real = services.check_password_hash

    def counted(stored: str, given: str) -> bool:
        with lock:
            checked.append(stored)
        return real(stored, given)

    monkeypatch.setattr(services, "check_password_hash", counted)
    return checked


@pytest.mark.parametrize("where", ["api", "page"])
def test_ten_wrong_pins_at_once_check_exactly_five_and_lock(app, database_url, tmp_path, make_user, hash_checks,
                                                            where):
    server_app = make_test_app(database_url, tmp_path)
    server_app.config["WTF_CSRF_ENABLED"] = False
    learner = make_user(Role.LEARNER, email=None, password=None, learner_number="DEM0001D", pin="246810")
    with serving(server_app) as url:
        if where == "api":
            answers = at_once(GUESSES, lambda i: requests.post(
                f"{url}/api/v1/tokens", json={"username": "DEM0001D", "password": f"{i:06d}"}, timeout=60))
        else:
            answers = at_once(GUESSES, lambda i: requests.post(
                f"{url}/sign-in", data={"method": "pin", "learner_number": "DEM0001D", "pin": f"{i:06d}"},
                allow_redirects=False, timeout=60))
    statuses = sorted(answer.status_code for answer in answers)
    pin_checks = [stored for stored in hash_checks if stored == learner.pin_hash]
    assert len(pin_checks) == 5, f"{len(pin_checks)} wrong PINs were checked, not 5"
    assert statuses == [401] * 4 + [429] * 6
    with app.app_context():
        stored = db.session.get(User, learner.id)
        assert stored.failed_pin_attempts == 5 and services.pin_locked(stored)
        locks = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.subject_id == learner.id, AuditEvent.action == "learner.pin_locked"))
    assert locks == 1
    # Locked: even the right PIN is refused without being checked.
    hash_checks.clear()
    with serving(server_app) as url:
        right = requests.post(f"{url}/api/v1/tokens", json={"username": "DEM0001D", "password": "246810"},
                              timeout=60)
    assert right.status_code == 429 and hash_checks == []
