"""Races and batches (issue 14, "Holes found from outside"): requests sent at the same moment through a real
server, another process writing to the same database during a sync, a chunked body past the sync limit, and
PINs made when needed instead of inside batches. Run on SQLite (default) and on PostgreSQL
(SKILLS_HUB_TEST_DATABASE_URL)."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from skills_hub.accounts.models import Branch, Role, User
from skills_hub.audit.models import AuditEvent
from skills_hub.extensions import db
from skills_hub.outreach.models import SyncOperation
from skills_hub.referrals.models import OPEN, Referral, SharingPermission
from tests.conftest import live_server, make_test_app, new_learner_body, referral_body
from tests.test_certificates import completed  # noqa: F401

# A real server, and requests released together ---------------------------------------------------------------------


def post_json(port: int, path: str, body: dict, headers: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body=json.dumps(body),
                           headers={"Content-Type": "application/json", **headers})
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else {}
    finally:
        connection.close()


def at_once(port: int, requests: list[tuple[str, dict, dict]]) -> list[tuple[int, dict]]:
    """Send every (path, body, headers) from its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)

    def send(index: int, path: str, body: dict, headers: dict) -> None:
        try:
            barrier.wait()
            answers[index] = post_json(port, path, body, headers)
        except Exception as error:  # reported by the assertions below, not as a thread warning
            answers[index] = (0, {"error": repr(error)})

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return answers


@pytest.fixture
def staff(branch, staff_in):
    return staff_in(branch)


@pytest.fixture
def learner(branch, make_user):
    return make_user(Role.LEARNER, branches=[branch], given_name="Amina", family_name="Begum")


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _op(kind: str, payload: dict) -> dict:
    recorded = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    return {"op_id": str(uuid.uuid4()), "type": kind, "recorded_at": recorded, "payload": payload}


def _create(number: int, **overrides) -> dict:
    """A create_learner operation for a distinct resident (their own date of birth: no suspected duplicates)."""
    body = new_learner_body(given_name=f"Resident {number:03d}", family_name="Okafor",
                            date_of_birth=(date(1950, 1, 1) + timedelta(days=number)).isoformat(), **overrides)
    return _op("create_learner", body)


# 1. One open referral per resident and service --------------------------------------------------------------------

def test_twenty_referrals_at_once_for_one_resident_and_service_make_one_and_nineteen_409s(
        app, bearer, staff, learner, make_service):
    service = make_service()
    headers = bearer(staff)
    with live_server(app) as port:
        answers = at_once(port, [("/api/v1/referrals", referral_body(learner.id, service), headers)
                                 for _ in range(20)])
    assert sorted(status for status, _ in answers) == [201] + [409] * 19, answers
    made = next(body for status, body in answers if status == 201)
    for status, body in answers:
        if status == 409:
            assert body["detail"].startswith("Amina Begum already has an open referral to this service")
            assert body["errors"]["service_id"] and body["referral_id"] == made["id"]
    assert _count(app, Referral, Referral.learner_id == learner.id, Referral.service_id == service.id,
                  Referral.status.in_(OPEN)) == 1
    assert _count(app, SharingPermission) == 1  # the refused ones left no permission behind


def test_the_database_refuses_a_second_open_referral_to_the_same_service(app, staff, learner, make_service,
                                                                         make_referral):
    from sqlalchemy.exc import IntegrityError

    service = make_service()
    first = make_referral(staff, learner, service)
    with app.app_context():
        copy = Referral(reference="ZZZZZZZZ", learner_id=learner.id, service_id=service.id,
                        organisation_id=service.organisation_id, permission_id=first.permission_id,
                        referred_by_id=staff.id, need="Again", status="viewed", respond_by=first.respond_by)
        db.session.add(copy)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        closed = db.session.get(Referral, first.id)
        closed.status = "withdrawn"
        db.session.commit()
    again = make_referral(staff, learner, service)  # once the first is closed, a new one may be made
    assert again.status == "submitted"


# 2. The same key at the same moment: a replay, never a 500 ----------------------------------------------------------

def test_the_same_idempotency_key_sent_at_once_registers_one_resident_and_the_rest_replay(app, bearer, staff):
    headers = {**bearer(staff), "Idempotency-Key": "card-table-7"}
    body = new_learner_body(given_name="Chidi", family_name="Eze")
    del body["client_id"]
    with live_server(app) as port:
        answers = at_once(port, [("/api/v1/learners", body, headers)] * 12)
    assert sorted(status for status, _ in answers) == [200] * 11 + [201], answers
    first = next(answer for status, answer in answers if status == 201)
    assert first["pin"] and first["pin"].isdigit()  # one resident at a time still answers with the PIN, once
    for status, answer in answers:
        if status == 200:
            assert answer["pin"] is None
            assert {k: v for k, v in answer.items() if k != "pin"} == {k: v for k, v in first.items() if k != "pin"}
    assert _count(app, User, User.role == Role.LEARNER) == 1


def test_the_same_referral_client_id_sent_at_once_makes_one_and_the_rest_replay(app, bearer, staff, learner,
                                                                                 make_service):
    service = make_service()
    body = referral_body(learner.id, service)
    with live_server(app) as port:
        answers = at_once(port, [("/api/v1/referrals", body, bearer(staff))] * 12)
    assert sorted(status for status, _ in answers) == [200] * 11 + [201], answers
    assert len({answer["id"] for _, answer in answers}) == 1
    assert _count(app, Referral) == 1 and _count(app, SharingPermission) == 1


def test_the_same_sync_batch_sent_twice_at_once_applies_it_once_and_replays_it(app, bearer, staff):
    batch = {"device_id": "laptop-1", "operations": [_create(n) for n in range(5)]}
    with live_server(app) as port:
        answers = at_once(port, [("/api/v1/sync", batch, bearer(staff))] * 4)
    assert [status for status, _ in answers] == [200] * 4, answers
    for position in range(5):
        statuses = sorted(answer["results"][position]["status"] for _, answer in answers)
        assert statuses == ["applied"] + ["replayed"] * 3, statuses
        assert len({answer["results"][position]["ref"] for _, answer in answers}) == 1
    assert _count(app, User, User.role == Role.LEARNER) == 5 and _count(app, SyncOperation) == 5


# 3. Another process writing meanwhile: the batch waits, it is never rejected ----------------------------------------

LOCK_HOLDER = r'''
import sys, time, uuid
url, seconds = sys.argv[1], float(sys.argv[2])
if url.startswith("sqlite"):
    import sqlite3
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=60, isolation_level=None)
    def write(n):  # like `flask jobs run`: a write transaction, held a while
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO branches (id, name, is_demo, created_at) VALUES (?, ?, 0, ?)",
                           (uuid.uuid4().hex, f"Lock holder {n}", "2026-12-03 09:00:00.000000"))
else:
    import psycopg
    connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    def write(n):
        connection.execute("BEGIN")
        connection.execute("LOCK TABLE users IN EXCLUSIVE MODE")
        connection.execute("INSERT INTO branches (id, name, is_demo, created_at) VALUES (%s, %s, false, now())",
                           (uuid.uuid4(), f"Lock holder {n}"))
print("ready", flush=True)
end, written = time.monotonic() + seconds, 0
while time.monotonic() < end:
    write(written)
    time.sleep(0.3)
    connection.execute("COMMIT")
    written += 1
    time.sleep(0.05)
print(written, flush=True)
'''


def test_a_sync_batch_waits_for_another_process_writing_and_rejects_nothing(app, client, database_url, bearer,
                                                                            staff):
    operations = [_create(n) for n in range(120)]
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, database_url, "6"], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        response = client.post("/api/v1/sync", json={"device_id": "laptop-1", "operations": operations},
                               headers=bearer(staff))
        written = int(holder.stdout.readline())
    finally:
        holder.wait(60)
        holder.stdout.close()
    assert response.status_code == 200, response.json
    statuses = [result["status"] for result in response.json["results"]]
    assert statuses.count("rejected") == 0, [r for r in response.json["results"] if r["status"] == "rejected"][:3]
    assert statuses == ["applied"] * 120
    # The other process really wrote meanwhile (on a loaded machine it may manage only a write or two).
    assert written >= 1 and _count(app, Branch, Branch.name.like("Lock holder %")) == written
    assert _count(app, User, User.role == Role.LEARNER) == 120


HOLD_ONCE = r'''
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1].removeprefix("sqlite:///"), timeout=60, isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
'''


def test_a_sync_part_still_locked_after_the_busy_timeout_is_run_again_not_rejected(database_url, tmp_path, bearer,
                                                                                   staff):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's lock: PostgreSQL writers wait for row locks instead")
    impatient = make_test_app(database_url, tmp_path, SKILLS_HUB_SQLITE_BUSY_TIMEOUT_SECONDS="0.1")
    headers = bearer(staff)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_ONCE, database_url, "1.5"], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        response = impatient.test_client().post("/api/v1/sync", json={
            "device_id": "laptop-1", "operations": [_create(n) for n in range(3)]}, headers=headers)
    finally:
        holder.wait(30)
        holder.stdout.close()
    assert response.status_code == 200, response.json
    assert [r["status"] for r in response.json["results"]] == ["applied"] * 3


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite settings")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


# 5. The 1 MB sync limit, however the body is sent -------------------------------------------------------------------

def _send_chunked(port: int, body: bytes, headers: dict, chunk: int = 64 * 1024) -> tuple[int, bytes]:
    """POST with Transfer-Encoding: chunked and no Content-Length; the answer, even when the server stops
    reading early."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.putrequest("POST", "/api/v1/sync", skip_accept_encoding=True)
        for name, value in {"Content-Type": "application/json", "Transfer-Encoding": "chunked", **headers}.items():
            connection.putheader(name, value)
        connection.endheaders()
        try:
            for start in range(0, len(body), chunk):
                piece = body[start:start + chunk]
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            connection.send(b"0\r\n\r\n")
        except OSError:  # the server answered and closed before reading everything: read its answer
            pass
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_chunked_sync_body_over_1_mb_is_refused_with_413_and_nothing_is_applied(app, bearer, staff):
    operations = [_create(n) for n in range(300)]
    padding = " " * 1_230_000  # JSON allows whitespace between tokens: a 1.38 MB body with 300 operations
    body = ('{"device_id": "laptop-1",' + padding + '"operations": ' + json.dumps(operations) + "}").encode()
    assert len(body) > 1_350_000
    with live_server(app) as port:
        status, answer = _send_chunked(port, body, bearer(staff))
    assert status == 413, answer[:300]
    assert json.loads(answer)["status"] == 413
    assert _count(app, User, User.role == Role.LEARNER) == 0 and _count(app, SyncOperation) == 0


def test_a_small_chunked_sync_body_is_applied(app, bearer, staff):
    body = json.dumps({"device_id": "laptop-1", "operations": [_create(1), _create(2)]}).encode()
    with live_server(app) as port:
        status, answer = _send_chunked(port, body, bearer(staff), chunk=100)
    assert status == 200, answer[:300]
    assert [r["status"] for r in json.loads(answer)["results"]] == ["applied", "applied"]


# 4. PINs made when needed ------------------------------------------------------------------------------------------

def test_a_sync_makes_no_pin_and_staff_make_it_when_they_hand_out_the_card(app, client, bearer, staff):
    headers = bearer(staff)
    with_email = _create(2, email="grace@example.test")
    operations = [_create(1), with_email]
    first = client.post("/api/v1/sync", json={"device_id": "d", "operations": operations}, headers=headers).json
    created, emailed = first["results"]
    assert created["pin_pending"] is True and "pin" not in created
    assert "pin_pending" not in emailed and "pin" not in emailed
    learner_id = created["ref"]
    with app.app_context():
        assert db.session.get(User, uuid.UUID(learner_id)).pin_hash is None

    made = client.post("/api/v1/learners/pins", json={"learner_ids": [learner_id]}, headers=headers)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    [item] = made.json["pins"]
    assert item["learner_id"] == learner_id and item["learner_number"] == created["learner_number"]
    assert len(item["pin"]) == 6 and item["pin"].isdigit()
    token = client.post("/api/v1/tokens", json={"username": item["learner_number"], "password": item["pin"]})
    assert token.status_code == 201

    replay = client.post("/api/v1/sync", json={"device_id": "d", "operations": operations}, headers=headers).json
    assert replay["results"][0]["status"] == "replayed" and "pin_pending" not in replay["results"][0]

    again = client.post("/api/v1/learners/pins", json={"learner_ids": [learner_id]}, headers=headers)
    new_pin = again.json["pins"][0]["pin"]
    with app.app_context():
        pin_hash = db.session.get(User, uuid.UUID(learner_id)).pin_hash
        assert check_password_hash(pin_hash, new_pin) and (new_pin == item["pin"]
                                                           or not check_password_hash(pin_hash, item["pin"]))
        actions = list(db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.subject_id == uuid.UUID(learner_id), AuditEvent.action.like("learner.pin_%"))
            .order_by(AuditEvent.at)))
    assert actions == ["learner.pin_made", "learner.pin_reset"]


def test_pins_are_made_for_at_most_50_and_only_for_residents_you_may_see(app, client, bearer, staff, make_branch,
                                                                        make_user):
    headers = bearer(staff)
    results = client.post("/api/v1/sync", json={"device_id": "d", "operations": [_create(1)]},
                          headers=headers).json["results"]
    mine = results[0]["ref"]
    elsewhere = make_user(Role.LEARNER, branches=[make_branch("Northside Library")], email=None)
    refused = client.post("/api/v1/learners/pins", json={"learner_ids": [mine, str(elsewhere.id)]}, headers=headers)
    assert refused.status_code == 404
    with app.app_context():
        assert db.session.get(User, uuid.UUID(mine)).pin_hash is None  # none made when one is refused
    too_many = client.post("/api/v1/learners/pins", json={"learner_ids": [mine] * 51}, headers=headers)
    assert too_many.status_code == 422 and "between 1 and 50" in too_many.json["errors"]["learner_ids"][0]
    empty = client.post("/api/v1/learners/pins", json={"learner_ids": []}, headers=headers)
    assert empty.status_code == 422
    twice = client.post("/api/v1/learners/pins", json={"learner_ids": [mine, mine]}, headers=headers)
    assert twice.status_code == 200 and len(twice.json["pins"]) == 1


def test_a_held_resident_gets_no_pin_until_the_duplicate_is_resolved(client, bearer, staff, branch, make_user):
    make_user(Role.LEARNER, branches=[branch], given_name="Resident 001", family_name="Okafor", email=None,
              date_of_birth=date(1950, 1, 2), postcode="M13 9PL")
    headers = bearer(staff)
    [held] = client.post("/api/v1/sync", json={"device_id": "d", "operations": [_create(1)]},
                         headers=headers).json["results"]
    assert held["status"] == "duplicate_suspected" and "pin_pending" not in held
    answer = client.post("/api/v1/learners/pins", json={"learner_ids": [held["ref"]]}, headers=headers)
    assert answer.status_code == 409 and "Possible duplicates" in answer.json["detail"]


def test_merging_two_records_with_open_referrals_to_one_service_keeps_one_open(app, staff, branch, make_user,
                                                                               make_service, make_referral):
    from skills_hub.outreach import duplicates

    service = make_service()
    kept = make_user(Role.LEARNER, branches=[branch], given_name="Amina", family_name="Begum")
    gone = make_user(Role.LEARNER, branches=[branch], given_name="Amina", family_name="Begum")
    stays, doubled = make_referral(staff, kept, service), make_referral(staff, gone, service)
    with app.test_request_context():
        duplicates.merge(db.session.get(User, gone.id), db.session.get(User, kept.id))
        db.session.commit()
        referrals = {r.id: r for r in db.session.scalars(select(Referral))}
    assert {r.learner_id for r in referrals.values()} == {kept.id}  # both moved, nothing lost
    assert referrals[stays.id].status == "submitted" and referrals[doubled.id].status == "withdrawn"
    assert "merged" in referrals[doubled.id].reason


# 6. One change of a certificate's status at a time -------------------------------------------------------------------

@pytest.mark.parametrize("action", ["revoke", "reinstate", "reissue"])
def test_three_changes_of_a_certificate_at_once_make_one_and_two_409s(app, client, completed, make_user,  # noqa: F811
                                                                      bearer, action):
    from skills_hub.certificates.models import Certificate, CertificateEvent

    _, code = completed
    admin = bearer(make_user(Role.ADMIN))
    if action == "reinstate":
        assert client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "First"},
                           headers=admin).status_code == 200
    with live_server(app) as port:
        answers = at_once(port, [(f"/api/v1/certificates/{code}/{action}", {"reason": f"Try {n}"}, admin)
                                 for n in range(3)])
    done = 201 if action == "reissue" else 200
    assert sorted(status for status, _ in answers) == [done, 409, 409], answers
    kind = {"revoke": "revoked", "reinstate": "reinstated", "reissue": "superseded"}[action]
    assert _count(app, CertificateEvent, CertificateEvent.kind == kind) == 1
    assert _count(app, AuditEvent, AuditEvent.action == f"certificate.{kind if action != 'reissue' else 'reissued'}") \
        == 1
    assert _count(app, Certificate) == (2 if action == "reissue" else 1)

