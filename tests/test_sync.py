"""The sync API and suspected duplicates: replay, conflict, in-batch references, partial failure, holding and
merging without loss."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from skills_hub.accounts.models import Consent, Role, User
from skills_hub.audit.models import AuditEvent
from skills_hub.extensions import db
from skills_hub.learning.models import Enrolment, LessonProgress
from skills_hub.outreach.models import Attendance, SuspectedDuplicate, SyncOperation
from skills_hub.referrals.models import Referral
from tests.conftest import new_learner_body


def _now(minutes: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def op(kind: str, payload: dict, **overrides) -> dict:
    return {"op_id": str(uuid.uuid4()), "type": kind, "recorded_at": _now(-30), "payload": payload, **overrides}


def create(**overrides) -> dict:
    body = new_learner_body(**overrides)
    body.pop("branch_id", None)
    return op("create_learner", body)


@pytest.fixture
def staff(branch, staff_in):
    return staff_in(branch)


@pytest.fixture
def send(client, bearer, staff):
    headers = bearer(staff)

    def post(*operations, device_id="laptop-1", user_headers=None):
        response = client.post("/api/v1/sync", json={"device_id": device_id, "operations": list(operations)},
                               headers=user_headers or headers)
        assert response.status_code == 200, response.json
        return response.json["results"]

    return post


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_batch_creates_a_resident_and_refers_to_them_by_client_id(app, send, catalogue):
    new = create(given_name="Grace", family_name="Mensah", date_of_birth="1958-02-03", postcode="M13 9PL")
    client_id = new["payload"]["client_id"]
    results = send(
        new,
        op("enrol", {"learner_client_id": client_id, "course": "using-email"}),
        op("record_progress", {"learner_client_id": client_id, "course": "getting-started",
                               "lesson": "switching-on-and-off", "assisted": True}),
        op("record_attendance", {"learner_client_id": client_id, "session_date": "2026-11-28",
                                 "venue": "St Mary's Church Hall"}),
    )
    assert [r["status"] for r in results] == ["applied"] * 4
    created = results[0]
    assert created["pin_pending"] is True and "pin" not in created  # PINs are made when needed, not in a batch
    assert len(created["learner_number"]) == 9  # XXXX-XXXX
    with app.app_context():
        learner = db.session.get(User, uuid.UUID(created["ref"]))
        assert learner.given_name == "Grace" and learner.client_id == uuid.UUID(client_id)
        assert db.session.scalar(select(func.count()).select_from(Enrolment)
                                 .where(Enrolment.learner_id == learner.id)) == 2
        progress = db.session.scalars(select(LessonProgress).where(LessonProgress.learner_id == learner.id)).one()
        assert progress.done_at is not None and progress.assisted
        attendance = db.session.scalars(select(Attendance)).one()
        assert (attendance.venue, attendance.session_date) == ("St Mary's Church Hall", date(2026, 11, 28))
        assert db.session.scalar(select(func.count()).select_from(SyncOperation)) == 4
        assert all("pin" not in o.result for o in db.session.scalars(select(SyncOperation)))


def test_a_later_batch_can_refer_to_a_resident_created_in_an_earlier_one(send, catalogue):
    new = create()
    send(new)
    [result] = send(op("enrol", {"learner_client_id": new["payload"]["client_id"], "course": "using-email"}))
    assert result["status"] == "applied"


def test_replaying_a_batch_changes_nothing_and_answers_replayed_without_the_pin(app, send, catalogue):
    new = create()
    batch = [new, op("record_attendance", {"learner_client_id": new["payload"]["client_id"],
                                           "session_date": "2026-11-28", "venue": "Hall"})]
    first = send(*batch)
    again = send(*batch)
    assert [r["status"] for r in again] == ["replayed", "replayed"]
    assert again[0]["ref"] == first[0]["ref"] and again[0]["learner_number"] == first[0]["learner_number"]
    assert "pin" not in again[0]
    assert _count(app, User, User.role == Role.LEARNER) == 1 and _count(app, Attendance) == 1


def test_the_same_op_id_with_another_payload_is_rejected_never_applied(app, send):
    first = create(given_name="Grace")
    send(first)
    changed = {**first, "payload": {**first["payload"], "given_name": "Gracie"}}
    [result] = send(changed)
    assert result["status"] == "rejected" and "different operation" in result["errors"]["op_id"][0]
    with app.app_context():
        assert db.session.scalar(select(User.given_name).where(User.role == Role.LEARNER)) == "Grace"


def test_one_bad_operation_never_loses_the_others(app, send, catalogue):
    good_one, good_two = create(given_name="Nguyễn", family_name="Văn An"), create(given_name="محمد",
                                                                                     family_name="Khan")
    results = send(
        good_one,
        op("create_learner", {"given_name": "No family name"}),
        {"op_id": "not-a-uuid", "type": "enrol", "recorded_at": _now(), "payload": {}},
        op("enrol", {"learner_client_id": str(uuid.uuid4()), "course": "using-email"}),
        op("enrol", {"learner_client_id": good_one["payload"]["client_id"], "course": "no-such-course"}),
        op("teleport", {}),
        "just a string",
        good_two,
    )
    assert [r["status"] for r in results] == ["applied"] + ["rejected"] * 6 + ["applied"]
    assert "family_name" in results[1]["errors"]["payload"]
    assert "op_id" in results[2]["errors"]
    assert "learner_client_id" in results[3]["errors"]["payload"]
    assert "type" in results[5]["errors"]
    assert _count(app, User, User.role == Role.LEARNER) == 2


def test_a_rejected_operation_is_tried_again_when_sent_again(send, catalogue):
    early = op("enrol", {"learner_client_id": str(uuid.uuid4()), "course": "using-email"})
    assert send(early)[0]["status"] == "rejected"
    new = create()
    new["payload"]["client_id"] = early["payload"]["learner_client_id"]
    assert [r["status"] for r in send(new, early)] == ["applied", "applied"]


def test_a_clock_ahead_is_accepted_as_received_and_flagged(app, send):
    ahead = create()
    ahead["recorded_at"] = _now(60 * 24)
    [result] = send(ahead)
    assert result["status"] == "applied" and result["flags"] == ["clock_ahead"]
    with app.app_context():
        stored = db.session.get(SyncOperation, uuid.UUID(ahead["op_id"]))
        assert stored.recorded_at > datetime.now(UTC) + timedelta(hours=23)


def test_big_batches_are_413_and_bad_envelopes_422(client, bearer, staff):
    headers = bearer(staff)
    too_many = {"device_id": "x", "operations": [create() for _ in range(501)]}
    assert client.post("/api/v1/sync", json=too_many, headers=headers).status_code == 413
    assert client.post("/api/v1/sync", json={"operations": []}, headers=headers).status_code == 422
    assert client.post("/api/v1/sync", json={"device_id": "x", "operations": [], "extra": 1},
                       headers=headers).status_code == 422
    assert client.post("/api/v1/sync", data="x", headers=headers).status_code == 415


@pytest.mark.parametrize(("role", "status"), [(Role.LEARNER, 403), (Role.PROVIDER, 403)])
def test_only_staff_and_admins_sync(client, bearer, make_user, role, status):
    response = client.post("/api/v1/sync", json={"device_id": "x", "operations": [create()]},
                           headers=bearer(make_user(role)))
    assert response.status_code == status


def test_staff_cannot_touch_another_branchs_resident_through_sync(send, make_user, make_branch, catalogue):
    stranger = make_user(Role.LEARNER, branches=[make_branch("Elsewhere")])
    [result] = send(op("enrol", {"learner_id": str(stranger.id), "course": "using-email"}))
    assert result["status"] == "rejected"


# Suspected duplicates -------------------------------------------------------------------------------------------

@pytest.fixture
def existing(make_user, branch):
    """Siobhán O'Brien, already registered at the same branch, with a learner number."""
    return make_user(Role.LEARNER, email=None, given_name="Siobhán", family_name="O'Brien",
                     date_of_birth=date(1990, 4, 1), postcode="M13 9PL", learner_number="DEM0001D", pin="246810",
                     branches=[branch])


def test_a_likely_duplicate_is_held_and_what_depends_on_it_waits(app, client, bearer, send, staff, existing,
                                                                 catalogue):
    twin = create(given_name="siobhan", family_name="OBrien", date_of_birth="1990-04-01", postcode="m139pl")
    client_id = twin["payload"]["client_id"]
    results = send(twin, op("enrol", {"learner_client_id": client_id, "course": "using-email"}),
                   op("record_attendance", {"learner_client_id": client_id, "session_date": "2026-11-28",
                                            "venue": "Library"}))
    assert [r["status"] for r in results] == ["duplicate_suspected", "held", "held"]
    assert "learner_number" not in results[0] and "pin" not in results[0]
    queue = client.get("/api/v1/duplicates", headers=bearer(staff)).json
    assert queue["total"] == 1
    [item] = queue["items"]
    assert item["candidates"][0]["id"] == str(existing.id) and item["held_operations"] == 2
    assert _count(app, Attendance) == 0


def test_merging_moves_everything_and_runs_the_held_operations(app, client, bearer, send, staff, existing,
                                                               make_service, make_referral, catalogue):
    from skills_hub.learning import services as learning

    with app.app_context():  # the existing record has learning and a referral already
        learner = db.session.get(User, existing.id)
        from skills_hub.courses.services import get_course

        learning.enrol(learner, get_course("getting-started"))
        db.session.commit()
    referral = make_referral(staff, existing, make_service())
    twin = create(given_name="Siobhan", family_name="O'Brien", date_of_birth="1990-04-01", postcode="M13 9PL",
                  phone="07700 900123")
    client_id = twin["payload"]["client_id"]
    send(twin, op("enrol", {"learner_client_id": client_id, "course": "using-email"}),
         op("record_progress", {"learner_client_id": client_id, "course": "getting-started",
                                "lesson": "switching-on-and-off"}),
         op("record_attendance", {"learner_client_id": client_id, "session_date": "2026-11-28", "venue": "Hall"}))
    [item] = client.get("/api/v1/duplicates", headers=bearer(staff)).json["items"]
    held_id = item["learner"]["id"]
    resolved = client.post(f"/api/v1/duplicates/{item['id']}/resolve", json={"action": "merge"},
                           headers=bearer(staff))
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["status"] == "merged" and resolved.json["kept_learner_id"] == str(existing.id)
    assert [a["status"] for a in resolved.json["applied"]] == ["applied"] * 3
    with app.app_context():
        kept, gone = db.session.get(User, existing.id), db.session.get(User, uuid.UUID(held_id))
        assert (gone.active, gone.merged_into_id) == (False, kept.id)
        assert kept.phone == "07700 900123"  # a blank filled from the other record
        assert db.session.scalar(select(func.count()).select_from(Consent).where(Consent.user_id == kept.id)) >= 1
        assert db.session.scalar(select(func.count()).select_from(Consent).where(Consent.user_id == gone.id)) == 0
        enrolled = set(db.session.scalars(select(Enrolment.course_id).where(Enrolment.learner_id == kept.id)))
        assert len(enrolled) == 2
        assert db.session.scalar(select(func.count()).select_from(Attendance)
                                 .where(Attendance.learner_id == kept.id)) == 1
        assert db.session.get(Referral, referral.id).learner_id == kept.id
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.subject_id == gone.id)) == 0
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "learner.merged")) is not None
    assert client.get("/api/v1/duplicates", headers=bearer(staff)).json["total"] == 0
    again = client.post(f"/api/v1/duplicates/{item['id']}/resolve", json={"action": "merge"}, headers=bearer(staff))
    assert again.status_code == 409
    [replayed] = send(twin)  # the device sends the registration again: it points at the kept record now
    assert replayed["status"] == "replayed" and replayed["ref"] == str(existing.id)


def test_merging_two_records_with_the_same_course_keeps_the_furthest_progress(app, branch, existing, make_user,
                                                                             catalogue):
    from skills_hub.courses.services import get_course
    from skills_hub.learning import services as learning
    from skills_hub.outreach.duplicates import merge

    other = make_user(Role.LEARNER, given_name="Siobhan", family_name="O'Brien", branches=[branch])
    with app.app_context():
        course = get_course("getting-started")
        a, b = db.session.get(User, existing.id), db.session.get(User, other.id)
        learning.enrol(a, course)
        learning.enrol(b, course)
        first, second = course.current_lessons[:2]
        learning.lesson_opened(a, first)
        learning.lesson_done(b.id, first, assisted=True)
        learning.lesson_done(b.id, second, assisted=False)
        db.session.commit()
        merge(b, a)
        db.session.commit()
        rows = db.session.scalars(select(LessonProgress).where(LessonProgress.learner_id == a.id)).all()
        assert {r.lesson_id: bool(r.done_at) for r in rows} == {first.id: True, second.id: True}
        assert db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.learner_id == a.id)) == 1
        assert db.session.scalar(select(func.count()).select_from(LessonProgress)
                                 .where(LessonProgress.learner_id == b.id)) == 0


def test_keeping_both_gives_the_new_resident_a_number_and_pin_and_runs_held_operations(app, client, bearer, send,
                                                                                      staff, existing,
                                                                                      catalogue):
    twin = create(given_name="Siobhán", family_name="O'Brien", date_of_birth="1990-04-01", postcode="M13 9PL")
    send(twin, op("enrol", {"learner_client_id": twin["payload"]["client_id"], "course": "using-email"}))
    [item] = client.get("/api/v1/duplicates", headers=bearer(staff)).json["items"]
    resolved = client.post(f"/api/v1/duplicates/{item['id']}/resolve", json={"action": "keep_both"},
                           headers=bearer(staff)).json
    assert resolved["status"] == "kept_both" and resolved["kept_learner_id"] == item["learner"]["id"]
    assert len(resolved["pin"]) >= 6 and resolved["learner_number"]
    assert resolved["applied"][0]["status"] == "applied"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.LEARNER,
                                                                              User.active)) == 2


@pytest.mark.parametrize(("body", "field"), [({"action": "delete"}, "action"), ({}, "action"),
                                             ({"action": "merge", "keep": "not-a-uuid"}, "keep")])
def test_bad_resolve_bodies_are_422(client, bearer, send, staff, existing, body, field):
    send(create(given_name="Siobhán", family_name="O'Brien", date_of_birth="1990-04-01", postcode="M13 9PL"))
    [item] = client.get("/api/v1/duplicates", headers=bearer(staff)).json["items"]
    response = client.post(f"/api/v1/duplicates/{item['id']}/resolve", json=body, headers=bearer(staff))
    assert response.status_code == 422 and field in response.json["errors"]


def test_keeping_the_new_record_in_a_merge_is_refused(client, bearer, send, staff, existing):
    send(create(given_name="Siobhán", family_name="O'Brien", date_of_birth="1990-04-01", postcode="M13 9PL"))
    [item] = client.get("/api/v1/duplicates", headers=bearer(staff)).json["items"]
    response = client.post(f"/api/v1/duplicates/{item['id']}/resolve",
                           json={"action": "merge", "keep": item["learner"]["id"]}, headers=bearer(staff))
    assert response.status_code == 422 and "keep both" in response.json["errors"]["keep"][0]


def test_another_branch_sees_no_suspected_duplicate(client, bearer, send, staff, existing, make_branch, staff_in):
    send(create(given_name="Siobhán", family_name="O'Brien", date_of_birth="1990-04-01", postcode="M13 9PL"))
    outsider = staff_in(make_branch("Elsewhere"))
    assert client.get("/api/v1/duplicates", headers=bearer(outsider)).json["total"] == 0
    [item] = client.get("/api/v1/duplicates", headers=bearer(staff)).json["items"]
    response = client.post(f"/api/v1/duplicates/{item['id']}/resolve", json={"action": "keep_both"},
                           headers=bearer(outsider))
    assert response.status_code == 404


def test_suspected_duplicates_count_once(app, send, existing):
    same = create(given_name="Siobhán", family_name="O'Brien", date_of_birth="1990-04-01", postcode="M13 9PL")
    send(same)
    send(same)
    assert _count(app, SuspectedDuplicate) == 1


def test_a_held_resident_gets_no_pin_card_or_course_until_the_duplicate_is_resolved(client, bearer, send, staff,
                                                                                   existing, catalogue):
    [held] = send(create(given_name="Siobhán", family_name="O'Brien", date_of_birth="1990-04-01",
                         postcode="M13 9PL"))
    headers = bearer(staff)
    enrol = client.post("/api/v1/enrolments", json={"course": "using-email", "learner_id": held["ref"]},
                        headers=headers)
    assert enrol.status_code == 409 and "Possible duplicates" in enrol.json["detail"]
    patch = client.patch(f"/api/v1/learners/{held['ref']}", json={"phone": "07700 900123", "version": 1},
                         headers=headers)
    assert patch.status_code == 409


def test_a_likely_duplicate_only_in_another_library_is_refused_without_showing_them(app, client, bearer, send,
                                                                                     make_user, make_branch):
    make_user(Role.LEARNER, given_name="Ann", family_name="Example", date_of_birth=date(1980, 1, 1),
              postcode="M1 1AA", branches=[make_branch("Elsewhere")])
    [result] = send(create(given_name="Anne", family_name="Example", date_of_birth="1980-01-01", postcode="M1 1AA",
                           email="someone@example.test"))
    assert result["status"] == "rejected" and "another library" in str(result["errors"])
    assert "Example" not in str(result) and "M1 1AA" not in str(result)
    assert _count(app, SuspectedDuplicate) == 0


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1899-01-01T10:00:00Z"])
def test_an_impossible_clock_rejects_that_operation_alone(app, send, moment):
    good, odd = create(), create()
    odd["recorded_at"] = moment
    results = send(good, odd)
    assert [r["status"] for r in results] == ["applied", "rejected"] and results[0]["pin_pending"]
    assert "recorded_at" in results[1]["errors"]


def test_page_numbers_past_any_list_are_refused_or_clamped(client, bearer, staff, login_as):
    huge = "9" * 25
    assert client.get(f"/api/v1/duplicates?page={huge}", headers=bearer(staff)).status_code == 422
    login_as(staff)
    assert client.get(f"/staff/outreach/sessions?page={huge}").status_code == 200


def test_attendance_at_a_session_that_has_not_happened_is_rejected(send):
    new = create()
    later = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    results = send(new, op("record_attendance", {"learner_client_id": new["payload"]["client_id"],
                                                 "session_date": later, "venue": "Hall"}))
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert "has not happened yet" in str(results[1]["errors"])
