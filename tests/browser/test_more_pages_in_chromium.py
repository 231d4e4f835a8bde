"""Every signed-in page added with referrals, outreach, imports, reports and data protection passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages_in_chromium import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PAGES = {
    "admin@demo.skillshub.test": ["/reports", "/reports?from=2026-01-01&to=2026-12-31", "/reports?from=nonsense",
                                  "/admin/directory", "/admin/providers", "/admin/deletions", "/admin",
                                  "/staff/duplicates"],
    "staff@demo.skillshub.test": ["/staff", "/staff/outreach/sessions", "/staff/duplicates", "/staff/imports",
                                  "/referrals", "/reports"],
    "provider@demo.skillshub.test": ["/provider", "/provider?status=nonsense"],
    "learner@demo.skillshub.test": ["/account", "/account/delete", "/referrals", "/my-learning",
                                    "/services?skill=being-safe-online"],
}


@pytest.mark.parametrize(("email", "path"), [(email, path) for email, paths in PAGES.items() for path in paths])
def test_signed_in_pages_pass_axe(page, email, path):
    sign_in(page, email)
    page.goto(path)
    assert_accessible(page)


def test_the_reports_page_fits_a_phone_and_its_tables_scroll_inside_the_page(page):
    sign_in(page, "admin@demo.skillshub.test")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(page)


# Every text of every chart, as Chromium draws it: where it ends, against the chart's own width and height.
CHART_TEXTS = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
    const box = svg.viewBox.baseVal;
    return [...svg.querySelectorAll('text')].map(text => {
        const drawn = text.getBBox();
        return {text: text.textContent, left: drawn.x, right: drawn.x + drawn.width, top: drawn.y,
                bottom: drawn.y + drawn.height, width: box.width, height: box.height};
    });
})"""


@pytest.mark.parametrize("width", [320, 1024])
def test_no_chart_text_on_the_reports_page_is_cut_off(page, width):
    sign_in(page, "admin@demo.skillshub.test")
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/reports")
    texts = page.evaluate(CHART_TEXTS)
    drawn = {item["text"] for item in texts}
    assert "Handling information and content" in drawn and "Longsight Library (demo)" in drawn
    assert any(text.endswith(" 2026") or text.endswith(" 2025") for text in drawn), "months in words"
    cut = [item for item in texts if item["left"] < 0 or item["right"] > item["width"]
           or item["top"] < 0 or item["bottom"] > item["height"]]
    assert cut == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_provider_edits_a_service_by_keyboard_and_the_form_passes_axe(page):
    sign_in(page, "provider@demo.skillshub.test")
    page.goto("/provider")
    page.get_by_role("link", name="change", exact=False).first.click()
    assert_accessible(page)
    name = page.get_by_label("Name of the service")
    name.fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.locator(".error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "name"
