"""The certificate PDF: rendered by a job, tagged (PDF/UA-1), real text in any script, embedded fonts, nothing
fetched or attached from outside, served with an ETag, and 202 while it is being prepared."""

import shutil
import subprocess
import unicodedata
import uuid

import pytest
from sqlalchemy import select

from skills_hub.accounts.models import Role
from skills_hub.certificates import pdf
from skills_hub.certificates.models import Certificate
from skills_hub.extensions import db, utcnow
from tests.conftest import pdf_text, require
from tests.test_certificates import completed  # noqa: F401 (a fixture)


def poppler(tool: str, pdf_bytes: bytes, tmp_path, *args: str) -> str:
    require(shutil.which(tool) is not None, tool, "install poppler-utils (apt install poppler-utils)")
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf_bytes)
    return subprocess.run([tool, *args, str(path)], check=True, capture_output=True, text=True).stdout


def certificate_named(name: str) -> Certificate:
    return Certificate(code="ABCDEFGHJKM0", learner_id=uuid.uuid4(), course_id=uuid.uuid4(),
                       enrolment_id=uuid.uuid4(), awarded_at=utcnow(), learner_name=name,
                       course_slug="using-email", course_title="Using email", course_version=1,
                       eds_areas=["communicating"], branch_name=None, issuer_name="Skills Hub")


def test_the_learner_downloads_a_tagged_pdf_with_an_etag(app, client, completed, drain_jobs, tmp_path):  # noqa: F811
    learner, code = completed
    drain_jobs()
    with client.session_transaction() as session:
        session["_user_id"] = learner.get_id()
    response = client.get(f"/certificates/{code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    etag = response.headers["ETag"]
    text = unicodedata.normalize("NFKC", pdf_text(response.data, tmp_path))
    assert "Nguyễn Văn An" in text and "Using email" in text and code in text
    info = poppler("pdfinfo", response.data, tmp_path)
    assert "Tagged:          yes" in info and "(A4)" in info and "841.89 x 595" in info
    assert "Title:           Certificate: Using email" in info
    again = client.get(f"/certificates/{code}.pdf", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_the_download_is_202_while_the_pdf_is_being_prepared(app, client, completed, make_user, login_as):  # noqa: F811
    learner, code = completed
    with app.app_context():
        from skills_hub.storage import StoredFile
        for stored in db.session.scalars(select(StoredFile)):
            db.session.delete(stored)
        db.session.commit()
    login_as(learner)
    response = client.get(f"/certificates/{code}.pdf")
    assert response.status_code == 202 and "being prepared" in response.text
    assert response.headers["Retry-After"] == "5"


@pytest.mark.parametrize(("name", "font"), [("Siobhán O'Brien", "NotoSans"), ("Nguyễn Văn An", "NotoSans"),
                                            ("محمد خان", "NotoNaskhArabic"), ("王秀英", "SkillsHubCJKSC")])
def test_names_in_any_script_render_with_real_glyphs(app, tmp_path, name, font):
    """Our own fonts, Chinese included (the committed subsets; tests/test_fonts.py renders more)."""
    with app.test_request_context():
        rendered = pdf.render(certificate_named(name))
    fonts = poppler("pdffonts", rendered, tmp_path)
    assert font in fonts.replace("-", ""), fonts
    text = unicodedata.normalize("NFKC", pdf_text(rendered, tmp_path))
    letters = [ch for ch in unicodedata.normalize("NFKC", name) if ch.isalpha()]
    assert all(ch in text for ch in letters), (name, text)


def test_markup_in_a_name_is_printed_as_text_and_fetches_or_attaches_nothing(app, tmp_path):
    evil = '<link rel=attachment href=file:///etc/passwd>'
    with app.test_request_context():
        rendered = pdf.render(certificate_named(evil))
    assert "link rel=attachment" in pdf_text(rendered, tmp_path)
    listing = poppler("pdfdetach", rendered, tmp_path, "-list")
    assert listing.strip().startswith("0 embedded files"), listing
    assert b"root:x:0:0" not in rendered


def test_a_missing_font_fails_the_render_loudly(app, tmp_path, monkeypatch):
    from skills_hub.pdf import MissingAsset

    html = '<html lang="en"><head><title>x</title><style>@font-face { font-family: X; src: url("fonts/none.ttf"); }' \
           'body { font-family: X; }</style></head><body><p>Hello</p></body></html>'
    from skills_hub.pdf import render_pdf
    with app.test_request_context(), pytest.raises(MissingAsset):
        render_pdf(html)


def test_staff_of_the_branch_and_admins_may_download_and_others_get_404(app, client, completed, drain_jobs,  # noqa: F811
                                                                       make_user, login_as):
    learner, code = completed
    drain_jobs()
    from skills_hub.accounts.models import Branch, User
    from skills_hub.accounts.policy import branch_ids_of
    with app.app_context():
        branch = db.session.get(Branch, branch_ids_of(db.session.get(User, learner.id))[0])
        db.session.expunge(branch)
    for user, status in [(make_user(Role.STAFF, branches=[branch]), 200), (make_user(Role.ADMIN), 200),
                         (make_user(Role.STAFF), 404), (make_user(Role.LEARNER), 404), (make_user(Role.PROVIDER), 404)]:
        login_as(user)
        assert client.get(f"/certificates/{code}.pdf").status_code == status, user.role


def test_the_render_job_works_outside_a_request_as_an_rq_worker_runs_it(app, tmp_path):
    """Workers have an app context but no request: the template must still render."""
    with app.app_context():
        rendered = pdf.render(certificate_named("Grace Mensah"))
    assert "Grace Mensah" in pdf_text(rendered, tmp_path)


def test_staff_print_a_pack_of_their_librarys_certificates(app, client, completed, make_user, login_as,  # noqa: F811
                                                           tmp_path):
    learner, code = completed
    from skills_hub.accounts.models import Branch, User
    from skills_hub.accounts.policy import branch_ids_of
    with app.app_context():
        branch = db.session.get(Branch, branch_ids_of(db.session.get(User, learner.id))[0])
        db.session.expunge(branch)
    login_as(make_user(Role.STAFF, branches=[branch]))
    today = utcnow().date().isoformat()
    pack = client.get(f"/staff/certificates?from_date={today}&to_date={today}")
    assert pack.status_code == 200 and pack.mimetype == "application/pdf"
    text = unicodedata.normalize("NFKC", pdf_text(pack.data, tmp_path))
    assert code in text and "Nguyễn Văn An" in text
    empty = client.get("/staff/certificates?from_date=2020-01-01&to_date=2020-01-31")
    assert empty.status_code == 422 and "No certificates were issued" in empty.text
    bad = client.get("/staff/certificates?from_date=yesterday&to_date=2020-01-31")
    assert bad.status_code == 422 and 'href="#from_date"' in bad.text
    login_as(make_user(Role.STAFF))
    assert client.get(f"/staff/certificates?from_date={today}&to_date={today}").status_code == 422, \
        "another library's staff find none of them"


def fail_the_render(app, error: str) -> None:
    """As if every try at the PDF failed with `error`: nothing stored, the render job failed."""
    from skills_hub.jobs.models import Job, JobStatus
    from skills_hub.storage import StoredFile

    with app.app_context():
        for stored in db.session.scalars(select(StoredFile)):
            db.session.delete(stored)
        job = db.session.scalars(select(Job).where(Job.kind == pdf.RENDER_JOB)).one()
        job.status, job.last_error = JobStatus.FAILED, error
        db.session.commit()


def test_staff_see_certificates_whose_pdf_failed_after_every_retry(app, client, completed, make_user,  # noqa: F811
                                                                  login_as):
    from skills_hub.accounts.models import Branch, User
    from skills_hub.accounts.policy import branch_ids_of
    from skills_hub.jobs.models import Job

    learner, code = completed
    fail_the_render(app, "RuntimeError: the printer is on fire")
    with app.app_context():
        branch = db.session.get(Branch, branch_ids_of(db.session.get(User, learner.id))[0])
        db.session.expunge(branch)
    login_as(make_user(Role.STAFF, branches=[branch]))
    page = client.get("/staff").text
    assert "Certificates that could not be prepared" in page and code in page
    assert "printer is on fire" not in page  # a technical error is for admins
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.kind == pdf.RENDER_JOB)).one()
        job.last_error = "MissingGlyph: No font for 𠀀 (U+20000) on this server. An admin can add one."
        db.session.commit()
    assert "No font for 𠀀 (U+20000) on this server. An admin can add one." in client.get("/staff").text
    login_as(make_user(Role.STAFF))
    assert "Certificates that could not be prepared" not in client.get("/staff").text


def test_a_revoked_certificates_pdf_goes_to_no_one_and_a_replaced_ones_points_to_the_new(
        app, client, completed, drain_jobs, make_user, bearer, login_as):  # noqa: F811
    learner, code = completed
    drain_jobs()
    admin = make_user(Role.ADMIN)
    login_as(learner)
    assert client.get(f"/certificates/{code}.pdf").status_code == 200
    assert client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "Issued by mistake"},
                       headers=bearer(admin)).status_code == 200
    for viewer in (learner, admin):
        login_as(viewer)
        gone = client.get(f"/certificates/{code}.pdf")
        assert gone.status_code == 410 and gone.mimetype == "text/html", viewer.role
        assert "This certificate was taken back" in gone.text and "ask library staff" in gone.text
    assert client.post(f"/api/v1/certificates/{code}/reinstate", json={"reason": "Right after all"},
                       headers=bearer(admin)).status_code == 200
    new = client.post(f"/api/v1/certificates/{code}/reissue", json={"reason": "Name change"},
                      headers=bearer(admin)).json["code"]
    drain_jobs()
    login_as(learner)
    replaced = client.get(f"/certificates/{code}.pdf")
    assert replaced.status_code == 410 and "This certificate was replaced" in replaced.text
    assert f'href="/certificates/{new}.pdf"' in replaced.text
    assert client.get(f"/certificates/{new}.pdf").status_code == 200


def test_a_certificate_that_cannot_be_printed_still_gets_its_badge_and_says_so_plainly(
        app, client, completed, make_user, bearer, login_as):  # noqa: F811
    """A name no font has (U+10FFFD, private use): the render job fails at once, but the credential it signed
    first is kept; the PDF link answers 409 in plain words instead of "being prepared" for ever."""
    from skills_hub.jobs import services as jobs
    from skills_hub.jobs.models import Job, JobStatus
    from skills_hub.storage import StoredFile

    learner, code = completed
    with app.app_context():
        for stored in db.session.scalars(select(StoredFile)):
            db.session.delete(stored)
        certificate = db.session.scalars(select(Certificate)).one()
        certificate.learner_name = "Ana \U0010FFFD Silva"
        job = jobs.enqueue(pdf.RENDER_JOB, {"certificate_id": str(certificate.id)})
        job_id = job.id
        db.session.commit()
        jobs.run_job(job_id)
        job = db.session.get(Job, job_id)
        assert job.status == JobStatus.FAILED and job.last_error.startswith("MissingGlyph: ")
        assert db.session.get(StoredFile, pdf.credential_key(certificate)) is not None, "the badge was kept"
        assert db.session.get(StoredFile, pdf.storage_key(certificate)) is None
    login_as(learner)
    page = client.get(f"/certificates/{code}.pdf")
    assert page.status_code == 409 and "We cannot print" in page.text and "Library staff have been told." in page.text
    assert "U+10FFFD" in page.text and "Library staff have been told." in page.text
    assert "Ana" not in page.text
    mine = client.get("/my-learning").text
    assert "Can't be printed yet — ask library staff" in mine
    assert f"/certificates/{code}.pdf" not in mine and f"/api/v1/certificates/{code}/credential" in mine
    headers = bearer(learner)
    badge = client.get(f"/api/v1/certificates/{code}/credential", headers=headers)
    assert badge.status_code == 200 and badge.mimetype == "application/vc+ld+json"
    about = client.get(f"/api/v1/certificates/{code}", headers=headers).json
    assert about["pdf_status"] == "cannot be printed" and "U+10FFFD" in about["pdf_problem"]
    admin = make_user(Role.ADMIN)
    login_as(admin)
    assert "Can't be printed yet — ask library staff" in client.get(f"/staff/residents/{learner.id}").text
    dashboard = client.get("/admin").text
    assert f'href="/admin/certificates/{code}"' in dashboard and "Silva" not in dashboard


def test_a_credential_never_signed_because_the_pdf_failed_is_signed_when_asked(
        app, client, completed, bearer):  # noqa: F811
    """Certificates that failed before the credential was kept: asking for the badge signs it then."""
    learner, code = completed
    fail_the_render(app, "MissingGlyph: No font for 𠀀 (U+20000) on this server.")
    headers = bearer(learner)
    assert client.get(f"/api/v1/certificates/{code}/credential", headers=headers).status_code == 200
    assert client.get(f"/api/v1/certificates/{code}", headers=headers).json["pdf_status"] == "cannot be printed"
