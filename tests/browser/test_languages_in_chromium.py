"""Pages in Urdu and Arabic (right to left) and in Polish, in headless Chromium: chosen with the chooser (with and
without JavaScript), zero axe WCAG 2.2 AA violations, the right <html lang dir>, no sideways scrolling at 320 px,
and codes kept left to right."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask_babel import force_locale, gettext

from skills_hub.demo import DEMO_LEARNER_NUMBER, DEMO_PIN
from tests.browser.test_pages_in_chromium import WCAG_22_AA

pytestmark = pytest.mark.browser
AXE = Axe()
LANGUAGES = {"ur": ("اردو", "rtl", "ur"), "ar": ("العربية", "rtl", "ar"), "pl": ("Polski", "ltr", "pl")}
PUBLIC = ["/", "/courses", "/courses/using-email/lessons/what-email-is", "/courses/using-email/check", "/sign-in",
          "/verify"]
WIDTH_OF_PAGE = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def choose(page, code: str) -> None:
    page.goto("/")
    page.get_by_role("button", name=LANGUAGES[code][0]).click()
    page.wait_for_load_state()


def assert_in_language(page, code: str) -> None:
    _name, direction, lang = LANGUAGES[code]
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (lang, direction), page.url
    assert page.locator("h1").count() == 1, page.url


def assert_accessible(page) -> None:
    results = AXE.run(page, options=WCAG_22_AA)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def said(app, code: str, message: str) -> str:
    locale = {"ur": "ur", "ar": "ar", "pl": "pl"}[code]
    with app.test_request_context(), force_locale(locale):
        return gettext(message)


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_public_pages_read_in_the_chosen_language_pass_axe_and_fit_a_phone(app, page, code):
    choose(page, code)
    page.set_viewport_size({"width": 320, "height": 640})
    for path in PUBLIC:
        page.goto(path)
        assert_in_language(page, code)
        assert_accessible(page)
        assert page.evaluate(WIDTH_OF_PAGE) <= 320, f"{path} scrolls sideways in {code}"
    # The course is translated into this language: the lesson's heading is not the English one.
    page.goto("/courses/using-email/lessons/what-email-is")
    assert page.locator("h1").inner_text() != "What email is"
    assert page.get_by_role("button", name=said(app, code, "Check my answers")).count() == 0  # not on a lesson
    page.goto("/courses/using-email/check")
    assert page.get_by_role("button", name=said(app, code, "Check my answers")).is_visible()


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_a_resident_signs_in_with_a_pin_and_my_learning_and_the_quiz_result_are_in_their_language(app, page, code):
    choose(page, code)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/sign-in")
    page.locator("#learner_number").fill(DEMO_LEARNER_NUMBER)
    page.locator("#pin").fill(DEMO_PIN)
    page.get_by_role("button", name=said(app, code, "Sign in with learner number")).click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/my-learning")
    assert_in_language(page, code)
    assert_accessible(page)
    assert page.evaluate(WIDTH_OF_PAGE) <= 320
    page.goto("/courses/getting-started/check")
    for group in page.locator("fieldset").all():
        group.locator("input[type=radio]").first.check()
    page.get_by_role("button", name=said(app, code, "Check my answers")).click()
    page.wait_for_load_state("load")
    assert_in_language(page, code)
    assert_accessible(page)
    assert page.evaluate(WIDTH_OF_PAGE) <= 320


def test_codes_and_learner_numbers_stay_left_to_right_on_a_right_to_left_page(page):
    choose(page, "ar")
    page.goto("/sign-in")
    example = page.locator("#number-hint bdi, #number-hint [dir=ltr]").first
    assert example.evaluate("element => getComputedStyle(element).direction") == "ltr"
    assert page.locator("html").evaluate("element => getComputedStyle(element).direction") == "rtl"


@pytest.mark.parametrize("code", ["ur", "pl"])
def test_the_chooser_works_without_javascript(page_without_javascript, code):
    page = page_without_javascript
    page.goto("/courses/using-email")
    page.get_by_role("button", name=LANGUAGES[code][0]).click()
    assert page.url.endswith("/courses/using-email")  # back on the same page
    assert_in_language(page, code)
    page.goto("/courses/using-email/lessons/what-email-is")
    assert_in_language(page, code)


def test_an_english_page_downloads_no_font_for_the_choosers_arabic_script_names(page):
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto("/courses")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="اردو").is_visible()
    assert [url for url in fetched if url.endswith((".woff2", ".ttf", ".otf"))] == []
