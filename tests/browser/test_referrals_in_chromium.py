"""Local services and referrals in headless Chromium: searching the directory (and its postcode error), a member of
staff referring a resident whom the provider then takes through to completed, and another provider who can
neither open nor list that referral; every page visited passes axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages_in_chromium import assert_accessible, sign_in

pytestmark = pytest.mark.browser

URDU_SERVICE = "Smartphone Basics in Urdu and English"
HOLLYBANK = "Hollybank Community Learning (demo)"
REFERENCE = re.compile(r"Referral ([0-9A-Z]{4}-[0-9A-Z]{4})")


def result_card(page, service_name: str):
    """The search result (a list item) whose heading links to the named service."""
    return page.locator("ol.card-list > li").filter(has=page.get_by_role("link", name=service_name, exact=True))


def status_of(page):
    """The Status value on a referral page."""
    return page.locator(".summary-list div").filter(has=page.locator("dt", has_text="Status")).locator("dd")


def assert_error_summary_links_to(page, field_id: str, message: str | re.Pattern) -> None:
    """The error summary is shown and focused (as error-summary.js does, so it is announced), and its link takes
    keyboard users to the field."""
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name=message)
    expect(link).to_have_attribute("href", f"#{field_id}")
    link.click()
    expect(page.locator(f"#{field_id}")).to_be_focused()


def test_searching_by_postcode_and_language_and_a_postcode_that_is_not_one(page):
    page.goto("/services")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a local service")
    assert_accessible(page)

    page.get_by_label("Postcode", exact=True).fill("M13")
    page.get_by_label("Language", exact=True).select_option(label="Urdu")
    page.get_by_label("Postcode", exact=True).press("Enter")  # submit from the keyboard

    expect(page).to_have_url(re.compile(r"near=M13.*language=ur|language=ur.*near=M13"))
    expect(page.get_by_role("status")).to_contain_text("found near M13")
    card = result_card(page, URDU_SERVICE)
    expect(card).to_have_count(1)
    expect(card).to_contain_text(HOLLYBANK)
    expect(card.locator("dd").first).to_have_text(re.compile(r"^\d+\.\d km$"))
    expect(card.get_by_role("listitem").filter(has_text="Taught in Urdu")).to_have_count(1)
    expect(page.get_by_label("Language", exact=True)).to_have_value("ur")
    assert_accessible(page)

    for not_a_postcode, message in (
            ("ZZ99 9ZZ", "We cannot find the postcode area ZZ99. Check the postcode and try again."),
            ("hello", "“hello” is not a UK postcode. Enter one like M13 9PL, or just M13.")):
        page.get_by_label("Postcode", exact=True).fill(not_a_postcode)
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page).to_have_title(re.compile(r"^Error: "))
        assert_error_summary_links_to(page, "near", message)
        expect(page.get_by_label("Postcode", exact=True)).to_have_value(not_a_postcode)
        near_error = page.locator("#near-error")
        expect(near_error).to_be_visible()
        expect(page.get_by_label("Postcode", exact=True)).to_have_attribute(
            "aria-describedby", re.compile(r"\bnear-error\b"))
        expect(page.locator("ol.card-list")).to_have_count(0)
        assert_accessible(page)


def refer_mohammed(page) -> str:
    """Staff: from the dashboard to a submitted referral for Mohammed Khan; returns the referral page's path."""
    sign_in(page, "staff@demo.skillshub.test")
    page.get_by_label("Name or learner number").fill("Khan")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Mohammed Khan").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mohammed Khan")
    assert_accessible(page)

    page.get_by_role("link", name="Find a service for Mohammed").click()
    expect(page.get_by_text("You are searching for Mohammed Khan")).to_be_visible()
    expect(page.get_by_label("Postcode", exact=True)).to_have_value("M13 9GH")
    expect(page.get_by_label("Language", exact=True)).to_have_value("ur")
    expect(page.get_by_role("status")).to_contain_text("found near M13 9GH")
    card = result_card(page, URDU_SERVICE)
    expect(card.locator("dd").first).to_have_text(re.compile(r"^\d+\.\d km$"))
    assert_accessible(page)

    card.get_by_role("link", name=URDU_SERVICE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(URDU_SERVICE)
    assert_accessible(page)

    page.get_by_role("link", name="Refer Mohammed Khan").click()
    expect(page).to_have_url(re.compile(r"/referrals/new\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer Mohammed Khan")
    assert_accessible(page)

    page.get_by_label("What does Mohammed Khan need help with?").fill("Wants to use WhatsApp to call family, in Urdu.")
    with page.expect_response(lambda r: r.request.method == "POST" and "/referrals/new" in r.url) as sent:
        page.get_by_role("button", name="Send the referral").click()
    assert sent.value.status == 422, f"without permission: {sent.value.status}"
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_error_summary_links_to(page, "permission", "Tick the box to agree to share this with the provider.")
    expect(page.get_by_label("What does Mohammed Khan need help with?")).to_have_value(
        "Wants to use WhatsApp to call family, in Urdu.")
    assert_accessible(page)

    page.get_by_label("Access needs (optional)").fill("Large print, please.")
    # Mohammed has no email or phone: the library is the only way, so it is already chosen.
    expect(page.get_by_role("group", name="How should the provider get in touch with Mohammed Khan?")
           .get_by_role("radio")).to_have_count(1)
    expect(page.get_by_label(re.compile(r"^Through the library: Central Library"))).to_be_checked()
    page.get_by_label("In person, today").check()  # how permission was given is always chosen, never assumed
    page.get_by_label(f"Mohammed Khan agrees that we share this with {HOLLYBANK}").check()
    page.get_by_role("button", name="Send the referral").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(REFERENCE)
    expect(page.get_by_role("status")).to_contain_text(f"sent to {HOLLYBANK}")
    expect(status_of(page)).to_have_text("Submitted")
    assert_accessible(page)
    return re.sub(r"^https?://[^/]+", "", page.url)


def signed_in_elsewhere(browser, live_server, email: str):
    """A new browser context (its own cookies), signed in as `email`, with the page the sign-in lands on."""
    context = browser.new_context(base_url=live_server, bypass_csp=True)
    other = context.new_page()
    other.set_default_timeout(30_000)
    sign_in(other, email)
    return context, other


def test_staff_refer_a_resident_and_the_provider_takes_it_to_completed(page, browser, live_server):
    referral_path = refer_mohammed(page)
    reference = REFERENCE.search(page.get_by_role("heading", level=1).inner_text()).group(1)

    context, provider = signed_in_elsewhere(browser, live_server, "provider@demo.skillshub.test")
    try:
        expect(provider).to_have_url(re.compile(r"/provider$"))
        expect(provider.get_by_role("heading", level=1)).to_have_text("Referral inbox")
        row = provider.get_by_role("row").filter(has=provider.get_by_role("link", name=reference))
        expect(row).to_have_count(1)
        expect(row.get_by_role("cell").first).to_contain_text("New")
        expect(row).to_contain_text(URDU_SERVICE)
        expect(row.get_by_role("cell").nth(2)).to_have_text("Submitted")
        assert_accessible(provider)

        row.get_by_role("link", name=reference).click()
        expect(provider).to_have_url(re.compile(re.escape(referral_path) + "$"))
        expect(status_of(provider)).to_have_text("Viewed")
        shared = provider.locator(".summary-list").nth(1)
        expect(shared).to_contain_text("Mohammed Khan")
        expect(shared).to_contain_text("Wants to use WhatsApp to call family, in Urdu.")
        expect(shared).to_contain_text("Large print, please.")
        expect(shared).to_contain_text("Through the library: Central Library")
        referrer = provider.locator(".summary-list").nth(2)
        expect(referrer).to_contain_text(re.compile(r"Referred by\s*Sam O.Brien at Central Library"))
        expect(referrer).to_contain_text("4 Portico Walk")
        expect(referrer.get_by_role("link", name="0161 496 0100")).to_have_attribute("href", "tel:01614960100")
        expect(referrer).to_contain_text("Saturday: 10am to 4pm")
        expect(provider.get_by_role("button", name="Mark as declined")).to_be_visible()
        expect(provider.get_by_role("group", name="Declined: why?")).to_be_visible()
        assert_accessible(provider)

        for action, now in (("Mark as accepted", "Accepted"), ("Mark as in progress", "In progress"),
                            ("Mark as completed", "Completed")):
            provider.get_by_role("button", name=action, exact=True).click()
            expect(status_of(provider)).to_have_text(now)
            expect(provider.get_by_role("status")).to_contain_text(f"is now {now.lower()}")
            assert_accessible(provider)
        expect(provider.get_by_role("button", name=re.compile(r"^Mark as"))).to_have_count(0)

        provider.get_by_role("link", name="Referral inbox").click()
        done = provider.get_by_role("row").filter(has=provider.get_by_role("link", name=reference))
        expect(done.get_by_role("cell").nth(2)).to_have_text("Completed")
        expect(done.get_by_role("cell").first).not_to_contain_text("New")
        assert_accessible(provider)
    finally:
        context.close()

    page.reload()
    expect(status_of(page)).to_have_text("Completed")
    history = page.locator("ol.history")
    for step in ("Submitted", "Viewed", "Accepted", "In progress", "Completed"):
        expect(history).to_contain_text(step)
    assert_accessible(page)


def test_another_provider_can_neither_open_nor_list_the_referral(page, browser, live_server):
    referral_path = refer_mohammed(page)
    reference = REFERENCE.search(page.get_by_role("heading", level=1).inner_text()).group(1)

    context, other = signed_in_elsewhere(browser, live_server, "provider2@demo.skillshub.test")
    try:
        expect(other).to_have_url(re.compile(r"/provider$"))
        expect(other.get_by_role("link", name=reference)).to_have_count(0)
        expect(other.get_by_text(URDU_SERVICE)).to_have_count(0)
        assert_accessible(other)

        response = other.goto(referral_path)
        assert response is not None and response.status == 404, f"{referral_path} gave {response and response.status}"
        expect(other.get_by_role("heading", level=1)).to_be_visible()
        expect(other.get_by_text("Mohammed")).to_have_count(0)
        expect(other.get_by_text("WhatsApp")).to_have_count(0)
        assert_accessible(other)
    finally:
        context.close()

    page.reload()  # the other provider's visit was no read receipt
    expect(status_of(page)).to_have_text("Submitted")
