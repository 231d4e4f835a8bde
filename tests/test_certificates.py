"""Certificates: frozen at issue, checked publicly by code (typos named), revoked and reinstated by admins,
and a learner may hide their name from the public page."""

import pytest
from sqlalchemy import select

from skills_hub import codes
from skills_hub.accounts.models import Role, User
from skills_hub.certificates.models import Certificate, CertificateEvent
from skills_hub.courses import services as courses
from skills_hub.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.test_accounts import sign_in

COURSE = "using-email"


def complete_the_course(app, client, headers: dict, *, helped_with_the_first_lesson: bool = False) -> None:
    """Enrol, finish every lesson and pass the check of COURSE through the API, as the resident whose headers these
    are."""
    with app.app_context():
        course = courses.get_course(COURSE)
        lessons = [lesson.slug for lesson in course.current_lessons]
        answers = {q["id"]: next(c["id"] for c in q["choices"] if c.get("correct"))
                   for q in course.knowledge_check["questions"]}
    client.post("/api/v1/enrolments", json={"course": COURSE}, headers=headers)
    for n, slug in enumerate(lessons):
        client.post("/api/v1/progress", json={"event_id": f"00000000-0000-4000-8000-{n:012d}", "course": COURSE,
                                              "lesson": slug, "assisted": helped_with_the_first_lesson and n == 0},
                    headers=headers)
    client.post(f"/api/v1/courses/{COURSE}/check", json={"answers": answers}, headers=headers)


@pytest.fixture
def completed(app, client, catalogue, make_branch, make_user, bearer):
    """A learner who completed a course with a helper's help; returns (learner, grouped code)."""
    learner = make_user(Role.LEARNER, email="l@example.test", given_name="Nguyễn", family_name="Văn An",
                        branches=[make_branch("Central Library")])
    headers = bearer(learner)
    complete_the_course(app, client, headers, helped_with_the_first_lesson=True)
    [item] = client.get("/api/v1/me/enrolments", headers=headers).json["items"]
    return learner, item["certificate_code"]


def test_a_certificate_is_frozen_at_issue(app, completed):
    learner, code = completed
    with app.app_context():
        certificate = db.session.scalars(select(Certificate)).one()
        assert (certificate.learner_name, certificate.course_title, certificate.course_slug) == \
            ("Nguyễn Văn An", "Using email", COURSE)
        assert certificate.course_version == 1 and set(certificate.eds_areas) == {"communicating",
                                                                                  "being-safe-online"}
        assert certificate.branch_name == "Central Library", "a helper was there, so the branch is named"
        assert codes.has_valid_check(certificate.code) and codes.grouped(certificate.code) == code
        user = db.session.get(User, learner.id)
        user.given_name = "Changed"
        db.session.commit()
        assert db.session.get(Certificate, certificate.id).learner_name == "Nguyễn Văn An"
        [event] = db.session.scalars(select(CertificateEvent)).all()
        assert event.kind == "issued"


def test_anyone_checks_a_certificate_by_its_code_in_any_case_and_spacing(client, completed):
    _, code = completed
    for typed in (code, code.lower(), code.replace("-", " "), code.replace("0", "O").replace("1", "l")):
        page = client.get(f"/verify/{typed}")
        assert page.status_code == 200 and "This certificate is genuine and valid." in page.text, typed
        assert "Nguyễn Văn An" in page.text and "Using email" in page.text
    api = client.get(f"/api/v1/verify/{code}").json
    assert api["status"] == "valid" and api["learner_name"] == "Nguyễn Văn An" and api["code"] == code
    assert set(api) >= {"code", "status", "learner_name", "course_title", "awarded_at", "issuer"}
    assert "l@example.test" not in client.get(f"/verify/{code}").text, "no other personal data"


def test_a_mistyped_code_says_so_and_an_unknown_one_is_404(client, completed):
    _, code = completed
    normal = codes.normalise(code)
    typo = normal[:5] + ("A" if normal[5] != "A" else "B") + normal[6:]
    page = client.get(f"/verify/{typo}")
    assert page.status_code == 422 and "probably mistyped" in page.text and 'href="#code"' in page.text
    api = client.get(f"/api/v1/verify/{typo}")
    assert api.status_code == 422 and "mistyped" in api.json["detail"]
    unknown = codes.generate(12)
    assert client.get(f"/api/v1/verify/{unknown}").status_code == 404
    assert "no certificate with this code" in client.get(f"/verify/{unknown}").text
    assert client.get("/verify/short").status_code == 422
    assert client.get(f"/verify?code={code.lower()}").headers["Location"].endswith(f"/verify/{code.lower()}")


def test_an_admin_revokes_and_the_verify_page_says_so_then_reinstates(app, client, completed, make_user, bearer):
    _, code = completed
    admin = bearer(make_user(Role.ADMIN))
    no_reason = client.post(f"/api/v1/certificates/{code}/revoke", json={}, headers=admin)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    revoked = client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "Issued by mistake"},
                          headers=admin)
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    page = client.get(f"/verify/{code}").text
    assert "This certificate is not valid" in page and "It was revoked (taken back) on" in page
    assert "Issued by mistake" in page and 'class="result-panel result-invalid" role="alert"' in page
    api = client.get(f"/api/v1/verify/{code}").json
    assert api["status"] == "revoked" and api["revocation_reason"] == "Issued by mistake" and api["revoked_at"]
    assert client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "again"},
                       headers=admin).status_code == 409
    assert client.post(f"/api/v1/certificates/{code}/reinstate", json={"reason": "It was right after all"},
                       headers=admin).json["status"] == "valid"
    with app.app_context():
        kinds = [e.kind for e in db.session.scalars(select(CertificateEvent).order_by(CertificateEvent.at))]
    assert kinds == ["issued", "revoked", "reinstated"]


def test_an_admin_revokes_from_a_page_with_a_reason(client, completed, make_user, login_as):
    _, code = completed
    login_as(make_user(Role.ADMIN))
    page = client.get(f"/admin/certificates/{code}")
    assert page.status_code == 200
    missing = client.post(f"/admin/certificates/{code}", data={"csrf_token": csrf_token_from(page.text),
                                                               "action": "revoke"})
    assert missing.status_code == 422 and 'href="#reason"' in missing.text
    client.post(f"/admin/certificates/{code}", data={"csrf_token": csrf_token_from(page.text), "action": "revoke",
                                                     "reason": "Issued by mistake"})
    assert "was revoked (taken back)" in client.get(f"/verify/{code}").text


def test_a_learner_hides_their_name_from_the_public_page(app, client, completed):
    _, code = completed
    sign_in(client, method="email", email="l@example.test", password=TEST_PASSWORD)
    page = client.get("/my-learning").text
    assert "Hide my name on the check page" in page
    client.post(f"/certificates/{code}/name", data={"csrf_token": csrf_token_from(page), "hide_name": "yes"})
    public = app.test_client()
    assert "Nguyễn" not in public.get(f"/verify/{code}").text
    assert public.get(f"/api/v1/verify/{code}").json["learner_name"] is None
    assert "Show my name on the check page" in client.get("/my-learning").text


def test_certificates_are_listed_for_their_learner_and_their_staff_only(client, completed, make_user, bearer):
    learner, code = completed
    mine = client.get("/api/v1/certificates", headers=bearer(learner)).json
    assert mine["total"] == 1 and mine["items"][0]["code"] == code
    assert mine["items"][0]["verify_url"].endswith(f"/verify/{code}")
    outsider = bearer(make_user(Role.STAFF))
    assert client.get(f"/api/v1/certificates?learner_id={learner.id}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/certificates/{code}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/certificates/{code}", headers=bearer(make_user(Role.ADMIN))).status_code == 200


def test_verification_is_rate_limited(database_url, tmp_path, completed):
    from skills_hub.extensions import limiter
    from tests.conftest import make_test_app

    app = make_test_app(database_url, tmp_path)
    client = app.test_client()
    _, code = completed
    with app.app_context():
        limiter.reset()  # start from no counts: earlier tests checked codes from the same address
    try:
        statuses = [client.get(f"/api/v1/verify/{code}").status_code for _ in range(61)]
    finally:
        with app.app_context():
            limiter.reset()  # the limiter is one object per process: leave no counts for later tests
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


def test_flask_certificates_revoke(app, client, completed):
    _, code = completed
    runner = app.test_cli_runner()
    assert runner.invoke(args=["certificates", "revoke", code]).exit_code == 2, "--reason is required"
    done = runner.invoke(args=["certificates", "revoke", code.lower(), "--reason", "Issued by mistake"])
    assert done.exit_code == 0, done.output
    assert client.get(f"/api/v1/verify/{code}").json["status"] == "revoked"
    again = runner.invoke(args=["certificates", "revoke", code, "--reason", "again"])
    assert again.exit_code == 1 and "Only a valid certificate" in again.output
    typo = runner.invoke(args=["certificates", "revoke", "ABCD", "--reason", "x"])
    assert typo.exit_code == 1 and "12 letters" in typo.output


def test_a_reissue_after_a_name_change_supersedes_the_old_certificate(app, client, completed, make_user, bearer):
    learner, code = completed
    with app.app_context():
        user = db.session.get(User, learner.id)
        user.family_name = "Văn Bình"
        db.session.commit()
        awarded = db.session.scalars(select(Certificate)).one().awarded_at
    admin = bearer(make_user(Role.ADMIN))
    response = client.post(f"/api/v1/certificates/{code}/reissue", json={"reason": "Name changed"}, headers=admin)
    assert response.status_code == 201 and response.json["code"] != code
    new_code = response.json["code"]
    old = client.get(f"/api/v1/verify/{code}").json
    assert old["status"] == "superseded" and old["superseded_by"] == new_code
    page = client.get(f"/verify/{code}").text
    assert "replaced by a newer one" in page and f"/verify/{new_code}" in page
    new = client.get(f"/api/v1/verify/{new_code}").json
    assert new["status"] == "valid" and new["learner_name"] == "Nguyễn Văn Bình"
    with app.app_context():
        rows = db.session.scalars(select(Certificate).order_by(Certificate.awarded_at)).all()
        assert [c.status for c in rows].count("valid") == 1 and all(c.awarded_at == awarded for c in rows)
        kinds = sorted(e.kind for e in db.session.scalars(select(CertificateEvent)))
    assert kinds == ["issued", "reissued", "superseded"]
    again = client.post(f"/api/v1/certificates/{code}/reissue", json={"reason": "again"}, headers=admin)
    assert again.status_code == 409


def test_the_learner_gets_an_email_when_a_certificate_is_issued(app, completed, drain_jobs):
    from tests.test_registration import emails

    _, code = completed
    drain_jobs()
    [mail] = [m for m in emails(app) if "certificate" in m]
    assert "To: l@example.test" in mail and code in mail and "/my-learning" in mail


def test_render_missing_queues_what_has_no_pdf(app, completed, drain_jobs):
    from skills_hub.storage import StoredFile

    drain_jobs()
    runner = app.test_cli_runner()
    assert "Queued 0 certificate renders." in runner.invoke(args=["certificates", "render-missing"]).output
    with app.app_context():
        for stored in db.session.scalars(select(StoredFile)):
            db.session.delete(stored)
        db.session.commit()
    assert "Queued 1 certificate render." in runner.invoke(args=["certificates", "render-missing"]).output


def test_an_admin_issues_a_certificate_for_a_paper_completion(app, client, catalogue, make_user, login_as):
    learner = make_user(Role.LEARNER, email=None, learner_number="DEM0001D", pin="246810")
    login_as(make_user(Role.ADMIN))
    page = client.get("/admin/certificates")
    form = {"csrf_token": csrf_token_from(page.text), "learner_number": "dem0-001d", "course": COURSE,
            "completed_on": "2026-11-01"}
    no_reason = client.post("/admin/certificates", data=form)
    assert no_reason.status_code == 422 and 'href="#reason"' in no_reason.text
    future = client.post("/admin/certificates", data={**form, "completed_on": "2999-01-01", "reason": "Paper"})
    assert future.status_code == 422 and "future" in future.text
    done = client.post("/admin/certificates", data={**form, "reason": "Paper form from the outreach session"})
    assert done.status_code == 302
    with app.app_context():
        certificate = db.session.scalars(select(Certificate)).one()
        assert certificate.learner_id == learner.id and certificate.awarded_at.date().isoformat() == "2026-11-01"
        event = db.session.scalars(select(CertificateEvent)).one()
        assert event.reason == "Paper form from the outreach session" and event.actor_id is not None
    again = client.post("/admin/certificates", data={**form, "reason": "Again"})
    assert again.status_code == 422 and "already completed" in again.text
