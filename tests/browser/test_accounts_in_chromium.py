"""Accounts in headless Chromium: staff register a resident who then signs in elsewhere; every new page passes
axe; the timeout warning; registering without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from skills_hub.demo import DEMO_LEARNER_NUMBER
from tests.browser.test_pages_in_chromium import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_staff_register_a_resident_who_signs_in_on_another_browser(page, browser, live_server):
    sign_in(page, "staff@demo.skillshub.test")
    page.get_by_role("link", name="Register a resident").click()
    assert_accessible(page)
    page.get_by_label("Last name").fill("Nguyễn")
    page.get_by_label("Postcode (optional)").fill("nowhere")
    page.get_by_role("button", name="Register").click()
    summary = page.locator(".error-summary")
    assert summary.get_by_role("link", name="Enter the first name.").is_visible()
    assert summary.get_by_role("link", name="Enter a full UK postcode, like M13 9PL.").is_visible()
    assert_accessible(page)
    summary.get_by_role("link", name="Enter the first name.").click()
    assert page.evaluate("document.activeElement.id") == "given_name", "error links take you to the field"
    assert page.get_by_label("Last name").input_value() == "Nguyễn", "what was typed is kept"
    page.get_by_label("First name").fill("Văn An")
    page.get_by_label("Postcode (optional)").fill("m13 9pl")
    page.get_by_label("In person, today").check()
    page.get_by_role("button", name="Register").click()
    assert page.get_by_role("heading", name="Văn An Nguyễn is registered").is_visible()
    assert_accessible(page)
    number = page.locator("dd.code").nth(0).inner_text()
    pin = page.locator("dd.code").nth(1).inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", number) and re.fullmatch(r"\d{6}", pin)

    elsewhere = browser.new_context(base_url=live_server)
    resident = elsewhere.new_page()
    resident.goto("/sign-in")
    resident.get_by_label("Learner number", exact=True).fill(number.lower().replace("-", " "))
    resident.get_by_label("PIN", exact=True).fill(pin)
    resident.get_by_role("button", name="Sign in with learner number").click()
    assert resident.url.endswith("/my-learning")
    resident.goto("/account")
    assert resident.get_by_text("Văn An Nguyễn").is_visible()
    elsewhere.close()


@pytest.mark.parametrize(("email", "paths"), [
    ("staff@demo.skillshub.test", ["/staff", "/staff?q=khan", "/staff/certificates",
                                   f"/staff/residents/lookup?learner_number={DEMO_LEARNER_NUMBER}",
                                   "/account", "/account/password", "/account/email", "/account/two-step"]),
    ("admin@demo.skillshub.test", ["/admin/audit", "/admin/users", "/admin/places", "/admin/certificates"]),
])
def test_signed_in_pages_pass_axe(page, email, paths):
    sign_in(page, email)
    for path in paths:
        page.goto(path)
        assert_accessible(page)


def test_public_account_pages_and_their_errors_pass_axe(page):
    for path in ("/register", "/privacy", "/password-reset"):
        page.goto(path)
        assert_accessible(page)
    page.goto("/register")
    page.get_by_label("Password").fill("password1")
    page.get_by_role("button", name="Create account").click()
    assert page.locator(".error-summary").get_by_role("link", name=re.compile("too common")).is_visible()
    assert_accessible(page)
    page.locator(".error-summary").get_by_role("link", name=re.compile("Tick the box")).click()
    assert page.evaluate("document.activeElement.id") == "agree"


def test_a_resident_page_and_a_new_pin_pass_axe(page):
    sign_in(page, "staff@demo.skillshub.test")
    page.goto("/staff?q=khan")
    page.get_by_role("link", name="Mohammed Khan").first.click()
    assert_accessible(page)
    page.get_by_role("button", name="Give a new PIN").click()
    assert page.get_by_role("heading", name="New PIN for Mohammed").is_visible()
    assert_accessible(page)


def test_the_timeout_warning_appears_two_minutes_before_and_stay_signed_in_keeps_the_form(page):
    page.clock.install()
    sign_in(page, "staff@demo.skillshub.test")
    page.goto("/staff/residents/new")
    page.get_by_label("First name").fill("Half-filled")
    warning = page.get_by_role("alertdialog", name="You will be signed out soon")
    assert not warning.is_visible()
    page.clock.run_for("28:05")
    assert warning.is_visible()
    assert page.evaluate("document.activeElement.id") == "stay-signed-in"
    assert_accessible(page)
    page.get_by_role("button", name="Stay signed in").click()
    warning.wait_for(state="hidden")
    assert page.get_by_label("First name").input_value() == "Half-filled"


def test_a_resident_registers_without_javascript(page_without_javascript):
    page = page_without_javascript
    page.goto("/register")
    page.get_by_label("First name").fill("Siobhán")
    page.get_by_label("Last name").fill("O'Brien")
    page.get_by_label("Email address").fill("siobhan@example.test")
    page.get_by_label("Password").fill("purple tractor sunrise")
    page.get_by_label("I have read the privacy notice and I agree").check()
    page.get_by_role("button", name="Create account").click()
    assert page.url.endswith("/account")
    assert page.get_by_text("Siobhán O'Brien").is_visible()


def test_confirm_its_you_and_the_ways_to_sign_in_pass_axe(page):
    sign_in(page, "staff@demo.skillshub.test")
    page.goto("/account/confirm?next=/account/email")
    assert page.get_by_role("heading", name="Confirm it's you").is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()  # nothing typed: the error summary names the field
    assert page.get_by_role("link", name="Type your password or PIN.").is_visible()
    assert_accessible(page)
    page.goto(f"/staff/residents/lookup?learner_number={DEMO_LEARNER_NUMBER}")
    page.get_by_role("link", name=re.compile("details")).click()
    methods = page.get_by_role("table", name=re.compile("can sign in"))
    assert methods.get_by_role("rowheader", name="Learner number and PIN").is_visible()
    assert page.get_by_label("Also take off the email address, password and two-step verification added since a "
                             "date").is_visible()
    assert_accessible(page)


def test_dates_of_birth_are_three_styled_boxes_and_the_full_name_is_shown_everywhere(page):
    sign_in(page, "staff@demo.skillshub.test")
    page.goto("/staff/residents/new")
    boxes = [page.get_by_label(label, exact=True) for label in ("Day", "Month", "Year")]
    phone = page.get_by_label("Phone number (optional)")
    first = page.get_by_label("First name", exact=True)
    look = "el => { const s = getComputedStyle(el); return [s.borderTopWidth, s.minHeight, s.fontSize]; }"
    assert phone.evaluate(look) == first.evaluate(look), "a phone box looks like every other box"
    for box in boxes:
        assert box.evaluate(look) == first.evaluate(look)
        assert box.get_attribute("inputmode") == "numeric"
    assert boxes[0].bounding_box()["width"] < boxes[2].bounding_box()["width"] < first.bounding_box()["width"]
    first.fill("秀英")
    page.get_by_label("Last name", exact=True).fill("王")
    page.get_by_label("Full name, as you write it (optional)").fill("王秀英")
    for box, typed in zip(boxes, ("30", "2", "1985"), strict=True):
        box.fill(typed)
    page.get_by_label("In person, today").check()
    page.get_by_role("button", name="Register").click()
    link = page.locator(".error-summary").get_by_role("link", name="Enter a real date of birth, for example 27 3 1985.")
    assert link.is_visible()
    assert_accessible(page)
    link.click()
    assert page.evaluate("document.activeElement.id") == "date_of_birth", "the link takes you to the Day box"
    assert [box.input_value() for box in boxes] == ["30", "2", "1985"], "what was typed is kept"
    boxes[0].fill("27")
    page.get_by_role("button", name="Register").click()
    assert page.get_by_role("heading", name="王秀英 is registered").is_visible()
    page.get_by_role("link", name="See 王秀英's details").click()
    assert page.get_by_role("heading", level=1).inner_text() == "王秀英"
    expect(page.locator(".summary-list")).to_contain_text("27 February 1985")
    page.get_by_role("link", name=re.compile("name or details")).click()
    assert_accessible(page)
    assert [box.input_value() for box in boxes] == ["27", "2", "1985"]
