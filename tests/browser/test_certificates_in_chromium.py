"""The public check page of a revoked or withdrawn certificate warns, in red and in words, and passes axe."""

from __future__ import annotations

import pytest

from skills_hub import codes
from skills_hub.accounts.models import Role, User
from skills_hub.certificates import services as certificates
from skills_hub.courses.services import get_course
from skills_hub.extensions import db, utcnow
from skills_hub.learning import services as learning
from tests.browser.test_pages_in_chromium import assert_accessible
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def issued(app, catalogue, make_user):
    """Two certificates of one resident: (valid code, revoked code)."""
    learner = make_user(Role.LEARNER, given_name="Amina", family_name="Yusuf", email="amina@example.test")
    made = []
    with app.app_context():
        person = db.session.get(User, learner.id)
        for slug in ("using-email", "getting-started"):
            enrolment, _ = learning.enrol(person, get_course(slug))
            enrolment.completed_at = utcnow()
            made.append(certificates.issue(learner=person, course=get_course(slug), enrolment_id=enrolment.id,
                                           awarded_at=utcnow(), assisted=False))
        certificates.change_status(None, made[1], "revoke", "The knowledge check was done by someone else.")
        db.session.commit()
        return [codes.grouped(c.code) for c in made]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def test_a_revoked_certificate_gets_an_unmistakable_warning_and_a_valid_one_does_not(page, issued):
    valid, revoked = issued
    page.goto(f"/verify/{revoked}")
    warning = page.get_by_role("alert")
    assert warning.get_by_role("heading", name="This certificate is not valid").is_visible()
    assert "revoked (taken back) on" in warning.inner_text()
    assert "Reason: The knowledge check was done by someone else." in warning.inner_text()
    style = warning.evaluate("e => { const s = getComputedStyle(e); return [s.borderLeftColor, s.borderLeftWidth, "
                             "s.borderTopColor, s.borderTopWidth, s.backgroundColor]; }")
    assert style == ["rgb(176, 24, 14)", "12px", "rgb(176, 24, 14)", "4px", "rgb(255, 255, 255)"]
    heading_colour = warning.get_by_role("heading").evaluate("e => getComputedStyle(e).color")
    assert heading_colour == "rgb(176, 24, 14)"
    assert_accessible(page)
    page.goto(f"/verify/{valid}")
    assert page.get_by_role("alert").count() == 0
    assert page.get_by_text("This certificate is genuine and valid.").is_visible()
    panel = page.locator(".result-panel")
    assert panel.evaluate("e => getComputedStyle(e).borderLeftColor") != "rgb(176, 24, 14)"
    assert_accessible(page)


def sign_in(page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in with email").click()


def test_my_learning_shows_a_revoked_certificate_plainly_and_passes_axe(page, issued):
    valid, revoked = issued
    sign_in(page, "amina@example.test")
    page.goto("/my-learning")
    assert page.get_by_role("link", name="Download certificate (PDF) for Using email").is_visible()
    assert page.get_by_text(f"Check code: {valid}").is_visible()
    assert page.get_by_text("Your certificate for this course was taken back.").is_visible()
    assert page.get_by_role("link", name="Download certificate (PDF)").count() == 1
    assert page.get_by_role("link", name="Digital badge file").count() == 1
    assert page.get_by_text(revoked).count() == 0
    assert_accessible(page)


def test_an_admin_finds_certificates_by_name_on_a_320px_phone(page, issued, make_user):
    make_user(Role.ADMIN, email="admin-find@example.test")
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, "admin-find@example.test")
    page.goto("/admin/certificates/find")
    page.get_by_label("Certificate code or name").fill("amina")
    page.get_by_role("button", name="Find").click()
    page.wait_for_load_state("load")  # the style sheet applied: measured before it, a table is always too wide
    assert page.get_by_role("link", name=issued[0]).is_visible() and page.get_by_role("link", name=issued[1]).count()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    cell = page.locator("tbody td[data-label='Course']").first  # each row reads as a labelled block
    assert cell.evaluate("e => getComputedStyle(e).display") == "block"
    assert cell.evaluate("e => getComputedStyle(e, '::before').content") == '"Course: "'
    assert_accessible(page)
