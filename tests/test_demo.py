"""Demo data: loaded once, every role can sign in, never in production."""

from datetime import UTC, datetime

from sqlalchemy import distinct, func, select

from skills_hub import create_app
from skills_hub.accounts.models import Branch, BranchMember, Role, User
from skills_hub.certificates.models import Certificate, CertificateEvent
from skills_hub.certificates.pdf import RENDER_JOB
from skills_hub.courses.models import Course
from skills_hub.demo import DEMO_BRANCH, DEMO_LEARNER_NUMBER, DEMO_PASSWORD, DEMO_PIN, DEMO_USERS
from skills_hub.extensions import db
from skills_hub.jobs.models import Job
from skills_hub.learning.models import CheckAttempt, Enrolment, LessonProgress, SkillsCheck
from skills_hub.outreach.models import Attendance
from skills_hub.reports import services as reports
from tests.conftest import csrf_token_from


def test_demo_load_is_idempotent_and_prints_the_sign_ins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and "Demo data loaded." in first.output
    for email, *_ in DEMO_USERS:
        assert email in first.output
    assert "DEM0-001D" in first.output and DEMO_PIN in first.output
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
    second = runner.invoke(args=["demo", "load"])
    assert "already loaded" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == count == 7


def test_every_demo_sign_in_works(app, client):
    app.test_cli_runner().invoke(args=["demo", "load"])
    for email, *_ in DEMO_USERS:
        token = csrf_token_from(client.get("/sign-in").text)
        response = client.post("/sign-in", data={"csrf_token": token, "method": "email", "email": email,
                                                 "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        client.post("/sign-out", data={"csrf_token": csrf_token_from(client.get("/account").text)})
    token = csrf_token_from(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"csrf_token": token, "method": "pin",
                                             "learner_number": DEMO_LEARNER_NUMBER, "pin": DEMO_PIN})
    assert response.status_code == 302


def test_production_refuses_to_load_demo_data():
    app = create_app(env={"SKILLS_HUB_ENV": "production", "SKILLS_HUB_SECRET_KEY": "k" * 32,
                          "SKILLS_HUB_SIGNING_KEY": "ab" * 32,
                          "SKILLS_HUB_SMTP_HOST": "smtp.example.test", "SKILLS_HUB_DATABASE_URL": "sqlite://"})
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1 and "Demo data is off" in result.output


def test_the_demo_learner_without_email_has_a_course_under_way(app, client, catalogue):
    app.test_cli_runner().invoke(args=["demo", "load"])
    token = csrf_token_from(client.get("/sign-in").text)
    client.post("/sign-in", data={"csrf_token": token, "method": "pin", "learner_number": DEMO_LEARNER_NUMBER,
                                  "pin": DEMO_PIN})
    page = client.get("/my-learning").text
    assert "2 of 6 lessons done" in page and "Continue: Using a mouse and keyboard" in page


def test_the_demo_staff_dashboard_shows_someone_who_has_gone_quiet(app, client, catalogue):
    app.test_cli_runner().invoke(args=["demo", "load"])
    token = csrf_token_from(client.get("/sign-in").text)
    client.post("/sign-in", data={"csrf_token": token, "method": "email", "email": "staff@demo.skillshub.test",
                                  "password": DEMO_PASSWORD})
    quiet = client.get("/staff").text.split("Not active for 14 days")[1].split("<h2>")[0]
    assert "Olu Adeyemi" in quiet and "Mohammed Khan" not in quiet


# The demo's history follows the README's rules ------------------------------------------------------------------

def _load(app) -> datetime:
    """Load the demo (with the courses synced); the time it finished."""
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "Demo data loaded." in result.output, result.output
    return datetime.now(UTC)


def _demo_learners() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.LEARNER, User.is_demo.is_(True))))


def test_every_completed_demo_course_has_every_lesson_done_a_passed_check_a_valid_certificate_and_no_date_ahead(
        app, catalogue):
    loaded = _load(app)
    with app.app_context():
        learners = _demo_learners()
        assert len(learners) == 63  # the learner with email, Mohammed, Olu and sixty residents of the history
        completed = 0
        for learner in learners:
            for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.learner_id == learner.id)):
                course = db.session.get(Course, enrolment.course_id)
                done = {p.lesson_id: p for p in db.session.scalars(select(LessonProgress).where(
                    LessonProgress.learner_id == learner.id, LessonProgress.course_id == course.id,
                    LessonProgress.done_at.is_not(None)))}
                attempts = list(db.session.scalars(select(CheckAttempt).where(
                    CheckAttempt.learner_id == learner.id, CheckAttempt.course_id == course.id)
                    .order_by(CheckAttempt.created_at)))
                certificates = list(db.session.scalars(select(Certificate).where(
                    Certificate.enrolment_id == enrolment.id, Certificate.status == "valid")))
                every_lesson_done = all(lesson.id in done for lesson in course.current_lessons)
                passed = [a for a in attempts if a.passed]
                name = f"{learner.display_name}, {course.slug}"
                if enrolment.completed_at is None:
                    assert not certificates and not (every_lesson_done and passed), name
                    continue
                completed += 1
                assert every_lesson_done and passed, name
                assert len(certificates) == 1 and certificates[0].awarded_at == enrolment.completed_at, name
                last_step = max([p.done_at for p in done.values()] + [passed[0].created_at])
                assert enrolment.completed_at == last_step, f"{name}: completed when its last step was done"
                assert attempts[-1].passed, f"{name}: nobody tries the check again after passing it"
                assisted = any(p.assisted for p in done.values())
                assert certificates[0].branch_name == (db.session.scalar(
                    select(Branch.name).join(BranchMember).where(BranchMember.user_id == learner.id))
                    if assisted else None), name
        assert completed == 45
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 45
        failed_first = db.session.scalar(select(func.count(distinct(CheckAttempt.learner_id)))
                                         .where(CheckAttempt.passed.is_(False)))
        assert failed_first == 9, "some residents fail the check once before passing it"
        _no_date_is_in_the_future_and_each_step_follows_the_one_before(loaded)


def _no_date_is_in_the_future_and_each_step_follows_the_one_before(loaded: datetime) -> None:
    moments = {
        "users.created_at": select(User.created_at),
        "enrolments.enrolled_at": select(Enrolment.enrolled_at),
        "enrolments.last_active_at": select(Enrolment.last_active_at),
        "enrolments.completed_at": select(Enrolment.completed_at),
        "lesson_progress.started_at": select(LessonProgress.started_at),
        "lesson_progress.done_at": select(LessonProgress.done_at),
        "check_attempts.created_at": select(CheckAttempt.created_at),
        "certificates.awarded_at": select(Certificate.awarded_at),
        "certificate_events.at": select(CertificateEvent.at),
        "skills_checks.taken_at": select(SkillsCheck.taken_at),
        "attendances.recorded_at": select(Attendance.recorded_at),
    }
    for name, query in moments.items():
        times = [moment for moment in db.session.scalars(query) if moment is not None]
        assert times and max(times) <= loaded, f"{name}: {max(times)} is after {loaded}"
    assert max(db.session.scalars(select(Attendance.session_date))) <= loaded.date()
    for learner in _demo_learners():
        for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.learner_id == learner.id)):
            assert learner.created_at <= enrolment.enrolled_at <= enrolment.last_active_at, learner.display_name
            first_done = db.session.scalar(select(func.min(LessonProgress.done_at)).where(
                LessonProgress.learner_id == learner.id, LessonProgress.course_id == enrolment.course_id))
            assert first_done is None or enrolment.enrolled_at <= first_done, learner.display_name
    for certificate in db.session.scalars(select(Certificate)):
        issued = db.session.scalar(select(CertificateEvent.at).where(
            CertificateEvent.certificate_id == certificate.id, CertificateEvent.kind == "issued"))
        assert issued == certificate.awarded_at, "the certificate was issued when the course was completed"


def test_the_reports_and_the_staff_dashboard_count_the_demo_as_the_certificates_do(app, client, catalogue, bearer,
                                                                                    login_as):
    loaded = _load(app)
    month_start = loaded.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@demo.skillshub.test"))
        staff = db.session.scalar(select(User).where(User.email == "staff@demo.skillshub.test"))
        everyone = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.status == "valid"))
        central = select(BranchMember.user_id).join(Branch).where(Branch.name == DEMO_BRANCH)
        in_central = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.status == "valid", Certificate.learner_id.in_(central)))
        central_this_month = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.status == "valid", Certificate.learner_id.in_(central), Certificate.awarded_at >= month_start))
    assert everyone == 45 and in_central == 15

    whole = client.get("/api/v1/reports/summary", headers=bearer(admin)).json  # the default period: the last year
    assert whole["totals"]["completions"] == whole["totals"]["certificates"] == _as_reported(everyone, whole)
    assert whole["totals"]["enrolments"] == _as_reported(62, whole, "enrolments")
    assert whole["totals"]["learners"] == _as_reported(63, whole, "learners")
    for breakdown in ("by_month", "by_branch", "by_district", "by_eds_area"):
        for row in whole["breakdowns"][breakdown]:
            assert row["completions"] == row["certificates"], (breakdown, row)
    own = client.get("/api/v1/reports/summary", headers=bearer(staff)).json
    assert own["totals"]["completions"] == own["totals"]["certificates"] == _as_reported(in_central, own)

    this_month = client.get(f"/api/v1/reports/summary?from={month_start.date()}&to={loaded.date()}",
                            headers=bearer(staff)).json
    dashboard = login_as(staff).get("/staff").text
    shown = f"{central_this_month} {'course' if central_this_month == 1 else 'courses'} completed this month."
    assert shown in dashboard
    assert this_month["totals"]["completions"] == _as_reported(central_this_month, this_month)


def _as_reported(count: int, summary: dict, kind: str = "completions") -> int | str:
    """A total as the reports show it: 1 to 4 as "<5", rounded to 5 where a breakdown hides a small number."""
    if 0 < count < reports.SUPPRESS_BELOW:
        return "<5"
    return reports.rounded(count) if kind in summary["rounded_totals"] else count


def test_loading_the_demo_again_adds_nothing_and_each_certificate_waits_for_its_pdf(app, client, catalogue):
    _load(app)
    with app.app_context():
        before = {table.name: db.session.scalar(select(func.count()).select_from(table))
                  for table in db.metadata.sorted_tables}
        certificates = db.session.scalars(select(Certificate)).all()
        renders = db.session.scalars(select(Job.payload).where(Job.kind == RENDER_JOB)).all()
        assert sorted(str(c.id) for c in certificates) == sorted(payload["certificate_id"] for payload in renders)
        code, awarded_at = certificates[0].code, certificates[0].awarded_at
    page = client.get(f"/verify/{code}").text
    assert "genuine and valid" in page and awarded_at.strftime("%-d %B %Y") in page
    again = app.test_cli_runner().invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "already loaded" in again.output
    with app.app_context():
        after = {table.name: db.session.scalar(select(func.count()).select_from(table))
                 for table in db.metadata.sorted_tables}
    assert after == before and before["enrolments"] == 62 and before["certificates"] == 45
