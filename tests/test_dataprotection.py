"""Data protection: the subject-access export holds every personal column; erasure anonymises without changing
the figures; deletion requests; retention."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from skills_hub import models, residents
from skills_hub.accounts.lifecycle import age_band
from skills_hub.accounts.models import BranchMember, Role, User
from skills_hub.audit.models import AuditEvent
from skills_hub.certificates.models import Certificate
from skills_hub.dataprotection import services
from skills_hub.dataprotection.models import DeletionRequest
from skills_hub.extensions import db
from skills_hub.learning.models import CheckAttempt, SkillsCheck
from skills_hub.referrals.models import Referral
from tests.conftest import csrf_token_from, new_learner_body, synced_twin


def _personal_columns() -> dict[str, list[str]]:
    models.import_models()
    found = {}
    for table in db.metadata.sorted_tables:
        columns = [column.name for column in table.columns if column.info.get("personal")]
        if columns:
            found[table.name] = columns
    return found


@pytest.fixture
def everything(app, client, bearer, make_branch, staff_in, make_user, make_service, make_referral, catalogue):
    """A resident with something in every table that can hold personal data about them."""
    from skills_hub.certificates.services import issue
    from skills_hub.courses.services import get_course
    from skills_hub.learning import services as learning
    from skills_hub.referrals import services as referrals

    branch = make_branch("Central")
    staff = staff_in(branch)
    body = new_learner_body(given_name="Siobhán", family_name="O'Brien", date_of_birth="1961-07-09",
                            postcode="M13 9PL", phone="07700 900123", preferred_language="ga")
    body.pop("branch_id", None)
    synced = client.post("/api/v1/sync", headers=bearer(staff), json={"device_id": "d", "operations": [
        {"op_id": str(uuid.uuid4()), "type": "create_learner", "recorded_at": "2026-11-28T10:00:00+00:00",
         "payload": body}]}).json["results"][0]
    learner_id = uuid.UUID(synced["ref"])
    with app.app_context():
        learner = db.session.get(User, learner_id)
        learner.email = "siobhan@example.test"
        course = get_course("getting-started")
        enrolment, _ = learning.enrol(learner, course)
        learning.lesson_done(learner.id, course.current_lessons[0], assisted=True)
        db.session.add(CheckAttempt(learner_id=learner.id, course_id=course.id, answers={"q1": "a"}, score=80,
                                    correct_count=4, question_count=5, passed=True, course_content_hash="x"))
        db.session.add(SkillsCheck(learner_id=learner.id, answers={"s1": 2}))
        issue(learner=learner, course=course, enrolment_id=enrolment.id, awarded_at=datetime.now(UTC),
              assisted=True)
        db.session.commit()
    service = make_service()
    provider = make_user(Role.PROVIDER, organisation_id=service.organisation_id, email="p@provider.test")
    open_referral = make_referral(staff, db_user(app, learner_id), service)
    closed = make_referral(staff, db_user(app, learner_id), make_service(organisation_id=service.organisation_id))
    with app.test_request_context():
        row = db.session.get(Referral, closed.id)
        referrals.transition(db.session.get(User, provider.id), row, "declined", 1, "other", "Lives too far away")
        db.session.commit()
    return {"learner_id": learner_id, "staff": staff, "branch": branch, "provider": provider,
            "open_referral": open_referral, "closed_referral": closed}


def db_user(app, user_id) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def test_the_export_holds_every_column_marked_personal(app, everything):
    personal = _personal_columns()
    assert len(personal) >= 7  # users, referrals, referral events, certificates, sync, checks, skills checks
    with app.app_context():
        learner = db.session.get(User, everything["learner_id"])
        export = residents.Export(learner)
        residents.learner_exporting.send(learner, export=export)
        data = services.export_data(learner)
    exported_tables = {section.model.__tablename__: section.name for section in export.sections}
    for table, columns in personal.items():
        if table == "one_time_links":
            continue  # the fixture's resident has no sign-in link waiting
        assert table in exported_tables, f"{table} holds personal data but is not exported"
        rows = data[exported_tables[table]]
        assert rows, f"no {table} rows in the export although the fixture made some"
        for column in columns:
            assert all(column in row for row in rows), f"{table}.{column} is missing from the export"
    assert data["account"][0]["given_name"] == "Siobhán" and data["account"][0]["date_of_birth"] == "1961-07-09"
    assert {r["need"] for r in data["referrals"]} == {"Wants to use a smartphone, in Urdu."}
    assert any(r["reason"] == "Lives too far away" for r in data["referral_events"])
    assert data["offline_records"][0]["payload"]["family_name"] == "O'Brien"
    assert "password_hash" not in data["account"][0] and "pin_hash" not in data["account"][0]


def test_the_download_is_a_zip_of_json_and_csv_for_the_resident_their_staff_and_admins(
        app, client, login_as, everything, make_user, make_branch, staff_in):
    learner = db_user(app, everything["learner_id"])
    login_as(learner)
    response = client.get("/account/data.zip")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"README.txt", "data.json", "account.csv", "referrals.csv", "audit.csv"} <= names
    assert {"account", "consents", "enrolments", "progress", "attempts", "certificates", "referrals", "attendance",
            "audit"} <= set(json.loads(archive.read("data.json")))
    assert json.loads(archive.read("data.json"))["account"][0]["email"] == "siobhan@example.test"
    assert "O'Brien" in archive.read("account.csv").decode("utf-8-sig")
    login_as(everything["staff"])
    assert client.get(f"/staff/residents/{learner.id}/data.zip").status_code == 200
    login_as(staff_in(make_branch("Elsewhere")))
    assert client.get(f"/staff/residents/{learner.id}/data.zip").status_code == 404
    login_as(make_user(Role.PROVIDER))
    assert client.get(f"/staff/residents/{learner.id}/data.zip").status_code == 404


def test_erasure_anonymises_and_leaves_every_figure_but_open_referrals_unchanged(app, client, bearer, everything,
                                                                               make_user, drain_jobs):
    admin = make_user(Role.ADMIN)
    period = "from=2026-01-01&to=2027-12-31"
    before = client.get(f"/api/v1/reports/summary?{period}", headers=bearer(admin)).json
    with app.app_context():
        certificate_code = db.session.scalar(select(Certificate.code).where(
            Certificate.learner_id == everything["learner_id"]))
        erased = services.erase(db.session.get(User, admin.id), db.session.get(User, everything["learner_id"]),
                                "Asked in person")
        db.session.commit()
        assert erased.referrals_withdrawn == 1
    after = client.get(f"/api/v1/reports/summary?{period}", headers=bearer(admin)).json
    for section in ("by_month", "by_branch", "by_district", "by_eds_area"):
        assert after["breakdowns"][section] == before["breakdowns"][section], section
    assert after["totals"] == before["totals"]
    statuses = {row["key"] for row in after["breakdowns"]["referrals_by_status"]}
    assert "submitted" not in statuses and "withdrawn" in statuses
    with app.app_context():
        learner = db.session.get(User, everything["learner_id"])
        assert (learner.given_name, learner.email, learner.phone, learner.date_of_birth) == ("Erased", None,
                                                                                           None, None)
        assert learner.family_name == f"resident {erased.reference}" and learner.postcode == "M13"
        assert learner.age_band == "65+" and not learner.active and learner.learner_number is None
        data = services.export_data(learner)
        for section, rows in data.items():
            text = json.dumps(rows, ensure_ascii=False)
            for secret in ("Siobhán", "O'Brien", "07700", "siobhan@example.test", "1961-07-09", "9PL",
                           "Wants to use a smartphone", "Lives too far away"):
                assert secret not in text, (section, secret)
    login_admin = client.get  # the PDF and the credential are gone with the certificate
    with client.session_transaction() as session:
        session["_user_id"] = admin.get_id()
    assert login_admin(f"/certificates/{certificate_code}.pdf").status_code == 410
    with client.session_transaction() as session:
        session.clear()
    assert client.get(f"/api/v1/certificates/{certificate_code}/credential",
                      headers=bearer(admin)).status_code == 410
    verify = client.get(f"/api/v1/verify/{certificate_code}").json
    assert verify["status"] == "withdrawn" and verify["learner_name"] is None
    assert "withdrawn at the holder's request" in client.get(f"/verify/{certificate_code}").get_data(as_text=True)
    drain_jobs()
    mail = [p.read_text() for p in app.config["MAIL_DIR"].glob("*.eml")]
    assert any("p@provider.test" in m and "has been withdrawn" in m for m in mail)
    signed_in = client.post("/api/v1/tokens", json={"username": "siobhan@example.test", "password": "x"})
    assert signed_in.status_code == 401


def test_erasing_twice_changes_nothing_more(app, everything, make_user):
    with app.app_context():
        admin, learner = db.session.get(User, make_user(Role.ADMIN).id), db.session.get(User,
                                                                                       everything["learner_id"])
        first = services.erase(admin, learner, "Asked")
        db.session.commit()
        second = services.erase(admin, learner, "Asked again")
        assert second.reference == first.reference and second.referrals_withdrawn == 0


def test_a_resident_asks_and_an_admin_erases(app, client, login_as, everything, make_user):
    learner = db_user(app, everything["learner_id"])
    login_as(learner)
    page = client.get("/account/delete")
    assert client.post("/account/delete", data={"csrf_token": csrf_token_from(page.text)}).status_code == 303
    assert "You asked us to delete your account" in client.get("/account/delete").get_data(as_text=True)
    admin = make_user(Role.ADMIN)
    login_as(admin)
    page = client.get("/admin/deletions")
    assert "Siobhán O&#39;Brien" in page.get_data(as_text=True)
    with app.app_context():
        request_id = db.session.scalar(select(DeletionRequest.id))
    refused = client.post(f"/admin/deletions/{request_id}", data={"csrf_token": csrf_token_from(page.text),
                                                                  "action": "refuse"})
    assert refused.status_code == 303
    with app.app_context():
        assert db.session.get(DeletionRequest, request_id).status == "pending"  # refusing needs a reason
    erased = client.post(f"/admin/deletions/{request_id}", data={"csrf_token": csrf_token_from(page.text),
                                                                 "action": "erase"})
    assert erased.status_code == 303
    with app.app_context():
        request = db.session.get(DeletionRequest, request_id)
        assert (request.status, request.decided_by_id) == ("erased", admin.id)
        assert db.session.get(User, everything["learner_id"]).erased_at is not None


def test_retention_clears_old_referral_details_and_erases_inactive_accounts_once(app, everything, make_user):
    with app.app_context():
        closed = db.session.get(Referral, everything["closed_referral"].id)
        closed.closed_at = datetime.now(UTC) - timedelta(days=400)
        sleeper = db.session.get(User, make_user(Role.LEARNER, given_name="Old", family_name="Account").id)
        sleeper.created_at = datetime.now(UTC) - timedelta(days=4 * 365)
        db.session.commit()
        first = services.apply_retention()
        db.session.commit()
        assert (first.referrals_cleared, first.accounts_erased) == (1, 1)
        assert db.session.get(Referral, closed.id).need == "[erased]"
        assert db.session.get(Referral, everything["open_referral"].id).need != "[erased]"
        assert db.session.get(User, sleeper.id).erased_at is not None
        assert db.session.get(User, everything["learner_id"]).erased_at is None  # active this year
        second = services.apply_retention()
        db.session.commit()
        assert (second.referrals_cleared, second.accounts_erased) == (0, 0)
        erased_by = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "learner.erased",
                                                               AuditEvent.subject_id == sleeper.id))
        assert erased_by.actor_id is None and erased_by.details["by"] == "the retention job"


def test_retention_runs_from_the_command_line(app):
    result = app.test_cli_runner().invoke(args=["data", "retention"])
    assert result.exit_code == 0 and "Referrals cleared: 0" in result.output


def test_age_bands():
    today = date(2026, 11, 28)
    assert [age_band(date(y, 11, 29), today) for y in (2011, 2002, 1977, 1962, 1940)] == [
        "under 16", "16-24", "25-49", "50-64", "65+"]
    assert age_band(None, today) == "unknown"


def test_nothing_more_is_added_to_an_erased_record_and_its_duplicate_review_closes(app, client, bearer,
                                                                                   everything, make_user,
                                                                                   make_branch, staff_in):
    from skills_hub.outreach.models import SuspectedDuplicate

    with app.app_context():
        learner = db.session.get(User, everything["learner_id"])
        db.session.add(SuspectedDuplicate(learner_id=learner.id, candidate_ids=[], source="sync",
                                          created_by_id=everything["staff"].id))
        services.erase(None, learner, "Asked")
        db.session.commit()
        assert db.session.scalar(select(SuspectedDuplicate.status)) == "erased"
    response = client.post("/api/v1/enrolments", json={"course": "using-email",
                                                       "learner_id": str(everything["learner_id"])},
                           headers=bearer(make_user(Role.ADMIN)))
    assert response.status_code == 409 and "erased" in response.json["detail"]
    other_branch = make_branch("Elsewhere")
    linked = client.post(f"/api/v1/learners/{everything['learner_id']}/branches",
                         json={"branch_id": str(other_branch.id)}, headers=bearer(staff_in(other_branch)))
    assert linked.status_code == 409 and "erased" in linked.json["detail"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BranchMember).where(
            BranchMember.user_id == everything["learner_id"], BranchMember.branch_id == other_branch.id)) == 0


def test_the_api_exports_and_erases_as_api_md_says(app, client, bearer, everything, make_user):
    learner_id = everything["learner_id"]
    export = client.get(f"/api/v1/learners/{learner_id}/export", headers=bearer(everything["staff"]))
    assert export.status_code == 200 and export.headers["Content-Type"] == "application/zip"
    data = json.loads(zipfile.ZipFile(io.BytesIO(export.data)).read("data.json"))
    assert {"account", "consents", "enrolments", "progress", "attempts", "certificates", "referrals",
            "attendance", "audit"} <= set(data)
    assert client.post(f"/api/v1/learners/{learner_id}/erase", json={},
                       headers=bearer(everything["staff"])).status_code == 403
    admin = bearer(make_user(Role.ADMIN))
    assert client.post(f"/api/v1/learners/{learner_id}/erase", json={"reason": ""}, headers=admin).status_code == 422
    erased = client.post(f"/api/v1/learners/{learner_id}/erase", json={"reason": "Asked"}, headers=admin)
    assert erased.status_code == 200
    assert erased.json["learner_id"] == str(learner_id) and erased.json["referrals_withdrawn"] == 1
    assert erased.json["providers_notified"] == 1 and erased.json["certificates_withdrawn"] == 1
    assert "date_of_birth" in erased.json["anonymised_fields"]
    again = client.post(f"/api/v1/learners/{learner_id}/erase", headers=admin)
    assert again.status_code == 200 and again.json["referrals_withdrawn"] == 0


def test_erasure_reaches_records_merged_into_the_resident(app, client, bearer, everything, make_user):
    from skills_hub.outreach.duplicates import merge

    twin_id = synced_twin(client, bearer(everything["staff"]))
    with app.app_context():
        kept = db.session.get(User, everything["learner_id"])
        merge(db.session.get(User, twin_id), kept)
        db.session.commit()
        exported = services.export_data(kept)
        assert len(exported["account"]) == 2 and len(exported["offline_records"]) == 2
        services.erase(None, kept, "Asked")
        db.session.commit()
        text = json.dumps(services.export_data(db.session.get(User, everything["learner_id"])), default=str)
        for secret in ("Siobhan", "OBrien", "07700 933444", "1961-07-09"):
            assert secret not in text


def test_erasure_forgets_at_once_a_sheet_waiting_for_its_dry_run_that_names_the_resident(
        app, client, bearer, make_user, make_branch, staff_in):
    from skills_hub.imports.models import LearnerImport

    branch = make_branch("Central")
    staff = staff_in(branch)
    learner = make_user(Role.LEARNER, given_name="Siobhán", family_name="O'Brien", branches=[branch],
                        date_of_birth=date(1961, 4, 12), postcode="M13 9PL")
    header = "First name,Family name,Date of birth,Postcode,Email,Phone,Preferred language\n"
    made = {}
    for name, row in (("naming", "Siobhan,O'Brien,12/04/1961,M13 9PL,,,\nGrace,Mensah,01/02/1970,M1 1AA,,,\n"),
                      ("other", "Grace,Mensah,01/02/1970,M1 1AA,,,\n")):
        response = client.post("/api/v1/imports/learners?dry_run=true&consent_notice_version=2026-11"
                               "&consent_method=paper", headers=bearer(staff), content_type="text/csv",
                               data=(header + row).encode())
        assert response.status_code == 200, response.json
        made[name] = uuid.UUID(response.json["import_id"])
    erased = client.post(f"/api/v1/learners/{learner.id}/erase", headers=bearer(make_user(Role.ADMIN)))
    assert erased.status_code == 200 and "sign_up_sheets_waiting" in erased.json["anonymised_fields"]
    with app.app_context():
        assert db.session.get(LearnerImport, made["naming"]).raw is None
        assert db.session.get(LearnerImport, made["other"]).raw is not None
