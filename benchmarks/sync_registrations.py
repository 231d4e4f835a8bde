"""500 residents registered in one sync batch, with production password hashing (scrypt), then their PINs.

Before PINs were made when needed, every create_learner without an email hashed a PIN inside the batch (~0.1 s
each with scrypt): 500 took about 48 s on PostgreSQL, past gunicorn's 30 s timeout. Now the batch makes no PIN
(`pin_pending`), and staff make them 50 at a time with `POST /api/v1/learners/pins`. This prints both times.
Run by hand (never in CI); set SKILLS_HUB_BENCH_DATABASE_URL to time PostgreSQL (its public schema is emptied).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from skills_hub import create_app, migrate  # noqa: E402
from skills_hub.accounts import services as accounts  # noqa: E402
from skills_hub.accounts.models import Branch, Role  # noqa: E402
from skills_hub.config import Config, TestConfig  # noqa: E402
from skills_hub.extensions import db  # noqa: E402

RESIDENTS = 500


def batch() -> list[dict]:
    now = datetime.now(UTC).isoformat()
    return [{"op_id": str(uuid.uuid4()), "type": "create_learner", "recorded_at": now, "payload": {
        "client_id": str(uuid.uuid4()), "given_name": f"Resident{n}", "family_name": f"Family{n}",
        "date_of_birth": (date(1940, 1, 1) + timedelta(days=n * 17)).isoformat(), "postcode": "M13 9PL",
        "consent": {"privacy_notice_version": "2026-11", "given_by": "staff_on_behalf", "method": "paper"}}}
        for n in range(RESIDENTS)]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("SKILLS_HUB_BENCH_DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        config = TestConfig({"SKILLS_HUB_TEST_DATABASE_URL": url, "SKILLS_HUB_LOG_LEVEL": "WARNING",
                             "SKILLS_HUB_MAIL_DIR": folder})
        config.PASSWORD_HASH_METHOD = Config({}).PASSWORD_HASH_METHOD  # production's scrypt, not the tests' fast one
        app = create_app(config)
        with app.app_context():
            if url.startswith("postgresql"):
                db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                db.session.commit()
            migrate.upgrade()
            branch = Branch(name="Bench Library")
            db.session.add(branch)
            db.session.flush()
            accounts.create_user(role=Role.STAFF, given_name="Bench", family_name="Staff",
                                 email="bench@example.test", password="bench bench bench", branches=[branch])
            db.session.commit()
        client = app.test_client()
        token = client.post("/api/v1/tokens", json={"username": "bench@example.test",
                                                    "password": "bench bench bench"}).json["token"]
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        response = client.post("/api/v1/sync", json={"device_id": "bench", "operations": batch()},
                               headers=headers)
        sync_seconds = time.perf_counter() - started
        results = response.json["results"]
        assert [r["status"] for r in results] == ["applied"] * RESIDENTS
        with app.app_context():  # the floor: what one PIN hash costs on this machine, now
            started = time.perf_counter()
            for _ in range(10):
                accounts.hash_secret("123456")
            one_hash = (time.perf_counter() - started) / 10
        print(f"database: {url.split(':')[0]}; password hashing: {config.PASSWORD_HASH_METHOD}, "
              f"{one_hash * 1000:.0f} ms a hash on this machine now")
        print(f"POST /api/v1/sync, {RESIDENTS} create_learner operations: {sync_seconds:.1f} s "
              f"(= {sync_seconds / one_hash:.0f} hashes; PINs in the batch: {sum('pin' in r for r in results)})")
        if not all(r.get("pin_pending") for r in results):
            return  # the code before PINs were made when needed
        ids = [r["ref"] for r in results]
        started = time.perf_counter()
        for start in range(0, len(ids), 50):
            made = client.post("/api/v1/learners/pins", json={"learner_ids": ids[start:start + 50]},
                               headers=headers)
            assert made.status_code == 200 and len(made.json["pins"]) == len(ids[start:start + 50])
        pins_seconds = time.perf_counter() - started
        calls = len(range(0, len(ids), 50))
        print(f"POST /api/v1/learners/pins, {RESIDENTS} PINs in {calls} calls of 50: {pins_seconds:.1f} s "
              f"({pins_seconds / calls:.1f} s a call)")


if __name__ == "__main__":
    main()
