"""A sign-up sheet in headless Chromium: choose the file, read the dry run, forget the agreement tick (the sheet is
kept), tick it and import; the result has its own address, so reloading it adds nobody and shows no PIN."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from skills_hub.accounts.models import Role, User
from skills_hub.extensions import db
from tests.browser.test_pages_in_chromium import assert_accessible, sign_in

pytestmark = pytest.mark.browser

STAFF = "staff@demo.skillshub.test"
# Excel's "CSV (Comma delimited)" on a UK PC: Windows-1252, CRLF.
EXCEL_SHEET = ("First name,Last name,DOB,Postcode\r\n"
               "Siobhán,Ó Súilleabháin,12/04/1961,M13 9PL\r\n"
               "Zoë,Núñez,31/02/1990,M13 9PL\r\n"
               '"=HYPERLINK(""http://evil.test/x"",""Click me"")",Jones,,\r\n').encode("cp1252")


def residents(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.LEARNER))


def test_check_forget_the_tick_keep_the_sheet_then_import_and_reload_the_result(app, page):
    before = residents(app)
    sign_in(page, STAFF)
    page.goto("/staff/imports")
    expect(page.get_by_label("Everyone on this sheet agreed", exact=False)).to_have_count(0)  # asked after
    page.get_by_label("Sign-up sheet (CSV file)").set_input_files(
        {"name": "sign-up.csv", "mimeType": "text/csv", "buffer": EXCEL_SHEET})
    page.get_by_role("button", name="Check the sheet").click()

    expect(page.get_by_role("heading", name="Check the sign-up sheet", level=1)).to_be_visible()
    check_url = page.url
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="Siobhán Ó Súilleabháin")).to_contain_text("Will be added")
    expect(table.get_by_role("row").filter(has_text="Zoë Núñez")).to_contain_text("Will be left out")
    expect(table.get_by_role("row").filter(has_text="Jones")).to_contain_text("Check this row")
    expect(page.get_by_text("It starts with “=”, so a spreadsheet could run it as a formula.").first).to_be_visible()
    assert_accessible(page)

    # Forget the agreement: the check comes back with the problem named, the row tick kept, nothing added.
    page.get_by_label(re.compile(r"Add line 4 as written")).check()
    page.get_by_role("button", name=re.compile(r"^Import 1 resident")).click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Tick the box to say everyone on the sheet"))).to_be_visible()
    expect(page.get_by_label(re.compile(r"Add line 4 as written"))).to_be_checked()
    expect(page.get_by_role("heading", name="Check the sign-up sheet", level=1)).to_be_visible()
    assert_accessible(page)
    assert residents(app) == before

    page.get_by_label("Everyone on this sheet agreed to the privacy notice on the paper sign-up sheet").check()
    page.get_by_role("button", name=re.compile(r"^Import 1 resident")).click()
    expect(page.get_by_role("heading", name="Sign-up sheet imported", level=1)).to_be_visible()
    assert page.url == check_url  # post, then redirect: the result has the import's own address
    assert residents(app) == before + 2
    result = page.locator("main").inner_text()
    expect(page.get_by_role("row").filter(has_text="Zoë Núñez")).to_contain_text("Not added: needs fixing")
    expect(page.get_by_role("button", name="Make PINs for 2 residents")).to_be_visible()
    assert page.locator('input[name="pin"]').count() == 0
    assert_accessible(page)

    page.reload()  # sends no form again
    expect(page.get_by_role("heading", name="Sign-up sheet imported", level=1)).to_be_visible()
    assert page.locator("main").inner_text() == result
    assert page.locator('input[name="pin"]').count() == 0 and residents(app) == before + 2

    page.get_by_role("button", name="Make PINs for 2 residents").click()
    expect(page.locator('input[name="pin"]')).to_have_count(2)


def test_the_tick_box_quotes_a_formula_full_name_and_a_double_click_on_import_keeps_the_first_result(app, page):
    """A double click may send the form twice: the page shows the first import's result, with its PIN button."""
    family = f"Trần-{uuid.uuid4().hex[:6]}"
    sheet = ("First name,Family name,Full name as they write it\r\n"
             f"Hương,{family},Nguyễn Thị Hương {family}\r\n"
             f"秀英,王{family[-6:]},\r\n"
             f'Ann,Lee{family[-6:]},"=HYPERLINK(""http://evil.test"")"\r\n').encode()
    before = residents(app)
    sign_in(page, STAFF)
    page.goto("/staff/imports")
    page.get_by_label("Sign-up sheet (CSV file)").set_input_files(
        {"name": "sign-up.csv", "mimeType": "text/csv", "buffer": sheet})
    page.get_by_role("button", name="Check the sheet").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text=f"Nguyễn Thị Hương {family}")).to_contain_text("Will be added")
    expect(table.get_by_role("row").filter(has_text=f"王{family[-6:]}秀英")).to_contain_text("Will be added")
    expect(page.get_by_label('Add line 4 as written: =HYPERLINK("http://evil.test"), with Full name as they write '
                             'it “=HYPERLINK("http://evil.test")”', exact=True)).not_to_be_checked()
    assert_accessible(page)

    page.get_by_label("Everyone on this sheet agreed to the privacy notice on the paper sign-up sheet").check()
    page.get_by_role("button", name=re.compile(r"^Import 2 residents")).dblclick()
    expect(page.get_by_role("heading", name="Sign-up sheet imported", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Make PINs for 2 residents")).to_be_visible()
    expect(page.locator(".summary-list div").first).to_have_text(re.compile(r"^Added\s*2$"))
    assert residents(app) == before + 2
