"""The audit log: append-only, readable and filterable by admins only, free of personal data."""

import pytest
from sqlalchemy import select

from skills_hub.accounts.models import Role
from skills_hub.audit import services as audit
from skills_hub.audit.models import AuditEvent, AuditLogIsAppendOnly
from skills_hub.extensions import db
from tests.conftest import new_learner_body


@pytest.fixture
def entry(app, make_user):
    subject = make_user(Role.LEARNER, email="subject@example.test")
    with app.app_context():
        audit.record("learner.viewed", subject.id, actor_id=None)
        db.session.commit()
    return subject


def test_entries_cannot_be_changed_or_deleted_through_the_application(app, entry):
    with app.app_context():
        row = db.session.scalars(select(AuditEvent)).one()
        row.action = "nothing.happened"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(AuditEvent)).one())
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalars(select(AuditEvent.action)).one() == "learner.viewed"


def test_admins_read_and_filter_the_log(client, make_user, login_as, entry):
    admin = make_user(Role.ADMIN, email="admin@example.test")
    login_as(admin)
    page = client.get("/admin/audit")
    assert page.status_code == 200 and "learner.viewed" in page.text and "1 entry" in page.text
    assert "1 entry" in client.get("/admin/audit?subject=subject@example.test").text
    assert "0 entries" in client.get("/admin/audit?subject=nobody@example.test").text
    assert "0 entries" in client.get("/admin/audit?action=learner.registered").text
    assert "0 entries" in client.get("/admin/audit?from_date=2999-01-01").text
    bad = client.get("/admin/audit?from_date=yesterday")
    assert bad.status_code == 422 and 'href="#from_date"' in bad.text


@pytest.mark.parametrize("role", [Role.LEARNER, Role.STAFF, Role.PROVIDER])
def test_only_admins_see_the_log(client, make_user, login_as, role):
    login_as(make_user(role))
    assert client.get("/admin/audit").status_code == 404


def test_entries_hold_ids_and_field_names_never_the_personal_data(app, client, make_branch, make_user, bearer):
    staff = make_user(Role.STAFF, branches=[make_branch()])
    headers = bearer(staff)
    created = client.post("/api/v1/learners", json=new_learner_body(), headers=headers).json
    client.patch(f"/api/v1/learners/{created['id']}", json={"postcode": "B33 8TH", "version": 1}, headers=headers)
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.at)).all()
    assert [row.action for row in rows] == ["learner.registered", "learner.changed"]
    text = repr([row.details for row in rows])
    for personal in ("Siobhán", "O'Brien", "M13", "B33", "1961"):
        assert personal not in text
    assert rows[1].details == {"fields": "postcode"}


def test_admins_page_through_older_entries_keeping_the_filter(app, client, make_user, login_as, entry):
    with app.app_context():
        for _ in range(60):
            audit.record("learner.viewed", entry.id, actor_id=None)
        db.session.commit()
    login_as(make_user(Role.ADMIN, email="admin@example.test"))
    first = client.get("/admin/audit?action=learner.viewed")
    assert first.status_code == 200 and "Older entries" in first.text
    older = 'href="/admin/audit?action=learner.viewed&amp;page=2"'
    assert older in first.text
    for page in ("1", "2"):
        assert client.get(f"/admin/audit?action=learner.viewed&page={page}").status_code == 200
    second = client.get("/admin/audit?action=learner.viewed&page=2")
    assert "Older entries" not in second.text  # 61 entries: 50, then 11
