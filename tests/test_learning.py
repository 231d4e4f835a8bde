"""Learning in pages: enrol, lessons done over several visits, fail then pass the check, completion with a
certificate, leaving and resuming, My learning, the skills check, and the staff dashboard."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from skills_hub.accounts.models import Role
from skills_hub.certificates.models import Certificate
from skills_hub.courses import services as courses
from skills_hub.extensions import db, utcnow
from skills_hub.learning.models import CheckAttempt, Enrolment, LessonProgress, SkillsCheck
from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.test_accounts import sign_in

COURSE = "getting-started"


@pytest.fixture
def learner_client(app, catalogue, make_branch, make_user):
    branch = make_branch("Central Library")
    learner = make_user(Role.LEARNER, email="l@example.test", branches=[branch])
    client = app.test_client()
    sign_in(client, method="email", email="l@example.test", password=TEST_PASSWORD)
    client.learner, client.branch = learner, branch
    return client


def post(client, path, **data):
    token = csrf_token_from(client.get("/account").text)
    return client.post(path, data={"csrf_token": token, **data})


def lessons(app):
    with app.app_context():
        return [lesson.slug for lesson in courses.get_course(COURSE).current_lessons]


def answers(app, right: bool) -> dict:
    with app.app_context():
        check = courses.get_course(COURSE).knowledge_check
    return {f"answer-{q['id']}": next(c["id"] for c in q["choices"] if bool(c.get("correct")) == right)
            for q in check["questions"]}


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_learner_takes_a_course_over_several_visits_fails_then_passes_and_completes(app, learner_client):
    client = learner_client
    slugs = lessons(app)
    page = client.get(f"/courses/{COURSE}")
    assert "Start this course" in page.text
    started = post(client, f"/courses/{COURSE}/enrol")
    assert started.headers["Location"].endswith(f"/lessons/{slugs[0]}")
    lesson = client.get(f"/courses/{COURSE}/lessons/{slugs[0]}")
    assert "I've finished this lesson" in lesson.text
    done = post(client, f"/courses/{COURSE}/lessons/{slugs[0]}/done", helped="yes")
    assert done.headers["Location"].endswith(f"/lessons/{slugs[1]}")
    post(client, f"/courses/{COURSE}/lessons/{slugs[0]}/done")  # again: never double counted

    # The library closes. Next week, on another computer:
    later = app.test_client()
    sign_in(later, method="email", email="l@example.test", password=TEST_PASSWORD)
    mine = later.get("/my-learning").text
    assert "Continue: " in mine and f"1 of {len(slugs)} lessons done" in mine
    assert '<progress id="progress-1" max="100"' in mine
    course_page = later.get(f"/courses/{COURSE}").text
    assert "Continue: Touching the screen and typing" in course_page
    for slug in slugs[1:]:
        post(later, f"/courses/{COURSE}/lessons/{slug}/done")
    assert count(app, LessonProgress, LessonProgress.done_at.is_not(None)) == len(slugs)

    failed = post(later, f"/courses/{COURSE}/check", **answers(app, right=False))
    assert failed.status_code == 200 and "You need 70% to pass" in failed.text
    assert count(app, Certificate) == 0
    passed = post(later, f"/courses/{COURSE}/check", **answers(app, right=True))
    assert "Well done, you passed" in passed.text and "You have completed" in passed.text
    assert count(app, CheckAttempt) == 2, "every attempt is kept"
    with app.app_context():
        enrolment = db.session.scalars(select(Enrolment)).one()
        certificate = db.session.scalars(select(Certificate)).one()
        assert enrolment.completed_at is not None and certificate.enrolment_id == enrolment.id
        assert certificate.awarded_at == enrolment.completed_at and len(certificate.code) == 12
        first = db.session.scalars(select(LessonProgress).order_by(LessonProgress.started_at)).first()
        assert first.assisted is True, "the learner ticked 'someone helped me'"
    mine = later.get("/my-learning").text
    assert "Courses you have completed" in mine and certificate.code[:4] in mine
    post(later, f"/courses/{COURSE}/check", **answers(app, right=True))
    assert count(app, Certificate) == 1, "passing again makes no second certificate"


def test_passing_the_check_first_completes_on_the_last_lesson(app, learner_client):
    client = learner_client
    post(client, f"/courses/{COURSE}/enrol")
    post(client, f"/courses/{COURSE}/check", **answers(app, right=True))
    assert count(app, Certificate) == 0
    for slug in lessons(app):
        response = post(client, f"/courses/{COURSE}/lessons/{slug}/done")
    assert response.headers["Location"] == "/my-learning"
    assert count(app, Certificate) == 1


def test_a_lesson_added_later_does_not_undo_a_completion(app, learner_client):
    client = learner_client
    post(client, f"/courses/{COURSE}/enrol")
    for slug in lessons(app):
        post(client, f"/courses/{COURSE}/lessons/{slug}/done")
    post(client, f"/courses/{COURSE}/check", **answers(app, right=True))
    with app.app_context():
        course = courses.get_course(COURSE)
        from skills_hub.courses.models import Lesson
        db.session.add(Lesson(course_id=course.id, slug="a-new-lesson", title="A new lesson", position=99,
                              minutes=5, body_markdown="New.", content_hash="x"))
        db.session.commit()
    mine = client.get("/my-learning").text
    assert "Courses you have completed" in mine
    with app.app_context():
        assert db.session.scalars(select(Enrolment)).one().completed_at is not None


def test_leaving_keeps_progress_and_enrolling_again_resumes(app, learner_client):
    client = learner_client
    slugs = lessons(app)
    post(client, f"/courses/{COURSE}/enrol")
    post(client, f"/courses/{COURSE}/lessons/{slugs[0]}/done")
    left = post(client, f"/courses/{COURSE}/leave")
    assert left.headers["Location"] == "/my-learning"
    mine = client.get("/my-learning").text
    assert "Courses you left" in mine and f"1 of {len(slugs)} lessons done" in mine
    back = post(client, f"/courses/{COURSE}/enrol")
    assert back.headers["Location"].endswith(f"/lessons/{slugs[1]}")
    assert count(app, Enrolment) == 1


def test_opening_a_lesson_marks_it_started_only_when_enrolled(app, learner_client):
    client = learner_client
    slug = lessons(app)[2]
    client.get(f"/courses/{COURSE}/lessons/{slug}")
    assert count(app, LessonProgress) == 0
    post(client, f"/courses/{COURSE}/enrol")
    client.get(f"/courses/{COURSE}/lessons/{slug}")
    client.get(f"/courses/{COURSE}/lessons/{slug}")
    with app.app_context():
        progress = db.session.scalars(select(LessonProgress)).one()
        assert progress.started_at is not None and progress.done_at is None


def test_the_check_shows_choices_in_a_new_order_and_never_the_answers(app, learner_client):
    orders = set()
    for _ in range(12):
        page = learner_client.get(f"/courses/{COURSE}/check").text
        orders.add(tuple(part.split('"')[0] for part in page.split('type="radio" name="answer-')[1:]
                         for part in [part.split('value="')[1]]))
        assert "correct" not in page.lower().replace("correctly", "")
    assert len(orders) > 1, "the choices were shuffled"


def test_anyone_may_read_lessons_without_an_account(app, client, catalogue):
    page = client.get(f"/courses/{COURSE}")
    assert "Sign in</a> to save your progress" in page.text
    assert "I've finished this lesson" not in client.get(f"/courses/{COURSE}/lessons/{lessons(app)[0]}").text


def test_the_skills_check_builds_a_profile_with_change_and_recommendations(app, learner_client):
    client = learner_client
    page = client.get("/skills-check").text
    ids = sorted({part.split('"')[0] for part in page.split('name="skill-')[1:]})
    assert len(ids) >= 12
    missing = post(client, "/skills-check", **{f"skill-{ids[0]}": "2"})
    assert missing.status_code == 422 and 'href="#skill-' in missing.text
    post(client, "/skills-check", **{f"skill-{i}": "1" for i in ids})
    first = client.get("/skills-check").text
    assert "Your skills profile" in first and "Staying safe online" in first, "a gap recommends a course"
    post(client, "/skills-check", **{f"skill-{i}": "4" for i in ids})
    second = client.get("/skills-check").text
    assert "Up 3.0" in second
    assert count(app, SkillsCheck) == 2


def test_the_staff_dashboard_shows_learners_progress_quiet_ones_and_completions(app, learner_client, make_user,
                                                                               login_as, client):
    post(learner_client, f"/courses/{COURSE}/enrol")
    for slug in lessons(app):
        post(learner_client, f"/courses/{COURSE}/lessons/{slug}/done")
    post(learner_client, f"/courses/{COURSE}/check", **answers(app, right=True))
    post(learner_client, "/courses/using-email/enrol")
    with app.app_context():
        quiet = db.session.scalars(select(Enrolment).where(Enrolment.completed_at.is_(None))).one()
        quiet.last_active_at = utcnow() - timedelta(days=15)
        db.session.commit()
    login_as(make_user(Role.STAFF, branches=[learner_client.branch]))
    page = client.get("/staff").text
    assert "1 course completed this month" in page
    assert "Getting started with a phone, tablet or computer: completed" in page
    assert "Using email: 0%" in page
    quiet_section = page.split("Not active for 14 days")[1].split("<h2>")[0]
    assert "Siobhán O&#39;Brien" in quiet_section


def test_staff_enrol_a_learner_and_record_progress_with_a_helper(app, client, catalogue, make_branch, make_user,
                                                                 login_as):
    branch = make_branch()
    learner = make_user(Role.LEARNER, email=None, learner_number="DEM0001D", pin="246810", branches=[branch])
    staff = make_user(Role.STAFF, branches=[branch])
    login_as(staff)
    page = client.get(f"/staff/residents/{learner.id}").text
    assert "has not started a course" in page
    client.post(f"/staff/residents/{learner.id}/enrolments",
                data={"csrf_token": csrf_token_from(page), "course": COURSE})
    page = client.get(f"/staff/residents/{learner.id}").text
    client.post(f"/staff/residents/{learner.id}/progress",
                data={"csrf_token": csrf_token_from(page), "course": COURSE, "lesson": lessons(app)[0]})
    with app.app_context():
        progress = db.session.scalars(select(LessonProgress)).one()
        assert progress.assisted is True and progress.recorded_by_id == staff.id
        enrolment = db.session.scalars(select(Enrolment)).one()
        assert enrolment.enrolled_by_id == staff.id
    assert "1 of 6 lessons done" in client.get(f"/staff/residents/{learner.id}").text


def test_pages_run_a_fixed_number_of_queries_whatever_the_number_of_enrolments(app, learner_client, count_queries,
                                                                               make_user, login_as):
    """My learning and the staff dashboard: the same query count with 1 enrolment as with 8."""
    with app.app_context():
        catalogue, _ = courses.list_courses(per_page=8)
        steps = [(course.slug, course.current_lessons[0].slug) for course in catalogue]
    staff_client = app.test_client()
    with staff_client.session_transaction() as session:
        session["_user_id"] = make_user(Role.STAFF, branches=[learner_client.branch]).get_id()

    def measure() -> dict[str, int]:
        counts = {}
        for name, (who, path) in {"my learning": (learner_client, "/my-learning"),
                                  "dashboard": (staff_client, "/staff")}.items():
            who.get(path)
            before = len(count_queries())
            assert who.get(path).status_code == 200
            counts[name] = len(count_queries()) - before
        return counts

    def take(course_slug, lesson_slug):
        post(learner_client, f"/courses/{course_slug}/enrol")
        post(learner_client, f"/courses/{course_slug}/lessons/{lesson_slug}/done")

    take(*steps[0])
    with_one = measure()
    for step in steps[1:]:
        take(*step)
    assert len(steps) == 8 and count(app, Enrolment) == 8
    assert measure() == with_one


def test_the_staff_dashboard_runs_the_same_queries_for_1_and_50_enrolled_learners(app, catalogue, make_branch,
                                                                                   make_user, login_as, client,
                                                                                   count_queries):
    from skills_hub.accounts import services as accounts
    from skills_hub.accounts.models import Branch, User
    from skills_hub.learning import services as learning

    branch = make_branch()
    login_as(make_user(Role.STAFF, branches=[branch]))

    def add_learners(n: int) -> None:
        with app.app_context():
            home = db.session.get(Branch, branch.id)
            course = courses.get_course(COURSE)
            for i in range(n):
                learner = accounts.create_user(role=Role.LEARNER, given_name=f"Learner{i}", family_name="Test",
                                               branches=[home])
                learning.enrol(db.session.get(User, learner.id), course)
                learning.lesson_done(learner.id, course.current_lessons[0], assisted=False)
            db.session.commit()

    def measure() -> int:
        client.get("/staff")
        before = len(count_queries())
        assert client.get("/staff").status_code == 200
        return len(count_queries()) - before

    add_learners(1)
    with_one = measure()
    add_learners(49)
    assert count(app, Enrolment) == 50
    assert measure() == with_one


def test_finishing_a_lesson_of_a_course_not_started_saves_nothing_and_says_why(app, learner_client):
    response = post(learner_client, f"/courses/{COURSE}/lessons/{lessons(app)[0]}/done")
    assert response.headers["Location"] == f"/courses/{COURSE}"
    assert "Start the course first" in learner_client.get(f"/courses/{COURSE}").text
    assert count(app, LessonProgress) == 0 and count(app, Enrolment) == 0


def test_a_missing_skills_answer_names_the_statement(app, learner_client):
    response = post(learner_client, "/skills-check")
    assert response.status_code == 422
    assert "Choose how sure you feel: I can spot a scam text, email or phone call." in response.text
