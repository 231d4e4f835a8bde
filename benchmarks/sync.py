"""A sync batch of 500 operations against a floor measured in the same run.

The floor: inserting the same 125 residents (with their consent, enrolment, progress and attendance rows) with a
plain SQLAlchemy bulk insert. The measured path: `POST /api/v1/sync` with 500 operations (125 x create_learner,
enrol, record_progress, record_attendance), through the app, with validation, duplicate checks, savepoints and
the replay log. Also: the same batch replayed (every operation answers `replayed`). Run by hand with
`make bench` (never in CI). Set SKILLS_HUB_BENCH_DATABASE_URL to time PostgreSQL instead of a throwaway SQLite.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from skills_hub import create_app, migrate  # noqa: E402
from skills_hub.accounts import services as accounts  # noqa: E402
from skills_hub.accounts.models import Branch, BranchMember, Consent, Role, User  # noqa: E402
from skills_hub.config import TestConfig  # noqa: E402
from skills_hub.courses import services as courses  # noqa: E402
from skills_hub.extensions import db  # noqa: E402
from skills_hub.outreach.models import Attendance  # noqa: E402

PEOPLE = 125  # x 4 operations = 500, the batch limit


def batch() -> list[dict]:
    operations = []
    now = datetime.now(UTC).isoformat()
    for n in range(PEOPLE):
        client_id = str(uuid.uuid4())
        ref = {"learner_client_id": client_id}
        operations += [
            {"op_id": str(uuid.uuid4()), "type": "create_learner", "recorded_at": now, "payload": {
                "client_id": client_id, "given_name": f"Resident{n}", "family_name": f"Family{n}",
                "date_of_birth": f"19{50 + n % 50}-0{1 + n % 9}-1{n % 9}", "postcode": "M13 9PL",
                "consent": {"privacy_notice_version": "2026-11", "given_by": "staff_on_behalf",
                            "method": "paper"}}},
            {"op_id": str(uuid.uuid4()), "type": "enrol", "recorded_at": now,
             "payload": {**ref, "course": "using-email"}},
            {"op_id": str(uuid.uuid4()), "type": "record_progress", "recorded_at": now,
             "payload": {**ref, "course": "getting-started", "lesson": "switching-on-and-off"}},
            {"op_id": str(uuid.uuid4()), "type": "record_attendance", "recorded_at": now,
             "payload": {**ref, "session_date": "2026-11-28", "venue": "Church hall"}},
        ]
    return operations


def floor_seconds(staff_id: uuid.UUID, branch_id: uuid.UUID) -> float:
    users, members, consents, attendances = [], [], [], []
    for n in range(PEOPLE):
        user_id = uuid.uuid4()
        users.append({"id": user_id, "role": Role.LEARNER, "given_name": f"Floor{n}", "family_name": "Floor",
                      "name_key": f"floor{n}floor", "learner_number": None, "postcode": "M13 9PL",
                      "session_version": 1, "version": 1, "failed_pin_attempts": 0, "is_demo": False,
                      "active": True, "held_for_review": False, "mfa_recovery_hashes": [],
                      "created_at": datetime.now(UTC)})
        members.append({"user_id": user_id, "branch_id": branch_id, "created_at": datetime.now(UTC)})
        consents.append({"id": uuid.uuid4(), "user_id": user_id, "notice_version": "2026-11",
                         "given_by": "staff_on_behalf", "method": "paper", "recorded_by_id": staff_id,
                         "created_at": datetime.now(UTC)})
        attendances.append({"id": uuid.uuid4(), "learner_id": user_id, "branch_id": branch_id,
                            "session_date": date(2026, 11, 28), "venue": "Church hall", "recorded_by_id": staff_id,
                            "recorded_at": datetime.now(UTC)})
    started = time.perf_counter()
    db.session.execute(insert(User), users)
    db.session.execute(insert(BranchMember), members)
    db.session.execute(insert(Consent), consents)
    db.session.execute(insert(Attendance), attendances)
    db.session.commit()
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("SKILLS_HUB_BENCH_DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app(TestConfig({"SKILLS_HUB_TEST_DATABASE_URL": url, "SKILLS_HUB_LOG_LEVEL": "WARNING",
                                     "SKILLS_HUB_MAIL_DIR": folder}))
        with app.app_context():
            if url.startswith("postgresql"):
                db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
                db.session.commit()
            migrate.upgrade()
            courses.sync_catalogue(app.config["CONTENT_DIR"])
            branch = Branch(name="Bench Library")
            db.session.add(branch)
            db.session.flush()
            staff = accounts.create_user(role=Role.STAFF, given_name="Bench", family_name="Staff",
                                         email="bench@example.test", password="bench bench bench",
                                         branches=[branch])
            db.session.commit()
            staff_id, branch_id = staff.id, branch.id
            floor = floor_seconds(staff_id, branch_id)
        client = app.test_client()
        token = client.post("/api/v1/tokens", json={"username": "bench@example.test",
                                                    "password": "bench bench bench"}).json["token"]
        headers = {"Authorization": f"Bearer {token}"}
        operations = batch()
        started = time.perf_counter()
        response = client.post("/api/v1/sync", json={"device_id": "bench", "operations": operations},
                               headers=headers)
        first = time.perf_counter() - started
        statuses = {r["status"] for r in response.json["results"]}
        assert statuses == {"applied"}, statuses
        started = time.perf_counter()
        replay = client.post("/api/v1/sync", json={"device_id": "bench", "operations": operations}, headers=headers)
        again = time.perf_counter() - started
        assert {r["status"] for r in replay.json["results"]} == {"replayed"}
        print(f"database: {url.split(':')[0]}")
        print(f"floor: bulk insert of {PEOPLE} residents with consent, branch and attendance rows: "
              f"{floor * 1000:.0f} ms")
        print(f"POST /api/v1/sync, {len(operations)} operations: {first * 1000:.0f} ms "
              f"({first / floor:.1f}x the floor; aim 3x)")
        print(f"the same batch replayed: {again * 1000:.0f} ms ({again / floor:.1f}x the floor)")


if __name__ == "__main__":
    main()
