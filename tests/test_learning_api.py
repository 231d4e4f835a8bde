"""The learning API: enrolments, progress events (idempotent, offline times), knowledge checks, and races."""

import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from skills_hub.accounts.models import Role
from skills_hub.certificates.models import Certificate
from skills_hub.courses import services as courses
from skills_hub.extensions import db, utcnow
from skills_hub.learning.models import CheckAttempt, Enrolment, LessonProgress, ProgressEvent

COURSE = "getting-started"


@pytest.fixture
def learner(make_branch, make_user, catalogue):
    return make_user(Role.LEARNER, email="l@example.test", branches=[make_branch("Central Library")])


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def lesson_slugs(app, course=COURSE):
    with app.app_context():
        return [lesson.slug for lesson in courses.get_course(course).current_lessons]


def answers_to(app, right: bool, course=COURSE):
    with app.app_context():
        check = courses.get_course(course).knowledge_check
    return {q["id"]: next(c["id"] for c in q["choices"] if bool(c.get("correct")) == right)
            for q in check["questions"]}


def right_answers(app, course=COURSE):
    return answers_to(app, right=True, course=course)


def progress_body(lesson, **changes):
    return {"event_id": str(uuid.uuid4()), "course": COURSE, "lesson": lesson, "assisted": False, **changes}


def test_enrolling_twice_answers_200_with_the_same_enrolment(client, learner, bearer):
    headers = bearer(learner)
    first = client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    again = client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["course"] == COURSE and first.json["lessons_done"] == 0 and first.json["percent"] == 0
    mine = client.get("/api/v1/me/enrolments", headers=headers).json
    assert mine["total"] == 1 and set(mine["items"][0]) >= {"course", "lessons_done", "lessons_total", "percent",
                                                            "check_passed", "completed_at", "certificate_code"}


def test_progress_is_idempotent_by_event_id_and_a_different_body_is_refused(app, client, learner, bearer):
    headers = bearer(learner)
    client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    body = progress_body(lesson_slugs(app)[0], assisted=True)
    first = client.post("/api/v1/progress", json=body, headers=headers)
    replay = client.post("/api/v1/progress", json=body, headers=headers)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json == first.json and first.json["assisted"] is True
    changed = client.post("/api/v1/progress", json={**body, "assisted": False}, headers=headers)
    assert changed.status_code == 422 and "event_id" in changed.json["errors"]
    another_event = client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[0]), headers=headers)
    assert another_event.status_code == 201
    assert count(app, LessonProgress) == 1, "the same lesson twice is never double counted"
    assert count(app, ProgressEvent) == 2


def test_offline_progress_keeps_its_time_but_not_a_future_one(app, client, learner, bearer):
    headers = bearer(learner)
    client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    last_week = (utcnow() - timedelta(days=7)).replace(microsecond=0)
    done = client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[0],
                                                                occurred_at=last_week.isoformat()), headers=headers)
    assert done.status_code == 201 and done.json["done_at"].startswith(last_week.isoformat()[:19])
    soon = (utcnow() + timedelta(minutes=4)).isoformat()
    assert client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[1], occurred_at=soon),
                       headers=headers).status_code == 201, "a device clock a little fast is fine"
    future = (utcnow() + timedelta(minutes=6)).isoformat()
    refused = client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[2], occurred_at=future),
                          headers=headers)
    assert refused.status_code == 422 and "occurred_at" in refused.json["errors"]
    naive = client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[2],
                                                                 occurred_at="2026-11-28T10:15:00"), headers=headers)
    assert naive.status_code == 422 and "occurred_at" in naive.json["errors"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"course": "no-such-course"}, "course"),
    ({"lesson": "no-such-lesson"}, "lesson"),
    ({"lesson": "attachments"}, "lesson"),  # a lesson of another course
    ({"assisted": "maybe"}, "assisted"),
    ({"event_id": "not-a-uuid"}, "event_id"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_progress_is_422_naming_the_field(app, client, learner, bearer, changes, field):
    headers = bearer(learner)
    client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    body = {**progress_body(lesson_slugs(app)[0]), **changes}
    response = client.post("/api/v1/progress", json=body, headers=headers)
    assert response.status_code == 422 and field in response.json["errors"]
    assert count(app, LessonProgress) == 0


def test_progress_for_a_course_the_learner_is_not_on_is_422(app, client, learner, bearer):
    response = client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[0]), headers=bearer(learner))
    assert response.status_code == 422 and "not enrolled" in response.json["detail"]


def test_staff_record_progress_for_their_learner_and_it_counts_as_assisted(app, client, learner, make_user, bearer):
    with app.app_context():
        from skills_hub.accounts.models import Branch, User
        from skills_hub.accounts.policy import branch_ids_of
        branch = db.session.get(Branch, branch_ids_of(db.session.get(User, learner.id))[0])
        db.session.expunge(branch)
    staff = bearer(make_user(Role.STAFF, branches=[branch]))
    enrolled = client.post("/api/v1/enrolments", json={"course": COURSE, "learner_id": str(learner.id)},
                           headers=staff)
    assert enrolled.status_code == 201
    done = client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[0], learner_id=str(learner.id)),
                       headers=staff)
    assert done.status_code == 201 and done.json["assisted"] is True
    listing = client.get(f"/api/v1/learners/{learner.id}/enrolments", headers=staff).json
    assert listing["items"][0]["lessons_done"] == 1
    no_learner = client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[1]), headers=staff)
    assert no_learner.status_code == 422 and "learner_id" in no_learner.json["errors"]
    other_staff = bearer(make_user(Role.STAFF))
    assert client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[1], learner_id=str(learner.id)),
                       headers=other_staff).status_code == 404


def test_the_check_api_scores_on_the_server_and_keeps_attempts(app, client, learner, bearer):
    headers = bearer(learner)
    answers = right_answers(app)
    wrong = answers_to(app, right=False)
    failed = client.post(f"/api/v1/courses/{COURSE}/check", json={"answers": wrong}, headers=headers)
    assert failed.status_code == 200 and failed.json["passed"] is False
    assert set(failed.json) == {"score", "correct_count", "question_count", "passed", "results"}
    assert all(set(r) == {"question_id", "correct", "feedback"} for r in failed.json["results"])
    passed = client.post(f"/api/v1/courses/{COURSE}/check", json={"answers": answers}, headers=headers)
    assert passed.json == {**passed.json, "score": 100, "passed": True}
    assert count(app, CheckAttempt) == 2
    anonymous = client.post(f"/api/v1/courses/{COURSE}/check", json={"answers": answers})
    assert anonymous.status_code == 200 and count(app, CheckAttempt) == 2, "nobody to keep it for"


@pytest.mark.parametrize("change", ["unknown question", "unknown choice", "missing answer"])
def test_bad_check_answers_are_422(app, client, learner, bearer, change):
    answers = right_answers(app)
    first = next(iter(answers))
    if change == "unknown question":
        answers["no-such-question"] = "a"
    elif change == "unknown choice":
        answers[first] = "zz"
    else:
        del answers[first]
    response = client.post(f"/api/v1/courses/{COURSE}/check", json={"answers": answers}, headers=bearer(learner))
    assert response.status_code == 422 and response.json["errors"]["answers"]
    assert count(app, CheckAttempt) == 0


def test_completion_through_the_api_issues_one_certificate(app, client, learner, bearer):
    headers = bearer(learner)
    client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    client.post(f"/api/v1/courses/{COURSE}/check", json={"answers": right_answers(app)}, headers=headers)
    for slug in lesson_slugs(app):
        client.post("/api/v1/progress", json=progress_body(slug), headers=headers)
    [item] = client.get("/api/v1/me/enrolments", headers=headers).json["items"]
    assert item["completed_at"] and item["percent"] == 100 and len(item["certificate_code"]) == 14


def send_at_once(app, headers, requests) -> list[int]:
    """POST each (path, body) from its own thread, released together; the statuses in finishing order."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []

    def send(path, body):
        barrier.wait()
        statuses.append(app.test_client().post(path, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@contextmanager
def slow_completion_checks(app, seconds=0.3):
    """Widen the race: each completion check pauses before reading which lessons are done, so both requests are
    in flight together at the moment that decides completion."""
    def pause(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT lesson_progress.lesson_id \nFROM lesson_progress"):
            time.sleep(seconds)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", pause)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", pause)


def test_two_requests_finishing_the_course_at_once_make_one_completion_and_one_certificate(
        app, client, catalogue, make_branch, make_user, bearer):
    """Real concurrent requests (on PostgreSQL in CI's second pass): the enrolment row is locked."""
    slugs = lesson_slugs(app)
    answers = right_answers(app)
    for round_number in range(4):
        learner = make_user(Role.LEARNER, email=f"race{round_number}@example.test")
        headers = bearer(learner)
        client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
        for slug in slugs[:-1]:
            client.post("/api/v1/progress", json=progress_body(slug), headers=headers)
        if round_number % 2:  # the last lesson twice at once
            requests = [("/api/v1/progress", progress_body(slugs[-1])), ("/api/v1/progress", progress_body(slugs[-1]))]
            client.post(f"/api/v1/courses/{COURSE}/check", json={"answers": answers}, headers=headers)
        else:  # the last lesson and a pass at once
            requests = [("/api/v1/progress", progress_body(slugs[-1])),
                        (f"/api/v1/courses/{COURSE}/check", {"answers": answers})]
        with slow_completion_checks(app):
            statuses = send_at_once(app, headers, requests)
        assert sorted(statuses) in ([200, 201], [201, 201]), statuses
        with app.app_context():
            completed = db.session.scalar(select(func.count()).select_from(Enrolment).where(
                Enrolment.learner_id == learner.id, Enrolment.completed_at.is_not(None)))
            certificates = db.session.scalar(select(func.count()).select_from(Certificate).where(
                Certificate.learner_id == learner.id))
        assert (completed, certificates) == (1, 1), f"round {round_number}"


def test_the_same_event_sent_twice_at_once_is_recorded_once(app, client, learner, bearer):
    headers = bearer(learner)
    client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    body = progress_body(lesson_slugs(app)[0])
    with slow_completion_checks(app, seconds=0.2):
        statuses = send_at_once(app, headers, [("/api/v1/progress", body), ("/api/v1/progress", body)])
    assert sorted(statuses) == [200, 201]
    assert count(app, ProgressEvent) == 1 and count(app, LessonProgress) == 1


def test_assisted_must_be_a_real_boolean_and_old_times_are_refused(app, client, learner, bearer):
    headers = bearer(learner)
    client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    lesson = lesson_slugs(app)[0]
    for value in ("yes", 1, "true"):
        response = client.post("/api/v1/progress", json=progress_body(lesson, assisted=value), headers=headers)
        assert response.status_code == 422 and "assisted" in response.json["errors"], value
    ancient = (utcnow() - timedelta(days=400)).isoformat()
    old = client.post("/api/v1/progress", json=progress_body(lesson, occurred_at=ancient), headers=headers)
    assert old.status_code == 422 and "occurred_at" in old.json["errors"]


def test_offline_work_done_before_the_lesson_was_opened_here_starts_no_later_than_it_was_done(app, client,
                                                                                               learner, bearer):
    headers = bearer(learner)
    client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    client.get(f"/courses/{COURSE}/lessons/{lesson_slugs(app)[0]}", headers=headers)
    last_week = (utcnow() - timedelta(days=7)).isoformat()
    client.post("/api/v1/progress", json=progress_body(lesson_slugs(app)[0], occurred_at=last_week), headers=headers)
    with app.app_context():
        progress = db.session.scalars(select(LessonProgress)).one()
        assert progress.started_at <= progress.done_at


def test_the_openapi_document_gives_the_200_of_a_replay(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/progress", "/api/v1/enrolments", "/api/v1/learners"):
        assert {"200", "201"} <= spec["paths"][path]["post"]["responses"].keys(), path
