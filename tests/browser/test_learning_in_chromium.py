"""Learning in headless Chromium: a course over two visits, the quiz, My learning, the skills check and the staff
dashboard, each passing axe; and finishing a lesson without JavaScript."""

from __future__ import annotations

import pytest

from skills_hub.demo import DEMO_LEARNER_NUMBER, DEMO_PIN
from tests.browser.test_pages_in_chromium import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def sign_in_with_pin(page) -> None:
    page.goto("/sign-in")
    page.get_by_label("Learner number", exact=True).fill(DEMO_LEARNER_NUMBER)
    page.get_by_label("PIN", exact=True).fill(DEMO_PIN)
    page.get_by_role("button", name="Sign in with learner number").click()


def test_a_learner_continues_a_course_takes_the_quiz_and_sees_progress(page):
    sign_in_with_pin(page)
    assert page.url.endswith("/my-learning")
    assert page.get_by_text("2 of 6 lessons done").is_visible()
    assert page.locator("progress").first.get_attribute("value") is not None
    assert_accessible(page)
    page.get_by_role("link", name="Continue: Using a mouse and keyboard on a library computer").click()
    assert_accessible(page)
    page.get_by_label("Someone helped me with this lesson").check()
    page.get_by_role("button", name="I've finished this lesson").click()
    assert page.get_by_role("heading", name="Connecting to Wi-Fi").is_visible()
    page.goto("/courses/getting-started")
    assert page.get_by_text("3 of 6 lessons done").is_visible()
    assert_accessible(page)
    page.goto("/courses/getting-started/check")
    page.get_by_role("button", name="Check my answers").click()
    assert_accessible(page)


def test_the_skills_check_and_its_profile_pass_axe(page):
    sign_in(page, "learner@demo.skillshub.test")
    page.goto("/skills-check")
    assert_accessible(page)
    page.get_by_role("button", name="Save my answers").click()
    assert page.locator(".error-summary").is_visible()
    assert_accessible(page)
    for group in page.locator("fieldset").all():
        group.get_by_label("With help").check()
    page.get_by_role("button", name="Save my answers").click()
    assert page.get_by_role("heading", name="Your skills profile").is_visible()
    assert_accessible(page)
    page.goto("/my-learning")
    assert_accessible(page)


def test_the_staff_dashboard_and_a_residents_courses_pass_axe(page):
    sign_in(page, "staff@demo.skillshub.test")
    assert page.get_by_role("heading", name="Your library's learners").is_visible()
    assert page.get_by_role("cell", name="Mohammed Khan").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Mohammed Khan").first.click()
    assert page.get_by_text("2 of 6 lessons done").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Record as done for Getting started with a phone, tablet or computer").click()
    assert page.get_by_text("3 of 6 lessons done").is_visible()


def test_a_lesson_can_be_finished_without_javascript(page_without_javascript):
    page = page_without_javascript
    sign_in_with_pin(page)
    page.get_by_role("link", name="Continue: Using a mouse and keyboard on a library computer").click()
    page.get_by_role("button", name="I've finished this lesson").click()
    assert page.get_by_role("heading", name="Connecting to Wi-Fi").is_visible()


def test_checking_a_certificate_and_revoking_it_pass_axe(app, page):
    from sqlalchemy import select

    from skills_hub import codes
    from skills_hub.accounts.models import User
    from skills_hub.certificates.services import issue
    from skills_hub.courses.services import get_course
    from skills_hub.extensions import db, utcnow
    from skills_hub.learning.models import Enrolment

    with app.app_context():
        learner = db.session.scalars(select(User).where(User.learner_number == DEMO_LEARNER_NUMBER)).one()
        enrolment = db.session.scalars(select(Enrolment).where(Enrolment.learner_id == learner.id)).one()
        enrolment.completed_at = utcnow()
        code = codes.grouped(issue(learner=learner, course=get_course("getting-started"), enrolment_id=enrolment.id,
                                   awarded_at=utcnow(), assisted=True).code)
        db.session.commit()
    sign_in_with_pin(page)
    assert page.get_by_role("link", name="Add to LinkedIn for Getting started with a phone, tablet or computer "
                                         "(another website)").is_visible()
    assert_accessible(page)
    page.goto("/verify")
    assert_accessible(page)
    page.get_by_label("Certificate code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Check").click()
    assert page.get_by_text("This certificate is genuine and valid.").is_visible()
    assert_accessible(page)
    page.goto(f"/verify/{code[:-1]}{'0' if code[-1] != '0' else '1'}")
    assert page.get_by_role("link", name="This code was probably mistyped").is_visible()
    assert_accessible(page)
    sign_in(page, "admin@demo.skillshub.test")
    page.goto(f"/admin/certificates/{code}")
    assert_accessible(page)
    page.get_by_label("Reason", exact=True).fill("Issued by mistake")
    page.get_by_role("button", name="Revoke").click()
    page.goto(f"/verify/{code}")
    assert page.get_by_text("Issued by mistake").is_visible()
    assert_accessible(page)
