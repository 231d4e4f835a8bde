"""Every page in headless Chromium: zero axe WCAG 2.2 AA violations, one h1, keyboard focus, phone width."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from skills_hub.demo import DEMO_LEARNER_NUMBER, DEMO_PASSWORD, DEMO_PIN

pytestmark = pytest.mark.browser

WCAG_22_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
              "resultTypes": ["violations"]}
AXE = Axe()


def assert_accessible(page) -> None:
    results = AXE.run(page, options=WCAG_22_AA)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
    assert page.locator("h1").count() == 1, f"{page.url} must have exactly one h1"
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.locator("main#main-content").count() == 1


def sign_in(page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in with email").click()


@pytest.mark.parametrize("path", [
    "/", "/courses", "/courses?area=being-safe-online", "/courses?level=expert", "/courses/using-email",
    "/courses/using-email/lessons/attachments", "/courses/staying-safe-online/lessons/strong-passwords",
    "/courses/using-email/check", "/sign-in", "/accessibility", "/no-such-page",
])
def test_public_pages_pass_axe(page, path):
    page.goto(path)
    assert_accessible(page)


def test_the_check_form_errors_and_result_pass_axe(page):
    page.goto("/courses/using-email/check")
    page.get_by_role("button", name="Check my answers").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    assert_accessible(page)
    first_error = page.locator(".error-summary a").first
    first_error.click()
    assert page.evaluate("document.activeElement.type") == "radio", "error links take you to the field"
    for group in page.locator("fieldset").all():
        group.locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Check my answers").click()
    assert page.get_by_text("Your answers").is_visible()
    assert_accessible(page)


def test_sign_in_errors_and_signed_in_pages_pass_axe(page):
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in with learner number").click()
    assert page.get_by_role("link", name="Enter your learner number, like ABCD-1234.").is_visible()
    assert_accessible(page)
    sign_in(page, "admin@demo.skillshub.test")
    assert page.url.endswith("/admin")
    assert_accessible(page)
    page.goto("/account")
    assert_accessible(page)


def test_a_learner_signs_in_with_number_and_pin(page):
    page.goto("/sign-in")
    page.get_by_label("Learner number", exact=True).fill(DEMO_LEARNER_NUMBER.lower())
    page.get_by_label("PIN", exact=True).fill(DEMO_PIN)
    page.get_by_role("button", name="Sign in with learner number").click()
    assert page.url.endswith("/my-learning")
    page.goto("/account")
    assert page.get_by_text("Mohammed Khan").is_visible()


def test_the_skip_link_and_focus_are_visible_from_the_keyboard(page):
    page.goto("/courses")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    box = skip.bounding_box()
    assert box and box["x"] >= 0 and box["width"] > 0, "the skip link shows when focused"
    page.keyboard.press("Tab")
    focused_background = page.evaluate("getComputedStyle(document.activeElement).backgroundColor")
    assert focused_background == "rgb(255, 221, 0)", "focused links get the yellow focus style"


def test_a_lesson_reads_on_a_320px_phone_without_sideways_scrolling(browser, live_server, demo):
    context = browser.new_context(base_url=live_server, viewport={"width": 320, "height": 640})
    page = context.new_page()
    for path in ["/courses", "/courses/using-email", "/courses/using-email/lessons/spotting-scam-emails",
                 "/courses/using-email/check", "/sign-in"]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    context.close()


def test_the_site_works_without_javascript(page_without_javascript):
    page = page_without_javascript
    page.goto("/")
    page.get_by_role("link", name="See all").click()
    page.get_by_label("Level").select_option("work")
    page.get_by_role("button", name="Show courses").click()
    page.get_by_role("link", name="Finding and applying for jobs online").click()
    page.get_by_role("link", name="Start the course").click()
    assert "Lesson 1 of" in page.content()
    page.get_by_role("link", name="Next lesson").click()
    assert "Lesson 2 of" in page.content()
    sign_in(page, "staff@demo.skillshub.test")
    assert page.url.endswith("/staff")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()  # waits for the page after signing out
