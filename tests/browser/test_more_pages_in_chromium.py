"""Every signed-in page added with referrals, outreach, imports, reports and data protection passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_pages_in_chromium import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PAGES = {
    "admin@demo.skillshub.test": ["/admin/users", "/admin/audit",
                                  "/reports", "/reports?from=2026-01-01&to=2026-12-31", "/reports?from=nonsense",
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


# Long words as people really have them: a long double-barrelled name, a long email address, a long course title,
# a certificate code, a referral need with a web address and an audit entry with long details.
LONG_GIVEN = "Maximiliana-Wilhelmina"
LONG_FAMILY = "Featherstonehaugh-Cholmondeley"
LONG_EMAIL = "maximiliana.wilhelmina.featherstonehaugh-cholmondeley@longdomainname-example.test"
LONG_TITLE = "Understanding-and-managing-your-online-accounts-passwords-and-verification-codes safely"


@pytest.fixture
def long_content(app, demo, make_user, make_service, make_referral):
    """The demo with the longest names, addresses, titles and details a page will meet; returns paths to see."""
    from sqlalchemy import select, update

    from skills_hub import codes
    from skills_hub.accounts.models import Branch, Organisation, User
    from skills_hub.audit import services as audit
    from skills_hub.certificates.models import Certificate
    from skills_hub.courses.models import Course
    from skills_hub.extensions import db, utcnow
    from skills_hub.jobs.models import Job, JobStatus

    with app.app_context():
        branch = db.session.scalar(select(Branch).where(Branch.name == "Central Library"))
        organisation = db.session.scalar(select(Organisation).where(Organisation.name.like("Hollybank%")))
        staff = db.session.scalar(select(User).where(User.email == "staff@demo.skillshub.test"))
        organisation_id = organisation.id
        db.session.expunge(branch)
        db.session.expunge(staff)
        db.session.execute(update(Course).where(Course.slug == "using-email").values(title=LONG_TITLE))
        db.session.commit()
    learner = make_user(given_name=LONG_GIVEN, family_name=LONG_FAMILY, email=LONG_EMAIL, branches=[branch],
                        learner_number=codes.generate(8))
    service = make_service(organisation_id=organisation_id,
                           name="Digital-inclusion-drop-in-for-smartphones-and-tablets")
    referral = make_referral(staff, learner, service,
                             need="Wants help with https://www.gov.uk/apply-universal-credit/how-to-claim-online-step",
                             contact_method=LONG_EMAIL)
    with app.app_context():
        db.session.add(Job(kind="email.certificate_issued", status=JobStatus.FAILED, attempts=5, finished_at=utcnow(),
                           last_error=f"SMTPRecipientsRefused: {{'{LONG_EMAIL}': (550, b'5.1.1 no such mailbox')}}"))
        audit.record("account.email_changed_after_confirmation_from_the_link", learner.id, actor_id=staff.id,
                     old_address=LONG_EMAIL, reason="https://example.test/" + "a-very-long-path-segment" * 4)
        db.session.commit()
        code = db.session.scalar(select(Certificate.code).limit(1))
    return {"learner": learner.id, "referral": referral.id, "code": code}


NARROW_PAGES = {
    "learner@demo.skillshub.test": ["/my-learning", "/skills-check", "/referrals", "/account", "/services"],
    "staff@demo.skillshub.test": ["/staff", "/staff/outreach/sessions", "/staff/imports", "/staff/residents/{learner}",
                                  "/staff/residents/lookup?q=Featherstonehaugh", "/referrals", "/referrals/{referral}",
                                  "/reports", "/skills-check"],
    "provider@demo.skillshub.test": ["/provider", "/referrals/{referral}"],
    "admin@demo.skillshub.test": ["/admin", "/admin/users", "/admin/users?q=" + LONG_FAMILY, "/admin/providers",
                                  "/admin/audit", "/admin/places", "/admin/certificates", "/admin/certificates/{code}",
                                  "/admin/certificates/find?q=" + LONG_FAMILY, "/admin/certificates/find?q=Demo",
                                  "/admin/directory", "/admin/deletions",
                                  "/staff", "/staff/residents/{learner}", "/referrals", "/reports"],
}
WIDTH_OF_PAGE = "document.documentElement.scrollWidth"


def too_wide_at_320(page, paths) -> dict[str, int]:
    widths = {}
    for path in paths:
        page.goto(path)
        widths[path] = page.evaluate(WIDTH_OF_PAGE)
    return {path: width for path, width in widths.items() if width > 320}


@pytest.mark.parametrize("email", list(NARROW_PAGES))
def test_every_page_of_each_role_fits_a_320px_phone_with_long_names_and_details(page, long_content, email):
    sign_in(page, email)
    page.set_viewport_size({"width": 320, "height": 640})
    paths = [path.format(**long_content) for path in NARROW_PAGES[email]]
    assert too_wide_at_320(page, paths) == {}


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit", "/admin/providers", "/admin",
                                  "/admin/certificates/find?q=Demo"])
def test_tables_on_a_phone_pass_axe_and_a_wide_one_scrolls_in_its_own_labelled_region(page, long_content, path):
    sign_in(page, "admin@demo.skillshub.test")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    assert page.evaluate(WIDTH_OF_PAGE) <= 320
    assert_accessible(page)
    assert page.locator("table").count() > 0
    for table in page.locator("table").all():
        if table.evaluate("t => t.closest('.table-scroll') === null"):
            cells = table.locator("tbody tr").first.locator("th, td").all()
            assert len({round(cell.bounding_box()["x"]) for cell in cells}) == 1, "rows read down, not squeezed"
    for region in page.locator(".table-scroll").all():
        assert region.get_attribute("role") == "region" and region.get_attribute("tabindex") == "0"
        assert region.get_attribute("aria-label")


def test_a_sign_up_sheet_dry_run_with_long_names_fits_a_320px_phone(page, demo):
    sign_in(page, "staff@demo.skillshub.test")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/staff/imports")
    sheet = ("First name,Family name,Date of birth,Postcode,Email,Phone,Preferred language\n"
             f"{LONG_GIVEN},{LONG_FAMILY},27/03/1960,M13 9GH,{LONG_EMAIL},0161 496 0000,en\n"
             "Grace,,31/02/1960,not a postcode,not-an-email,12,xx\n")
    page.get_by_label("Sign-up sheet (CSV file)").set_input_files(
        {"name": "sign-up.csv", "mimeType": "text/csv", "buffer": sheet.encode()})
    page.get_by_role("button", name="Check the sheet").click()
    expect(page.get_by_text(LONG_FAMILY).first).to_be_visible()
    assert page.evaluate(WIDTH_OF_PAGE) <= 320


def test_a_residents_skills_profile_and_quiz_result_fit_a_320px_phone(page, long_content):
    sign_in(page, "learner@demo.skillshub.test")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/skills-check")
    for group in page.locator("fieldset").all():
        group.locator("input[type=radio]").last.check()
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_role("heading", name="Your skills profile")).to_be_visible()
    assert page.evaluate(WIDTH_OF_PAGE) <= 320
    row = page.locator("table tbody tr").first.locator("th, td").all()
    lefts = {round(cell.bounding_box()["x"]) for cell in row}
    assert len(row) == 5 and len(lefts) == 1, "on a phone each skill area reads down the page, not squeezed across"
    assert_accessible(page)
    page.goto("/courses/using-email/check")
    for group in page.locator("fieldset").all():
        group.locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_text("Your answers")).to_be_visible()
    assert page.evaluate(WIDTH_OF_PAGE) <= 320


def test_the_one_time_pins_page_reads_row_by_row_on_a_phone(page, long_content):
    sign_in(page, "staff@demo.skillshub.test")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"/staff/residents/{long_content['learner']}")
    page.evaluate("""learner => {
        const form = document.createElement('form');
        form.method = 'post';
        form.action = '/staff/pins';
        for (const [name, value] of [['csrf_token', document.querySelector('[name=csrf_token]').value],
                                     ['learner_id', learner]]) {
            const input = Object.assign(document.createElement('input'), {type: 'hidden', name, value});
            form.append(input);
        }
        document.body.append(form);
        form.submit();
    }""", str(long_content["learner"]))
    expect(page.get_by_text(LONG_FAMILY).first).to_be_visible()
    assert page.evaluate(WIDTH_OF_PAGE) <= 320
    cells = page.locator("table tbody tr").first.locator("th, td").all()
    assert len(cells) == 4 and len({round(cell.bounding_box()["x"]) for cell in cells}) == 1
    assert_accessible(page)


def test_short_inputs_are_short_and_date_of_birth_boxes_fit_what_they_hold(page):
    """A certificate code or postcode box is 12rem at most, not as wide as a name box; day and month boxes are
    narrow and styled like every other input."""
    page.set_viewport_size({"width": 1024, "height": 800})
    page.goto("/verify")
    assert page.locator("#code").evaluate("e => e.getBoundingClientRect().width") <= 12 * 16
    sign_in(page, "staff@demo.skillshub.test")
    page.goto("/staff/residents/new")
    day = page.locator("input[name=date_of_birth-day], input[id$=day]").first
    assert day.evaluate("e => e.getBoundingClientRect().width") <= 4 * 16
    assert day.evaluate("e => getComputedStyle(e).borderTopWidth") == "2px"
    phone = page.locator("input[type=tel]").first
    assert phone.evaluate("e => getComputedStyle(e).borderTopWidth") == "2px"
