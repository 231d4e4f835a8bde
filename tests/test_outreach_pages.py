"""Outreach pages: the page without JavaScript, its service worker, attendance per session, reviewing duplicates."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from skills_hub.accounts.models import Role, User
from skills_hub.extensions import db
from tests.conftest import csrf_token_from, new_learner_body


def _sync(client, headers, *operations):
    response = client.post("/api/v1/sync", json={"device_id": "t", "operations": list(operations)}, headers=headers)
    assert response.status_code == 200
    return response.json["results"]


def _create(**overrides):
    body = new_learner_body(**overrides)
    body.pop("branch_id", None)
    return {"op_id": str(uuid.uuid4()), "type": "create_learner", "recorded_at": "2026-11-28T10:00:00+00:00",
            "payload": body}


def test_without_javascript_the_outreach_page_is_the_ordinary_registration_form(client, make_branch, staff_in,
                                                                                login_as):
    login_as(staff_in(make_branch()))
    response = client.get("/staff/outreach")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert 'action="/staff/residents/new"' in page and 'name="given_name"' in page
    assert '<fieldset id="session-fields" class="field" disabled hidden>' in page  # not sent without the script
    assert 'id="outreach-app"' in page and "hidden>" in page.split('id="outreach-app"')[1].split("</div>")[0]
    token = csrf_token_from(page)
    form = {"csrf_token": token, "client_id": str(uuid.uuid4()), "given_name": "Grace", "family_name": "Mensah",
            "consent_method": "paper", "privacy_notice_version": "2026-11"}
    registered = client.post("/staff/residents/new", data=form)
    assert registered.status_code == 200 and "PIN" in registered.get_data(as_text=True)


def test_the_service_worker_is_served_for_the_outreach_scope(client):
    response = client.get("/staff/outreach-sw.js")
    assert response.status_code == 200 and "javascript" in response.headers["Content-Type"]
    assert 'var PAGE = "/staff/outreach";' in response.get_data(as_text=True)
    response.close()


def test_staff_see_who_came_to_each_session(client, bearer, make_branch, staff_in, login_as):
    home = make_branch()
    staff = staff_in(home)
    headers = bearer(staff)
    people = [_create(given_name=name, family_name="Ahmed") for name in ("Aisha", "Bilal")]
    _sync(client, headers, *people)
    _sync(client, headers, *[
        {"op_id": str(uuid.uuid4()), "type": "record_attendance", "recorded_at": "2026-11-28T10:00:00+00:00",
         "payload": {"learner_client_id": p["payload"]["client_id"], "session_date": "2026-11-27",
                     "venue": "Job club"}} for p in people])
    login_as(staff)
    page = client.get("/staff/outreach/sessions").get_data(as_text=True)
    assert "27 November 2026" in page and "Job club" in page and "Aisha Ahmed" in page and "Bilal Ahmed" in page
    login_as(staff_in(make_branch()))
    assert "Job club" not in client.get("/staff/outreach/sessions").get_data(as_text=True)


def test_staff_merge_a_suspected_duplicate_on_the_page(app, client, bearer, make_branch, staff_in, make_user,
                                                       login_as):
    home = make_branch()
    staff = staff_in(home)
    existing = make_user(Role.LEARNER, given_name="Nguyễn", family_name="Văn An", date_of_birth=date(1980, 1, 2),
                         postcode="OL1 3BE", branches=[home])
    _sync(client, bearer(staff), _create(given_name="Nguyen", family_name="Van An", date_of_birth="1980-01-02",
                                         postcode="ol13be"))
    login_as(staff)
    page = client.get("/staff/duplicates")
    text = page.get_data(as_text=True)
    assert "Nguyen Van An" in text and "Nguyễn Văn An" in text
    assert "Possible duplicates to check: 1" in client.get("/staff").get_data(as_text=True)
    action = text.split('action="/staff/duplicates/')[1].split('"')[0]
    merged = client.post(f"/staff/duplicates/{action}", data={"csrf_token": csrf_token_from(text), "action": "merge",
                                                              "keep": str(existing.id)})
    assert merged.status_code == 303
    assert "Nothing to check" in client.get("/staff/duplicates").get_data(as_text=True)
    with app.app_context():
        held = db.session.scalar(select(User).where(User.merged_into_id == existing.id))
        assert held is not None and not held.active


def test_keeping_both_on_the_page_shows_the_new_pin_once(client, bearer, make_branch, staff_in, make_user,
                                                          login_as):
    home = make_branch()
    staff = staff_in(home)
    make_user(Role.LEARNER, given_name="Siobhán", family_name="O'Brien", date_of_birth=date(1990, 4, 1),
              postcode="M13 9PL", branches=[home])
    _sync(client, bearer(staff), _create(date_of_birth="1990-04-01", postcode="M13 9PL"))
    login_as(staff)
    text = client.get("/staff/duplicates").get_data(as_text=True)
    action = text.split('action="/staff/duplicates/')[1].split('"')[0]
    kept = client.post(f"/staff/duplicates/{action}", data={"csrf_token": csrf_token_from(text),
                                                            "action": "keep_both"})
    assert kept.status_code == 200 and kept.headers["Cache-Control"] == "no-store"
    assert "PIN" in kept.get_data(as_text=True)
    again = client.post(f"/staff/duplicates/{action}", data={"csrf_token": csrf_token_from(text),
                                                             "action": "keep_both"})
    assert again.status_code == 409 and "dealt with already" in again.get_data(as_text=True)
