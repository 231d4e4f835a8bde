"""Export, merge and erasure compared whole against snapshots taken before the domains answered them by signals.

Each snapshot is every row of every table (course content aside) after the step, with what changes from run to
run (ids, times, random codes and hashes) replaced by stable labels. A change to what export, merge or erasure
does shows here as a difference. After a deliberate change, write new snapshots with
`SKILLS_HUB_WRITE_SNAPSHOTS=1 make test PYTEST_ARGS=tests/test_lifecycle_snapshots.py` and read the diff.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from skills_hub import codes
from skills_hub.accounts.models import User
from skills_hub.dataprotection import services as dataprotection
from skills_hub.extensions import db
from skills_hub.learning import services as learning
from tests.conftest import synced_twin
from tests.test_dataprotection import everything  # noqa: F401  (the fixture: a resident in every table)

SNAPSHOTS = Path(__file__).parent / "fixtures" / "lifecycle"
CONTENT_TABLES = {"courses", "lessons", "course_translations", "lesson_translations"}
RANDOM_COLUMNS = {"learner_number", "code", "pin_hash", "password_hash", "token_hash", "key", "message_id",
                  "client_request_hash", "payload_hash", "request_hash", "mfa_secret", "content", "op_id",
                  "device_id", "event_id", "reference", "identity_salt",
                  # hashes of the course files' words: they change whenever a lesson is edited
                  "done_content_hash", "course_content_hash", "content_hash"}
RANDOM_NUMBERS = {"status_list_index"}  # a certificate's place in the revocation list is chosen at random
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)?")
RECENT_DATE = re.compile(r"\b20[1-9]\d-\d{2}-\d{2}\b")
ERASED_REFERENCE = re.compile(r"resident [0-9A-F]{8}")
MESSAGE_ID = re.compile(r"<[\d.]+@skillshub>")
FACTORY_SUFFIX = re.compile(r"(?<=[- ])[0-9a-f]{6,8}\b")  # "Provider 3f2a1b", "staff-34b492ad@…" from the factories


class Labeller:
    def __init__(self, people: dict[uuid.UUID, str]):
        self.labels = {str(key): value for key, value in people.items()}
        self.randoms: dict[str, str] = {}

    def learn(self, rows: dict[str, list[dict]]) -> None:
        for table, table_rows in rows.items():
            for row in table_rows:
                self._learn_row(table, row)

    def _learn_row(self, table: str, row: dict) -> None:
        for column, value in row.items():
            if isinstance(value, dict):
                self._learn_row(table, value)
            elif column in RANDOM_COLUMNS and isinstance(value, str) and value:
                self.randoms.setdefault(value, f"<{column}>")
                self.randoms.setdefault(codes.grouped(value), f"<{column}>")

    def text(self, value: str) -> str:
        if value in self.randoms:
            return self.randoms[value]
        for raw, label in self.randoms.items():
            if len(raw) >= 6 and raw in value:
                value = value.replace(raw, label)
        value = UUID.sub(lambda m: self.labels.get(m.group(0), "<id>"), value)
        value = TIME.sub("<time>", value)
        value = RECENT_DATE.sub("<date>", value)
        value = MESSAGE_ID.sub("<message id>", value)
        value = ERASED_REFERENCE.sub("resident <reference>", value)  # first: a reference of digits only is hex too
        return FACTORY_SUFFIX.sub("<hex>", value)

    def value(self, value):
        if isinstance(value, uuid.UUID):
            return self.labels.get(str(value), "<id>")
        if isinstance(value, datetime):
            return "<time>"
        if isinstance(value, date):
            return value.isoformat() if value.year < 2010 else "<date>"
        if isinstance(value, bytes):
            return "<bytes>"
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k): "<random>" if k in RANDOM_NUMBERS and v is not None else self.value(v)
                    for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        if hasattr(value, "value"):
            return value.value
        return value


def _raw_tables() -> dict[str, list[dict]]:
    found = {}
    for table in db.metadata.sorted_tables:
        if table.name in CONTENT_TABLES:
            continue
        found[table.name] = [dict(row._mapping) for row in db.session.execute(select(table))]
    return found


def _normalised(labeller: Labeller, rows: dict[str, list[dict]]) -> dict[str, list[str]]:
    labeller.learn(rows)
    return {table: sorted(json.dumps(labeller.value(row), sort_keys=True, ensure_ascii=False) for row in table_rows)
            for table, table_rows in rows.items()}


def _compare(name: str, found: dict) -> None:
    path = SNAPSHOTS / f"{name}.json"
    if os.environ.get("SKILLS_HUB_WRITE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    expected = json.loads(path.read_text())
    for key in sorted(set(expected) | set(found)):
        assert found.get(key) == expected.get(key), f"{name}: {key} differs from the snapshot"


def test_export_merge_and_erasure_match_their_snapshots(app, client, bearer, everything, make_user):  # noqa: F811
    twin_id = synced_twin(client, bearer(everything["staff"]))
    with app.app_context():
        from skills_hub.courses.services import get_course

        twin = db.session.get(User, twin_id)
        course = get_course("getting-started")
        learning.enrol(twin, course)
        learning.lesson_done(twin.id, course.current_lessons[0], assisted=False)
        learning.lesson_done(twin.id, course.current_lessons[1], assisted=False)
        db.session.commit()
    people = {everything["learner_id"]: "<learner>", twin_id: "<twin>", everything["staff"].id: "<staff>",
              everything["provider"].id: "<provider>", everything["branch"].id: "<branch>"}
    labeller = Labeller(people)
    with app.app_context():
        learner = db.session.get(User, everything["learner_id"])
        exported = dataprotection.export_data(learner)
        _compare("1-export", _normalised(labeller, {"export." + k: v for k, v in exported.items()}))

        from skills_hub.outreach.duplicates import merge

        merge(db.session.get(User, twin_id), db.session.get(User, everything["learner_id"]))
        db.session.commit()
        _compare("2-after-merge", _normalised(labeller, _raw_tables()))
        exported = dataprotection.export_data(db.session.get(User, everything["learner_id"]))
        _compare("3-export-after-merge", _normalised(labeller, {"export." + k: v for k, v in exported.items()}))

    with app.test_request_context():
        erased = dataprotection.erase(None, db.session.get(User, everything["learner_id"]), "Asked")
        db.session.commit()
        result = {"erased": [json.dumps(labeller.value({
            "learner_id": erased.learner_id, "referrals_withdrawn": erased.referrals_withdrawn,
            "providers_notified": erased.providers_notified, "certificates_withdrawn": erased.certificates_withdrawn,
            "anonymised_fields": list(erased.anonymised_fields)}), sort_keys=True)]}
        _compare("4-after-erasure", {**result, **_normalised(labeller, _raw_tables())})
