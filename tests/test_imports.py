"""Importing sign-up sheets (CSV): the dry run, the import, real spreadsheets' quirks, the report and who may."""

from __future__ import annotations

import csv
import http.client
import io
import re
import threading
import uuid
import zipfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from skills_hub.accounts.models import Consent, Role, User
from skills_hub.audit.models import AuditEvent
from skills_hub.errors import Conflict
from skills_hub.exports import safe_cell
from skills_hub.extensions import db, utcnow
from skills_hub.imports import services, sheets
from skills_hub.imports.models import LearnerImport
from skills_hub.languages import language_code
from skills_hub.outreach.models import SuspectedDuplicate
from tests.conftest import csrf_token_from, live_server

FIXTURES = Path(__file__).parent / "fixtures" / "csv"
HEADER = "First name,Family name,Date of birth,Postcode,Email,Phone,Preferred language"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sheet(*rows: str, header: str = HEADER, end: str = "\n") -> bytes:
    return end.join([header, *rows]).encode() + end.encode()


@pytest.fixture
def staff(branch, staff_in):
    return staff_in(branch, email="staff-a@example.test")


@pytest.fixture
def api(client, staff, bearer):
    """POST a sheet to the import endpoint as `staff` (or as `headers`), with query parameters."""

    def post(data: bytes | None, *, headers=None, filename="sheet.csv", form=None, body=False, consent=True,
             **params):
        if consent and "import_id" not in params and not (form and "consent_method" in form):
            params = {"consent_notice_version": "2026-11", "consent_method": "paper", **params}
        path = "/api/v1/imports/learners" + (f"?{urlencode(params)}" if params else "")
        headers = headers or bearer(staff)
        if data is None:
            return client.post(path, headers=headers)
        if body:  # the test client spools a multipart body over 500 kB to a file it never closes
            return client.post(path, headers=headers, content_type="text/csv", data=data)
        return client.post(path, headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), filename), **(form or {})})

    return post


def learners(app, *where) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(select(User).where(User.role == Role.LEARNER, *where)
                                       .order_by(User.created_at)))


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def statuses(body) -> list[tuple[int, str]]:
    return [(row["line"], row["status"]) for row in body["rows"]]


def report_cells(response) -> list[list[str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


# Real spreadsheets -------------------------------------------------------------------------------------------------

def test_a_dry_run_of_a_bom_crlf_semicolon_sheet_says_what_would_happen_and_adds_nobody(app, api):
    response = api(fixture("bom_crlf_semicolon.csv"), dry_run="true")
    assert response.status_code == 200, response.json
    body = response.json
    # Blank lines and Excel's empty row (;;;;;;;) count as lines, but are not residents.
    assert statuses(body) == [(2, "would_create"), (4, "would_create"), (6, "would_create"), (7, "would_create")]
    assert (body["would_create"], body["created"], body["already_imported"], body["duplicates"], body["errors"]) \
        == (4, 0, 0, 0, 0)
    assert body["unrecognised_columns"] == ["Notes"] and body["dry_run"] is True
    assert learners(app) == [] and count(app, Consent) == 0
    with app.app_context():
        record = db.session.get(LearnerImport, uuid.UUID(body["import_id"]))
        assert record.dry_run and record.raw == fixture("bom_crlf_semicolon.csv") and record.counts["would_create"] == 4


def test_importing_the_bom_crlf_semicolon_sheet_reads_every_quirk(app, api, staff, branch):
    response = api(fixture("bom_crlf_semicolon.csv"))
    assert response.status_code == 200, response.json
    body = response.json
    assert statuses(body) == [(2, "created"), (4, "created"), (6, "created"), (7, "created")]
    assert response.headers["Cache-Control"] == "no-store"
    # No PIN is made in a sheet: rows without an email say pin_pending (line 4 has an email: nothing pending).
    assert all(row["pin_pending"] is True for row in body["rows"] if row["line"] != 4)
    assert "pin_pending" not in body["rows"][1] and all(len(row["learner_number"]) == 9 for row in body["rows"])
    assert all("pin" not in row for row in body["rows"])
    people = {(p.given_name, p.family_name): p for p in learners(app)}
    assert all(p.pin_hash is None for p in people.values())
    siobhan = people[("Siobhán", "O'Brien")]
    assert (str(siobhan.date_of_birth), siobhan.postcode, siobhan.phone, siobhan.preferred_language) \
        == ("1961-04-12", "M13 9PL", "07700 900123", "en")
    nguyen = people[("Nguyễn", "Văn An")]
    assert (str(nguyen.date_of_birth), nguyen.postcode, nguyen.email, nguyen.preferred_language) \
        == ("1985-07-01", "M13 9PL", None, "vi")  # the address counts once its owner confirms it
    with app.app_context():
        from skills_hub.accounts import tokens

        assert tokens.pending_email(db.session.get(User, nguyen.id)) == "an.nguyen@example.test"
    mohammed = people[("محمد", "Khan")]
    assert (str(mohammed.date_of_birth), mohammed.postcode, mohammed.phone, mohammed.preferred_language) \
        == ("1990-09-03", "SW1A 1AA", "0161 496 0000", "ur")
    assert ("Mary Anne", "O'Neill-Smith") in people
    with app.app_context():
        consents = list(db.session.scalars(select(Consent)))
        assert len(consents) == 4
        assert {(c.notice_version, c.given_by, c.method, c.recorded_by_id) for c in consents} \
            == {("2026-11", "learner", "paper", staff.id)}
        [entry] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "learners.imported"))
        assert entry.actor_id == staff.id and entry.details["created"] == "4"
        assert entry.details["import_id"] == body["import_id"]
        assert not {"Siobhán", "O'Brien", "M13 9PL"} & set(entry.details.values())  # never personal data
        record = db.session.get(LearnerImport, uuid.UUID(body["import_id"]))
        assert not record.dry_run and record.raw is None and record.branch_id == branch.id
        assert all("pin" not in row for row in record.rows)


def test_a_windows_1252_sheet_from_excel_keeps_its_accents(app, api):
    raw = fixture("excel_uk_cp1252.csv")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really Windows-1252
    response = api(raw)
    assert response.status_code == 200, response.json
    assert [row["status"] for row in response.json["rows"]] == ["created"] * 4
    people = {p.given_name: p for p in learners(app)}
    assert set(people) == {"Siobhán", "Zoë", "Seán", "José"}
    assert people["Siobhán"].family_name == "Ó Súilleabháin"
    assert people["Siobhán"].phone == "07700900456"  # Excel dropped the 0 of a number column
    assert (people["Siobhán"].preferred_language, people["Zoë"].preferred_language) == ("ga", "fr")
    assert str(people["Seán"].date_of_birth) == "1999-09-09" and people["Seán"].postcode == "M16 7AA"
    assert people["José"].family_name == "Núñez" and people["José"].preferred_language == "es"


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_any_line_end_and_delimiter_is_read(api, end, delimiter):
    rows = ["Grace", "Mensah", "12/04/1961", "m13 9pl"], ["Olu", "Adeyemi", "1990-01-31", "B338TH"]
    raw = end.join([delimiter.join(["first name", "SURNAME", "Date Of Birth", "postcode"]), "",
                    *(delimiter.join(row) for row in rows)]).encode()
    response = api(raw, dry_run="true")
    assert response.status_code == 200, response.json
    assert statuses(response.json) == [(3, "would_create"), (4, "would_create")]


def test_line_numbers_are_physical_lines_even_with_blank_lines_and_cells_over_two_lines(api):
    raw = b'\n'.join([HEADER.encode(), b"", b"", b'"Mary\nAnne",Smith,,,,,', b"", b"Grace,,,,,,"]) + b"\n"
    response = api(raw, dry_run="true")
    assert statuses(response.json) == [(4, "would_create"), (7, "error")]


def test_a_title_above_the_headings_is_skipped_and_lines_still_count_from_the_top(api):
    raw = "\r\n".join(["Central Library sign-up sheet,,,", "Saturday 28 November,,,", "", "Forename,Surname,DOB",
                        "Grace,Mensah,12/04/1961"]).encode("cp1252")
    response = api(raw, dry_run="true")
    assert response.status_code == 200, response.json
    assert statuses(response.json) == [(5, "would_create")] and response.json["unrecognised_columns"] == []


def test_headings_are_read_in_any_case_spacing_and_common_variants():
    for heading, name in [("  FIRST   name ", "given_name"), ("Given name", "given_name"), ("Forename", "given_name"),
                          ("SURNAME", "family_name"), ("Last Name", "family_name"), ("DOB", "date_of_birth"),
                          ("D.O.B.", "date_of_birth"), ("Date of birth (DD/MM/YYYY)", "date_of_birth"),
                          ("Post Code", "postcode"), ("E-mail", "email"), ("Email address", "email"),
                          ("Mobile", "phone"), ("Telephone", "phone"), ("Language", "preferred_language")]:
        assert sheets.FIELD_FOR_HEADING.get(sheets.compact(heading)) == name, heading


def test_dates_are_read_as_uk_or_iso_and_a_wrong_one_says_how_to_write_it():
    assert sheets.iso_date("27/03/1960") == sheets.iso_date("27/3/1960") == sheets.iso_date("1960-03-27") \
        == sheets.iso_date("27.03.1960") == sheets.iso_date("27/03/1960 00:00") == "1960-03-27"
    for text, words in [("31/02/1990", "not a real date"), ("03/27/1960", "not a real date"),
                        ("12/04/61", "year with 4 numbers"), ("next Tuesday", "day/month/year")]:
        with pytest.raises(ValueError, match=words):
            sheets.iso_date(text)


def test_languages_are_read_as_names_or_codes():
    assert [language_code(text) for text in ("Urdu", "urdu", "UR", "urd", "Polish", "pt-BR", "Punjabi",
                                                    "Farsi", "BSL")] \
        == ["ur", "ur", "ur", "ur", "pl", "pt-BR", "pa", "fa", "bfi"]
    with pytest.raises(ValueError, match="language name or code"):
        language_code("Klingonese")


# Rows that are not good ---------------------------------------------------------------------------------------------

def test_bad_rows_are_named_with_the_column_and_the_fix_and_the_good_rows_still_go_in(app, api):
    check = api(fixture("bad_rows.csv"), dry_run="true")
    assert check.status_code == 200
    rows = {row["line"]: row for row in check.json["rows"]}
    assert [line for line, row in rows.items() if row["status"] == "would_create"] == [2, 11]
    assert rows[3]["errors"] == {"Date of birth": ["This is not a real date. Write it as day/month/year, like "
                                                   "27/03/1960."]}
    assert rows[4]["errors"] == {"Date of birth": ["Enter a date of birth in the past, like 27/03/1960."]}
    assert "year with 4 numbers" in rows[5]["errors"]["Date of birth"][0]
    assert rows[6]["errors"] == {"Postcode": ["Enter a full UK postcode, like M13 9PL."]}
    assert rows[7]["errors"] == {"Email": ["Enter an email address like name@example.com."]}
    assert rows[8]["errors"] == {"Family name": ["Enter the family name."]}
    assert rows[9]["errors"] == {"First name": ["Enter the first name."]}
    assert list(rows[10]["errors"]) == ["Phone", "Preferred language"]
    assert rows[10]["errors"]["Preferred language"] == ["Write a language name or code, like Urdu or ur."]
    assert check.json["errors"] == 8 and learners(app) == []

    done = api(fixture("bad_rows.csv"))
    assert (done.json["created"], done.json["errors"]) == (2, 8)
    assert sorted(p.given_name for p in learners(app)) == ["Grace", "Hannah"]
    assert [row.get("errors") for row in done.json["rows"]] == [row.get("errors") for row in check.json["rows"]]


def test_a_phone_number_too_long_to_keep_is_a_row_error(app, api):
    done = api(sheet("Grace,Mensah,,,,+44 7700 900123 ext 12,", "Olu,Adeyemi,,,,+1234567890123456789 0,"))
    assert [row["status"] for row in done.json["rows"]] == ["error", "error"]
    assert done.json["rows"][1]["errors"] == {"Phone": ["Write the phone number in 20 characters or fewer, like "
                                                        "07700 900123."]}


def test_a_language_code_too_long_to_store_is_a_row_error_and_the_rows_around_it_go_in(app, api):
    code = "en-aaaaaaaa-bbbbbbbb-cccccccc-dddddddd"  # 38 characters: the column holds 35
    done = api(sheet("Grace,Mensah,,,,,", f"Olu,Adeyemi,,,,,{code}", "Ada,Obi,,,,,"))
    assert done.status_code == 200
    assert statuses(done.json) == [(2, "created"), (3, "error"), (4, "created")]
    assert sorted(p.given_name for p in learners(app)) == ["Ada", "Grace"] and count(app, Consent) == 2


def test_an_email_that_already_has_an_account_is_a_row_error_not_a_lost_sheet(app, api, make_user):
    make_user(Role.LEARNER, email="taken@example.test")
    raw = sheet("Grace,Mensah,,,TAKEN@example.test,,", "Olu,Adeyemi,,,olu@example.test,,",
                "Ada,Obi,,,olu@example.test,,")
    check = api(raw, dry_run="true")
    assert statuses(check.json) == [(2, "error"), (3, "would_create"), (4, "error")]
    assert "already has an account" in check.json["rows"][0]["errors"]["Email"][0]
    done = api(raw)
    assert statuses(done.json) == [(2, "error"), (3, "created"), (4, "error")]
    assert "already has an account" in done.json["rows"][2]["errors"]["Email"][0]


# Twice, repeats and duplicates ---------------------------------------------------------------------------------------

def test_importing_the_same_sheet_twice_adds_nobody_new(app, api):
    first = api(fixture("bom_crlf_semicolon.csv"))
    again = api(fixture("bom_crlf_semicolon.csv"))
    check = api(fixture("bom_crlf_semicolon.csv"), dry_run="true")
    assert [row["status"] for row in again.json["rows"]] == ["already_imported"] * 4
    assert [row["status"] for row in check.json["rows"]] == ["already_imported"] * 4
    assert [row["learner_id"] for row in again.json["rows"]] == [row["learner_id"] for row in first.json["rows"]]
    assert all("pin" not in row for row in again.json["rows"])
    assert len(learners(app)) == 4 and count(app, SuspectedDuplicate) == 0 and count(app, Consent) == 4


def test_the_same_person_twice_in_one_sheet_is_added_once(app, api):
    raw = sheet("Siobhán,O'Brien,12/04/1961,M13 9PL,,,", "Grace,Mensah,,,,,", "SIOBHAN,o'brien,1961-04-12,m139pl,,,",
                "Siobhán,O'Brien,12/04/1961,M13 9PL,,07700 900123,")
    check = api(raw, dry_run="true")
    assert statuses(check.json) == [(2, "would_create"), (3, "would_create"), (4, "already_imported"),
                                    (5, "already_imported")]
    done = api(raw)
    assert statuses(done.json) == [(2, "created"), (3, "created"), (4, "already_imported"), (5, "already_imported")]
    assert done.json["rows"][2]["learner_id"] == done.json["rows"][0]["learner_id"]
    assert len(learners(app)) == 2


def test_a_row_like_an_existing_resident_is_held_for_review(app, api, make_user, branch):
    existing = make_user(Role.LEARNER, email=None, given_name="Siobhán", family_name="O'Brien", branches=[branch],
                         date_of_birth=date(1961, 4, 12), postcode="M13 9PL", learner_number="DEM0001D")
    raw = sheet("Siobhan,O'Brian,12/04/1961,m13 9pl,,,", "Grace,Mensah,12/04/1961,M13 9PL,,,")
    check = api(raw, dry_run="true")
    assert statuses(check.json) == [(2, "duplicate_suspected"), (3, "would_create")]
    assert len(learners(app)) == 1 and count(app, SuspectedDuplicate) == 0
    done = api(raw)
    assert statuses(done.json) == [(2, "duplicate_suspected"), (3, "created")] and done.json["duplicates"] == 1
    [held] = learners(app, User.held_for_review.is_(True))
    assert str(held.id) == done.json["rows"][0]["learner_id"]
    assert held.learner_number is None and held.pin_hash is None and "pin" not in done.json["rows"][0]
    with app.app_context():
        [suspected] = db.session.scalars(select(SuspectedDuplicate))
        assert (suspected.source, suspected.candidate_ids) == ("csv", [str(existing.id)])
    again = api(raw)  # the held resident was made by the first import: not a second suspected duplicate
    assert statuses(again.json) == [(2, "already_imported"), (3, "already_imported")]
    assert count(app, SuspectedDuplicate) == 1


def test_two_rows_one_letter_apart_in_one_sheet_hold_the_second(app, api):
    raw = sheet("Grace,Mensah,12/04/1961,M13 9PL,,,", "Grace,Mensa,12/04/1961,M13 9PL,,,")
    assert statuses(api(raw, dry_run="true").json) == [(2, "would_create"), (3, "duplicate_suspected")]
    assert statuses(api(raw).json) == [(2, "created"), (3, "duplicate_suspected")]


# Files that are not sign-up sheets -----------------------------------------------------------------------------------

def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("raw", "words"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "This is a PDF"),
    (_xlsx(), "Excel workbook"),
    (bytes(range(256)) * 4, "not a CSV file"),
    (b"", "The file is empty"),
    (b"\xef\xbb\xbf\r\n\r\n  \r\n", "The file is empty"),
    (HEADER.encode() + b"\r\n\r\n", "no residents"),
    (b"Name,Age,Shoe size\nGrace Mensah,64,6\n", "First name and Family name columns"),
])
def test_a_file_that_is_not_a_sign_up_sheet_gets_a_plain_answer_naming_the_file(app, api, raw, words):
    response = api(raw, dry_run="true")
    assert response.status_code == 422, response.json
    assert response.mimetype == "application/problem+json"
    assert words in response.json["detail"] and list(response.json["errors"]) == ["file"]
    assert count(app, LearnerImport) == 0


def test_a_sheet_without_name_columns_lists_the_columns_it_has(api):
    response = api(b"Name,Age\nGrace Mensah,64\n")
    assert response.json["unrecognised_columns"] == ["Name", "Age"]


def test_a_file_too_big_or_too_long_is_413(app, api):
    row = "Grace,Mensah,12/04/1961,M13 9PL,grace@example.test,07700 900123,en"
    too_big = sheet(*([row + "," + "x" * 500] * 4200))
    assert len(too_big) > sheets.MAX_BYTES
    response = api(too_big, dry_run="true", body=True)
    assert response.status_code == 413 and "bigger than 2 MB" in response.json["detail"]
    too_long = sheet(*[f"Person,Number{n},,,,," for n in range(sheets.MAX_ROWS + 1)])
    response = api(too_long, dry_run="true")
    assert response.status_code == 413 and "more than 5,000 rows" in response.json["detail"]
    assert response.json["errors"] == {"file": ["The file has too many rows."]}
    assert api(sheet(*[f"Person,Number{n},,,,," for n in range(sheets.MAX_ROWS)]), dry_run="true").status_code \
        == 200
    assert count(app, LearnerImport) == 1


def test_a_body_over_the_apps_limit_is_413_before_it_is_read(app, api):
    response = api(b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1), body=True)
    assert response.status_code == 413


# The API's ways in -------------------------------------------------------------------------------------------------

def test_the_sheet_may_come_as_a_text_csv_body(app, client, staff, bearer):
    headers = {**bearer(staff), "Content-Type": "text/csv"}
    agreed = "consent_notice_version=2026-11&consent_method=paper"
    response = client.post(f"/api/v1/imports/learners?dry_run=true&{agreed}", headers=headers,
                           data=sheet("Grace,Mensah,,,,,"))
    assert response.status_code == 200 and statuses(response.json) == [(2, "would_create")]
    response = client.post(f"/api/v1/imports/learners?{agreed}", headers=headers, data=sheet("Grace,Mensah,,,,,"))
    assert response.status_code == 200 and statuses(response.json) == [(2, "created")]


def test_the_consent_may_come_as_form_fields_or_query_parameters(app, api, staff):
    assert api(sheet("Grace,Mensah,,,,,"), form={"consent_notice_version": "2026-11",
                                                 "consent_method": "in_person"}).status_code == 200
    assert api(sheet("Olu,Adeyemi,,,,,"), consent_method="phone").status_code == 200
    with app.app_context():
        assert sorted(db.session.scalars(select(Consent.method))) == ["in_person", "phone"]
    wrong = api(sheet("Ada,Obi,,,,,"), consent_notice_version="1999-01")
    assert wrong.status_code == 422 and "consent_notice_version" in wrong.json["errors"]
    wrong = api(sheet("Ada,Obi,,,,,"), form={"consent_method": "telepathy"})
    assert wrong.status_code == 422 and "consent_method" in wrong.json["errors"]
    twice = api(sheet("Ada,Obi,,,,,"), consent_method="paper", form={"consent_method": "paper"})
    assert twice.status_code == 422 and twice.json["errors"] == {"consent_method": ["Sent twice."]}
    unknown = api(sheet("Ada,Obi,,,,,"), colour="blue")
    assert unknown.status_code == 422 and unknown.json["errors"] == {"colour": ["Unknown field."]}
    assert [p.given_name for p in learners(app)] == ["Grace", "Olu"]


def test_no_file_is_422_and_json_is_415(client, staff, bearer, api):
    response = api(None)
    assert response.status_code == 422 and response.json["errors"] == {"file": ["Choose a CSV file to import."]}
    agreed = "?consent_notice_version=2026-11&consent_method=paper"
    response = client.post(f"/api/v1/imports/learners{agreed}", json={"rows": []}, headers=bearer(staff))
    assert response.status_code == 415
    response = client.post(f"/api/v1/imports/learners{agreed}", headers=bearer(staff),
                           content_type="multipart/form-data",
                           data={"sheet": (io.BytesIO(b"x"), "a.csv")})
    assert response.status_code == 422 and response.json["errors"] == {"sheet": ["Unknown field."]}


def test_a_dry_run_is_confirmed_by_its_import_id_once(app, api):
    check = api(fixture("bom_crlf_semicolon.csv"), dry_run="true")
    import_id = check.json["import_id"]
    done = api(None, import_id=import_id)
    assert done.status_code == 200 and done.json["import_id"] == import_id and done.json["created"] == 4
    assert api(None, import_id=import_id).status_code == 409
    assert api(fixture("bom_crlf_semicolon.csv"), import_id=import_id).status_code == 422
    assert len(learners(app)) == 4


def test_a_dry_run_forgets_its_file_after_a_day(app, api):
    from skills_hub.jobs.services import TICKS

    assert "import-files" in TICKS  # `flask jobs run` calls it every hour
    check = api(sheet("Grace,Mensah,,,,,"), dry_run="true")
    with app.app_context():
        assert services.forget_old_files(utcnow()) == 0
        assert services.forget_old_files(utcnow() + timedelta(days=1, minutes=1)) == 1
        db.session.commit()
    response = api(None, import_id=check.json["import_id"])
    assert response.status_code == 422 and "expired" in response.json["detail"]


# The report and formulas -------------------------------------------------------------------------------------------

def test_safe_cell_neutralises_what_a_spreadsheet_would_run():
    assert [safe_cell(v) for v in ("=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx", "O'Brien", "", None, -2, 3.5)] \
        == ["'=1+1", "'+44", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "O'Brien", "", "", "-2", "3.5"]


def test_cells_that_look_like_formulas_are_found_but_a_dash_alone_or_a_phone_number_is_not():
    raw = sheet('"=HYPERLINK(""http://evil.test/x"",""Click me"")",Jones,,,,,',
                "Ada,\tcmd,,,,,", "-,Obi,,,,+44 7700 900123,", "  @Sum,-2+3,,,,,", "Grace,Mensah,,,=a@x.test,,",
                "O'Brien,Nguyễn,-,,,-,")
    rows = sheets.read_sheet(raw).rows
    assert [row.formulas for row in rows] == [{"given_name": "="}, {"family_name": "\t"}, {},
                                              {"given_name": "@", "family_name": "-"}, {"email": "="}, {}]
    assert [sheets.looks_like_formula(cell) for cell in ("=1+1", " +Plus", "-Minus", "\rx", "-", " - ", "+",
                                                          "Siobhán", "王秀英", "محمد")] \
        == [True, True, True, True, False, False, False, False, False, False]
    assert rows[0].values["given_name"] == '=HYPERLINK("http://evil.test/x","Click me")'  # kept as written


def test_a_formula_row_is_not_added_without_a_staff_check_and_says_why(app, api):
    check = api(fixture("formula_injection.csv"), dry_run="true")
    assert statuses(check.json) == [(line, "check") for line in range(2, 7)]
    assert check.json["to_check"] == 5 and check.json["would_create"] == 0
    assert check.json["rows"][0]["errors"] == {"First name": [
        "It starts with “=”, so a spreadsheet could run it as a formula. Check it against the paper sheet."]}
    assert check.json["rows"][4]["errors"] == {"Family name": [
        "It starts with “=”, so a spreadsheet could run it as a formula. Check it against the paper sheet."]}
    done = api(fixture("formula_injection.csv"))
    assert done.json["created"] == 0 and done.json["to_check"] == 5 and learners(app) == []
    confirmed = api(None, import_id=check.json["import_id"])
    assert confirmed.json["created"] == 0 and learners(app) == []


def test_a_formula_row_with_another_problem_lists_both(api):
    body = api(sheet("=1+1,Mensah,31/02/1990,,,,"), dry_run="true").json
    assert statuses(body) == [(2, "error")]
    assert set(body["rows"][0]["errors"]) == {"First name", "Date of birth"}


def test_formula_names_staff_confirm_are_stored_as_text_and_never_run_from_the_report(app, client, staff_client):
    check = upload_page(staff_client, fixture("formula_injection.csv"))
    page = staff_client.get(check.headers["Location"])
    assert page.text.count('name="add_line"') == 5 and "Check this row" in page.text
    assert "Add line 2 as written: <bdi>=HYPERLINK(&#34;http://evil.example&#34;,&#34;Click&#34;) Jones</bdi>" \
        in page.text
    done = staff_client.post(check.headers["Location"] + "/confirm",
                             data={"csrf_token": csrf_token_from(page.text), "consent": "yes",
                                   "add_line": ["2", "3", "6"]})
    assert done.status_code == 303
    names = {p.given_name for p in learners(app)} | {p.family_name for p in learners(app)}
    assert names == {'=HYPERLINK("http://evil.example","Click")', "Jones", "+Plus", "Smith", "Normal", "=1+1"}
    with app.app_context():
        entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "learners.imported"))
        assert entry.details["confirmed_lines"] == "2, 3, 6" and entry.details["not_confirmed"] == "2"
    result = staff_client.get(done.headers["Location"]).text
    assert result.count("Not added: check this row") == 2 and "<bdi>-Minus Brown</bdi>" in result
    report = staff_client.get(f"/api/v1/imports/{done.headers['Location'].rsplit('/', 1)[1]}/report.csv")
    cells = [cell for row in report_cells(report) for cell in row]
    assert not [cell for cell in cells if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    assert "'=HYPERLINK(\"http://evil.example\",\"Click\")" in cells and "'=1+1" in cells and "'+Plus" in cells
    assert "'-Minus" in cells and "'@Sum" in cells  # not added, and still named


def test_the_report_lists_every_row_without_pins(app, client, api, staff, bearer):
    done = api(fixture("bad_rows.csv"))
    pending = [row["learner_id"] for row in done.json["rows"] if row.get("pin_pending")]
    made = client.post("/api/v1/learners/pins", json={"learner_ids": pending}, headers=bearer(staff))
    pins = [item["pin"] for item in made.json["pins"]]
    assert len(pins) == 2
    response = client.get(f"/api/v1/imports/{done.json['import_id']}/report.csv", headers=bearer(staff))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="sign-up-sheet-import-')
    rows = report_cells(response)
    assert rows[0] == services.REPORT_HEADER
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(2, 12)]
    by_line = {row[0]: row for row in rows[1:]}
    assert by_line["2"][1] == "Added" and len(by_line["2"][2]) == 9 and by_line["2"][3:5] == ["Grace", "Mensah"]
    assert by_line["2"][5] == "Grace Mensah"  # the full name as the account shows it
    assert by_line["3"][1] == "Not added: needs fixing" and by_line["3"][6].startswith("Date of birth: This is not")
    assert not any(pin in response.get_data(as_text=True) for pin in pins)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "learners.import_report_read")) == 1


# Who may -------------------------------------------------------------------------------------------------------------

def test_staff_import_only_into_their_own_branches(app, api, branch, make_branch, make_user, bearer):
    other = make_branch("Northside Library")
    response = api(sheet("Grace,Mensah,,,,,"), branch=str(other.id))
    assert response.status_code == 422 and "own branches" in response.json["errors"]["branch"][0]
    in_two = make_user(Role.STAFF, branches=[branch, other])
    response = api(sheet("Grace,Mensah,,,,,"), headers=bearer(in_two))
    assert response.status_code == 422 and "Choose which of your branches" in response.json["detail"]
    assert api(sheet("Grace,Mensah,,,,,"), headers=bearer(in_two), branch=str(other.id)).status_code == 200
    assert len(learners(app)) == 1


def test_admins_import_into_any_branch_they_name(app, api, make_user, bearer, branch):
    admin = make_user(Role.ADMIN)
    response = api(sheet("Grace,Mensah,,,,,"), headers=bearer(admin))
    assert response.status_code == 422 and response.json["errors"] == {"branch": ["Choose which branch the "
                                                                                  "residents join."]}
    response = api(sheet("Grace,Mensah,,,,,"), headers=bearer(admin), branch=str(uuid.uuid4()))
    assert response.status_code == 422
    response = api(sheet("Grace,Mensah,,,,,"), headers=bearer(admin), branch=str(branch.id))
    assert response.status_code == 200 and response.json["branch_id"] == str(branch.id)


def test_another_staff_members_import_is_404_and_learners_and_providers_are_403(app, client, api, branch, staff_in,
                                                                                make_user, bearer):
    done = api(sheet("Grace,Mensah,,,,,"))
    path = f"/api/v1/imports/{done.json['import_id']}/report.csv"
    colleague = staff_in(branch)
    response = client.get(path, headers=bearer(colleague))
    assert response.status_code == 404 and "nothing at this address" in response.json["detail"]
    assert api(None, import_id=done.json["import_id"], headers=bearer(colleague)).status_code == 404
    assert client.get(f"/api/v1/imports/{uuid.uuid4()}/report.csv", headers=bearer(colleague)).status_code == 404
    assert client.get("/api/v1/imports/not-a-uuid/report.csv", headers=bearer(colleague)).status_code == 404
    assert client.get(path, headers=bearer(make_user(Role.ADMIN))).status_code == 200
    for role in (Role.LEARNER, Role.PROVIDER):
        someone = make_user(role, branches=[branch] if role == Role.LEARNER else [])
        assert client.get(path, headers=bearer(someone)).status_code == 403
        assert api(sheet("Ada,Obi,,,,,"), headers=bearer(someone)).status_code == 403
    assert client.get(path).status_code == 401
    assert client.post("/api/v1/imports/learners", data=sheet("Ada,Obi,,,,,"),
                       content_type="text/csv").status_code == 401
    assert [p.given_name for p in learners(app) if p.given_name != "Siobhán"] == ["Grace"]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.PROVIDER])
def test_learners_and_providers_get_404_on_the_import_pages(client, make_user, login_as, role):
    login_as(make_user(role))
    for path in ("/staff/imports", "/staff/imports/template.csv", f"/staff/imports/{uuid.uuid4()}"):
        assert client.get(path).status_code == 404


# The staff pages ---------------------------------------------------------------------------------------------------

@pytest.fixture
def staff_client(client, staff, login_as):
    login_as(staff)
    return client


def upload_page(client, raw: bytes | None, filename="sign-up.csv", **form):
    page = client.get("/staff/imports")
    data = {"csrf_token": csrf_token_from(page.text), **form}
    if raw is not None:
        data["file"] = (io.BytesIO(raw), filename)
    return client.post("/staff/imports", data=data, content_type="multipart/form-data")


def test_the_template_has_the_columns_excel_opens_right(staff_client):
    response = staff_client.get("/staff/imports/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    template = "First name,Family name,Full name as they write it,Date of birth,Postcode,Email,Phone,Preferred language"
    assert response.get_data() == b"\xef\xbb\xbf" + template.encode() + b"\r\n"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sign-up-sheet-template.csv"'


def test_the_upload_page_links_the_template_and_hides_the_branch_for_one_branch(staff_client, staff, make_branch,
                                                                               app):
    html = staff_client.get("/staff/imports").text
    assert html.count("<h1>") == 1 and 'href="/staff/imports/template.csv"' in html
    assert 'type="file" id="file" name="file"' in html and "novalidate" in html and 'name="csrf_token"' in html
    assert '<select id="branch_id"' not in html and "The residents join Central Library" in html
    with app.app_context():
        from skills_hub.accounts.models import BranchMember

        db.session.add(BranchMember(user_id=staff.id, branch_id=make_branch("Northside Library").id))
        db.session.commit()
    assert '<select id="branch_id"' in staff_client.get("/staff/imports").text


def test_staff_check_a_sheet_import_it_then_make_the_pins_for_the_cards_once(app, staff_client):
    response = upload_page(staff_client, fixture("bad_rows.csv"))
    assert response.status_code == 303
    preview_path = response.headers["Location"]
    preview = staff_client.get(preview_path)
    html = preview.text
    assert preview.status_code == 200 and html.count("<h1>") == 1 and "Check the sign-up sheet" in html
    assert "<caption>" in html and '<th scope="col">Line</th>' in html and '<th scope="row">3</th>' in html
    assert "Date of birth: This is not a real date" in html and "Import 2 residents" in html
    assert learners(app) == []
    confirm_path = preview_path + "/confirm"
    done = staff_client.post(confirm_path, data={"csrf_token": csrf_token_from(html), "consent": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == preview_path  # post, then redirect
    done = staff_client.get(preview_path)
    people = learners(app)
    assert sorted(p.given_name for p in people) == ["Grace", "Hannah"]
    assert all(p.pin_hash is None for p in people)  # the import made no PIN
    for person in people:
        number = f"{person.learner_number[:4]}-{person.learner_number[4:]}"
        assert number in done.text
    assert 'name="pin"' not in done.text and "Make PINs for 2 residents" in done.text
    assert sorted(re.findall(r'name="learner_id" value="([^"]+)"', done.text)) == sorted(str(p.id) for p in people)
    assert f'href="/api/v1/imports/{preview_path.rsplit("/", 1)[1]}/report.csv"' in done.text
    # The button posts the ids to the PIN page (no JavaScript): each PIN once, with a card to print.
    made = staff_client.post("/staff/pins", data={"csrf_token": csrf_token_from(done.text),
                                                  "learner_id": [str(p.id) for p in people]})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    pins = re.findall(r'name="pin" value="(\d+)"', made.text)
    assert len(pins) == 2 and "only time these PINs are shown" in made.text
    with app.app_context():
        for person, pin in zip(sorted(people, key=lambda p: made.text.index(str(p.id))), pins, strict=True):
            assert check_password_hash(db.session.get(User, person.id).pin_hash, pin)
    later = staff_client.get(preview_path)
    assert "Sign-up sheet imported" in later.text and 'name="pin"' not in later.text
    assert "Make PINs" not in later.text  # made: a lost one is made again from the resident's page
    assert people[0].learner_number[:4] in later.text
    again = staff_client.post(confirm_path, data={"csrf_token": csrf_token_from(html), "consent": "yes"})
    assert again.status_code == 303 and len(learners(app)) == 2
    assert "imported already" in staff_client.get(again.headers["Location"]).text
    report = staff_client.get(f"/api/v1/imports/{preview_path.rsplit('/', 1)[1]}/report.csv")
    assert report.status_code == 200 and len(report_cells(report)) == 11


def test_the_page_reports_unrecognised_columns(staff_client):
    response = upload_page(staff_client, fixture("bom_crlf_semicolon.csv"))
    html = staff_client.get(response.headers["Location"]).text
    assert "Columns we did not use" in html and "Notes" in html and "Import 4 residents" in html


def test_the_upload_form_names_each_problem(staff_client):
    page = staff_client.get("/staff/imports")
    response = staff_client.post("/staff/imports", data={"csrf_token": csrf_token_from(page.text)},
                                 content_type="multipart/form-data")
    assert response.status_code == 422 and "<title>Error:" in response.text
    assert 'href="#file"' in response.text and 'id="consent"' not in response.text  # asked after the dry run
    response = upload_page(staff_client, b"%PDF-1.4\n", filename="sheet.pdf")
    assert response.status_code == 422 and "This is a PDF" in response.text and 'href="#file"' in response.text
    response = upload_page(staff_client, b"Name,Age\nGrace,3\n")
    assert response.status_code == 422 and "Columns we did not know" in response.text and "Age" in response.text
    response = upload_page(staff_client, sheet(*[f"A,B{n},,,,," for n in range(sheets.MAX_ROWS + 1)]))
    assert response.status_code == 413 and "more than 5,000 rows" in response.text


def test_a_sheet_with_nobody_new_offers_no_import_button(staff_client, api):
    api(sheet("Grace,Mensah,,,,,"))
    response = upload_page(staff_client, sheet("Grace,Mensah,,,,,"))
    html = staff_client.get(response.headers["Location"]).text
    assert "nobody new" in html and "Import 0" not in html and "/confirm" not in html


def test_a_colleagues_import_page_is_404(client, api, branch, staff_in, login_as):
    check = api(sheet("Grace,Mensah,,,,,"), dry_run="true")
    login_as(staff_in(branch))
    assert client.get(f"/staff/imports/{check.json['import_id']}").status_code == 404
    token = csrf_token_from(client.get("/staff/imports").text)
    assert client.post(f"/staff/imports/{check.json['import_id']}/confirm",
                       data={"csrf_token": token, "consent": "yes"}).status_code == 404


# The command line --------------------------------------------------------------------------------------------------

def test_the_command_checks_then_imports_a_sheet(app, staff, branch):
    runner = app.test_cli_runner()
    path = str(FIXTURES / "bad_rows.csv")
    result = runner.invoke(args=["learners", "import", path, "--branch", "central library", "--dry-run",
                                 "--by", staff.email])
    assert result.exit_code == 0, result.output
    assert "line 2: would_create" in result.output and "line 3: error — Date of birth: This is not" in result.output
    assert "would create: 2, already imported: 0, duplicates: 0, errors: 8" in result.output
    assert learners(app) == []
    result = runner.invoke(args=["learners", "import", path, "--branch", str(branch.id), "--by", staff.email,
                                 "--notice-version", "2026-11", "--method", "paper"])
    assert result.exit_code == 0, result.output
    assert "created: 2" in result.output and "line 2: created" in result.output
    assert sorted(p.given_name for p in learners(app)) == ["Grace", "Hannah"]
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "learners.imported"))
        assert entry.actor_id == staff.id
        assert db.session.scalar(select(LearnerImport.user_id).where(LearnerImport.dry_run.is_(False))) == staff.id


def test_the_command_says_what_is_wrong(app, staff, make_user, branch, tmp_path):
    runner = app.test_cli_runner()
    path = str(FIXTURES / "bad_rows.csv")
    result = runner.invoke(args=["learners", "import", path, "--branch", "Nowhere", "--by", staff.email])
    assert result.exit_code == 1 and "no branch called Nowhere" in result.output
    result = runner.invoke(args=["learners", "import", path, "--branch", "Central Library"])
    assert result.exit_code == 1 and "--by" in result.output
    admin = make_user(Role.ADMIN)
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    result = runner.invoke(args=["learners", "import", str(pdf), "--branch", "Central Library"])
    assert result.exit_code == 1 and "This is a PDF" in result.output
    result = runner.invoke(args=["learners", "import", path, "--branch", "Central Library", "--method", "fax"])
    assert result.exit_code == 1 and "Must be one of" in result.output
    result = runner.invoke(args=["learners", "import", path, "--branch", "Central Library"])
    assert result.exit_code == 0 and "created: 2" in result.output  # the only admin, by default
    with app.app_context():
        assert db.session.scalar(select(LearnerImport.user_id).where(LearnerImport.dry_run.is_(False))) == admin.id


def test_the_api_refuses_a_sheet_without_the_residents_agreement(app, api):
    response = api(sheet("Grace,Mensah,,,,,"), consent=False)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"consent_notice_version", "consent_method"}
    assert learners(app) == []


# Issue 15: the agreement asked once, after the dry run; post, then redirect; names kept --------------------------

WORLD_SHEET = "\r\n".join([HEADER, "Siobhán,Ó Súilleabháin,12/04/1961,M13 9PL,,,", "Văn An,Nguyễn,31/02/1985,,,,",
                           "محمد,Khan,03/09/1990,SW1A 1AA,,,Urdu", "秀英,王,,,not-an-email,,",
                           '"=HYPERLINK(""http://evil.test/x"",""Click me"")",Jones,,,,,', ""]).encode()


def check_page(client, raw: bytes) -> tuple[str, str]:
    """Upload a sheet on the staff page: the dry run's address and its HTML."""
    response = upload_page(client, raw)
    assert response.status_code == 303, response.text
    return response.headers["Location"], client.get(response.headers["Location"]).text


def test_forgetting_the_agreement_tick_shows_the_check_again_with_the_sheet_kept(app, staff_client):
    path, html = check_page(staff_client, WORLD_SHEET)
    assert 'id="consent"' in html and "Import 2 residents and the rows you ticked" in html
    response = staff_client.post(path + "/confirm", data={"csrf_token": csrf_token_from(html), "add_line": "6"})
    assert response.status_code == 422 and "<title>Error:" in response.text
    assert 'href="#consent"' in response.text and "Tick the box to say everyone on the sheet agreed" in response.text
    assert 'value="6" checked' in response.text  # the row ticked stays ticked
    assert "Check the sign-up sheet" in response.text and learners(app) == []
    with app.app_context():
        record = db.session.get(LearnerImport, uuid.UUID(path.rsplit("/", 1)[1]))
        assert record.dry_run and record.raw == WORLD_SHEET  # nothing to upload again
    done = staff_client.post(path + "/confirm", data={"csrf_token": csrf_token_from(response.text),
                                                      "consent": "yes", "add_line": "6"})
    assert done.status_code == 303 and done.headers["Location"] == path
    assert sorted(p.given_name for p in learners(app)) == ['=HYPERLINK("http://evil.test/x","Click me")', "Siobhán",
                                                           "محمد"]


def test_the_result_page_reloads_harmlessly_keeps_the_names_of_rows_not_added_and_shows_no_pin(app, staff_client):
    path, html = check_page(staff_client, WORLD_SHEET)
    done = staff_client.post(path + "/confirm", data={"csrf_token": csrf_token_from(html), "consent": "yes"})
    first = staff_client.get(done.headers["Location"])
    again = staff_client.get(done.headers["Location"])
    assert first.status_code == again.status_code == 200 and len(learners(app)) == 2
    for page in (first.text, again.text):
        assert "Sign-up sheet imported" in page and 'name="pin"' not in page
        assert "Make PINs for 2 residents" in page and 'action="/staff/pins"' in page
        for name in ("Siobhán Ó Súilleabháin", "Văn An Nguyễn", "محمد Khan", "王秀英",
                     "=HYPERLINK(&#34;http://evil.test/x&#34;,&#34;Click me&#34;) Jones"):
            assert f"<bdi>{name}</bdi>" in page, name
    # The same page both times (but for the forms' CSRF tokens, which carry the second they were made in).
    without_tokens = re.compile(r'name="csrf_token" value="[^"]*"')
    assert without_tokens.sub("", first.text) == without_tokens.sub("", again.text)
    report = staff_client.get(f"/api/v1/imports/{path.rsplit('/', 1)[1]}/report.csv")
    by_line = {row[0]: row for row in report_cells(report)[1:]}
    assert by_line["3"][1:5] == ["Not added: needs fixing", "", "Văn An", "Nguyễn"]
    assert by_line["5"][1:5] == ["Not added: needs fixing", "", "秀英", "王"]
    assert by_line["6"][1:5] == ["Not added: check this row", "", "'=HYPERLINK(\"http://evil.test/x\",\"Click me\")",
                                 "Jones"]


def test_a_windows_1252_sheet_keeps_the_names_of_rows_not_added(app, staff_client):
    raw = "First name,Last name,DOB\r\nSiobhán,Ó Súilleabháin,31/02/1961\r\nZoë,Núñez,01/01/1990\r\n".encode("cp1252")
    path, html = check_page(staff_client, raw)
    done = staff_client.post(path + "/confirm", data={"csrf_token": csrf_token_from(html), "consent": "yes"})
    page = staff_client.get(done.headers["Location"]).text
    assert "<bdi>Siobhán Ó Súilleabháin</bdi>" in page and "<bdi>Zoë Núñez</bdi>" in page
    with app.app_context():
        record = db.session.get(LearnerImport, uuid.UUID(path.rsplit("/", 1)[1]))
        assert record.raw is None and record.rows[0]["given_name"] == "Siobhán"  # the sheet itself is forgotten
        assert "given_name" not in record.rows[1]  # an added row names its resident, not a copy of the name


def test_a_problem_on_the_upload_step_keeps_the_library_and_says_to_choose_the_file_again(staff_client, staff,
                                                                                           make_branch, app):
    from skills_hub.accounts.models import BranchMember

    other, elsewhere = make_branch("Northside Library"), make_branch("Eastside Library")
    with app.app_context():
        db.session.add(BranchMember(user_id=staff.id, branch_id=other.id))
        db.session.commit()
    response = upload_page(staff_client, WORLD_SHEET, branch_id=str(elsewhere.id))
    assert response.status_code == 422 and "You can only import residents into your own branches" in response.text
    assert "Choose the sign-up sheet again" in response.text and 'href="#file"' in response.text
    response = upload_page(staff_client, None, branch_id=str(other.id))
    assert response.status_code == 422 and "Choose the sign-up sheet to import" in response.text
    assert f'value="{other.id}" selected' in response.text


def test_an_import_is_404_to_its_uploader_once_they_no_longer_work_at_that_branch(app, staff_client, staff, branch):
    from skills_hub.accounts.models import BranchMember

    path, _ = check_page(staff_client, WORLD_SHEET)
    with app.app_context():
        db.session.execute(BranchMember.__table__.delete().where(BranchMember.user_id == staff.id))
        db.session.commit()
    assert staff_client.get(path).status_code == 404


def test_erasing_a_resident_forgets_their_name_on_a_row_an_import_did_not_add(app, staff_client, make_user, branch,
                                                                              client, bearer):
    path, html = check_page(staff_client, WORLD_SHEET)
    staff_client.post(path + "/confirm", data={"csrf_token": csrf_token_from(html), "consent": "yes"})
    learner = make_user(Role.LEARNER, given_name="Văn An", family_name="Nguyễn", branches=[branch])
    assert client.post(f"/api/v1/learners/{learner.id}/erase", headers=bearer(make_user(Role.ADMIN))).status_code \
        == 200
    with app.app_context():
        rows = db.session.get(LearnerImport, uuid.UUID(path.rsplit("/", 1)[1])).rows
        assert [row.get("given_name") for row in rows] == [None, None, None, "秀英", '=HYPERLINK("http://evil.test/x",'
                                                                                      '"Click me")']
        assert rows[1]["errors"] and rows[1]["line"] == 3


def test_a_full_name_column_keeps_the_name_as_the_resident_writes_it(app, api):
    """Family name first for 王秀英 and Nguyễn Thị Hương; a blank full name falls back to given then family."""
    raw = sheet("秀英,王,王秀英", "Hương,Nguyễn,Nguyễn Thị Hương", "Siobhán,O'Brien,",
                header="First name,Family name,Full name")
    answer = api(raw)
    assert answer.status_code == 200, answer.json
    assert {row["status"] for row in answer.json["rows"]} == {"created"}
    shown = {learner.display_name for learner in learners(app)}
    assert shown == {"王秀英", "Nguyễn Thị Hương", "Siobhán O'Brien"}


# Confirming twice at once (a double click on "Import") ----------------------------------------------------------------

def _post_at_once(port: int, path: str, body: bytes, headers: dict, times: int = 2) -> list[tuple[int, str]]:
    """POST the same body from `times` threads released together (a double click, or a script sent twice)."""
    barrier = threading.Barrier(times)
    answers: list = [None] * times

    def send(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            barrier.wait()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answers[index] = (response.status, response.getheader("Location") or response.read().decode())
        except Exception as error:  # reported by the assertions, not as a thread warning
            answers[index] = (0, repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return answers


def test_a_double_click_on_import_adds_the_sheet_once_and_keeps_the_first_result(app, staff_client):
    path, html = check_page(staff_client, fixture("bad_rows.csv"))
    cookie = staff_client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    body = urlencode({"csrf_token": csrf_token_from(html), "consent": "yes"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"{cookie.key}={cookie.value}",
               "User-Agent": "Werkzeug/test"}
    with live_server(app) as port:
        answers = _post_at_once(port, path + "/confirm", body, headers)
    assert [status for status, _ in answers] == [303, 303], answers
    assert all(location.endswith(path) for _, location in answers), answers
    people = learners(app)
    assert sorted(p.given_name for p in people) == ["Grace", "Hannah"]
    with app.app_context():
        record = db.session.get(LearnerImport, uuid.UUID(path.rsplit("/", 1)[1]))
        assert record.counts["created"] == 2 and record.counts["already_imported"] == 0
        assert [row["status"] for row in record.rows if row.get("learner_id")] == ["created", "created"]
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "learners.imported")) == 1
    page = staff_client.get(path).text
    assert "Make PINs for 2 residents" in page and "<dt>Added</dt><dd>2</dd>" in page
    report = report_cells(staff_client.get(f"/api/v1/imports/{path.rsplit('/', 1)[1]}/report.csv"))
    assert [row[1] for row in report[1:] if row[2]] == ["Added", "Added"]


def test_an_import_id_confirmed_twice_at_once_imports_once_and_the_other_is_409(app, api, staff, bearer):
    check = api(fixture("bad_rows.csv"), dry_run="true")
    import_id = check.json["import_id"]
    with live_server(app) as port:
        answers = _post_at_once(port, f"/api/v1/imports/learners?import_id={import_id}", b"", bearer(staff))
    assert sorted(status for status, _ in answers) == [200, 409], answers
    assert len(learners(app)) == 2
    with app.app_context():
        record = db.session.get(LearnerImport, uuid.UUID(import_id))
        assert record.counts["created"] == 2 and not record.dry_run and record.raw is None
    assert api(None, import_id=import_id).status_code == 409
    with app.app_context():
        assert db.session.get(LearnerImport, uuid.UUID(import_id)).counts["created"] == 2


def test_confirming_claims_the_dry_run_so_a_second_confirm_never_overwrites_the_first(app, api, staff):
    """The second request read the dry run before the first one finished: its confirm finds it taken."""
    check = api(fixture("bad_rows.csv"), dry_run="true")
    import_id = uuid.UUID(check.json["import_id"])
    with app.app_context():
        late = services.import_for(db.session.get(User, staff.id), import_id)  # read while it is still a dry run
        assert late.dry_run
        with app.app_context():  # another request confirms it meanwhile
            first = services.confirm(db.session.get(User, staff.id), services.import_for(
                db.session.get(User, staff.id), import_id, for_update=True))
            assert first.record.counts["created"] == 2
            db.session.commit()
        with pytest.raises(Conflict):
            services.confirm(db.session.get(User, staff.id), late)
        db.session.rollback()
        assert db.session.get(LearnerImport, import_id).counts["created"] == 2


# The full name as they write it, shown as it will be ------------------------------------------------------------------

FULL_NAME_HEADER = "First name,Family name,Full name as they write it,Date of birth"


def test_the_check_the_result_and_the_report_show_the_full_name_as_the_account_will(app, staff_client):
    raw = sheet("Hương,Trần,Trần Thị Hương,01/02/1980", "秀英,王,,", "Siobhán,O'Brien,,",
                "Ann,Lee,Ann Lee-Smith,31/02/1990", header=FULL_NAME_HEADER)
    path, html = check_page(staff_client, raw)
    for name in ("Trần Thị Hương", "王秀英", "Siobhán O'Brien", "Ann Lee-Smith"):
        assert f"<bdi>{name.replace(chr(39), '&#39;')}</bdi>" in html, name
    assert "Hương Trần" not in html and "秀英 王" not in html
    done = staff_client.post(path + "/confirm", data={"csrf_token": csrf_token_from(html), "consent": "yes"})
    result = staff_client.get(done.headers["Location"]).text
    for name in ("Trần Thị Hương", "王秀英", "Siobhán O&#39;Brien", "Ann Lee-Smith"):  # the last one not added
        assert f"<bdi>{name}</bdi>" in result, name
    report = report_cells(staff_client.get(f"/api/v1/imports/{path.rsplit('/', 1)[1]}/report.csv"))
    assert report[0] == ["Line", "Result", "Learner number", "First name", "Family name", "Full name", "Problems"]
    assert [(row[0], row[3], row[4], row[5]) for row in report[1:]] == [
        ("2", "Hương", "Trần", "Trần Thị Hương"), ("3", "秀英", "王", "王秀英"),
        ("4", "Siobhán", "O'Brien", "Siobhán O'Brien"), ("5", "Ann", "Lee", "Ann Lee-Smith")]
    with app.app_context():
        record = db.session.get(LearnerImport, uuid.UUID(path.rsplit("/", 1)[1]))
        assert record.rows[3]["display_name"] == "Ann Lee-Smith"  # a row not added keeps the name staff see


def test_a_formula_only_in_the_full_name_is_quoted_on_the_tick_box_before_it_is_added(app, staff_client):
    raw = sheet('Ann,Lee,"=HYPERLINK(""http://evil.test"")",', "Grace,Mensah,Grace Mensah,",
                'Obi,Okafor,,"=1+2"', header=FULL_NAME_HEADER)
    path, html = check_page(staff_client, raw)
    formula = "=HYPERLINK(&#34;http://evil.test&#34;)"
    assert (f"Add line 2 as written: <bdi>{formula}</bdi>, with Full name as they write it “<bdi>{formula}</bdi>”"
            "</label>") in html
    assert "Ann Lee" not in html  # the name shown is the one the account would show
    assert "Full name as they write it: It starts with “=”" in html
    done = staff_client.post(path + "/confirm", data={"csrf_token": csrf_token_from(html), "consent": "yes",
                                                      "add_line": "2"})
    assert done.status_code == 303
    [ann] = learners(app, User.given_name == "Ann")
    assert ann.display_name == '=HYPERLINK("http://evil.test")'  # as staff saw it when they ticked it
    result = staff_client.get(done.headers["Location"]).text
    assert f"<bdi>{formula}</bdi>" in result
    report = report_cells(staff_client.get(f"/api/v1/imports/{path.rsplit('/', 1)[1]}/report.csv"))
    assert report[1][5] == "'=HYPERLINK(\"http://evil.test\")"  # never run by the spreadsheet


def test_every_flagged_cell_is_quoted_on_the_tick_box(staff_client):
    raw = sheet('"=1+1",Mensah,,,"+Plus@x.test",,', "Ada,Obi,,,=a@x.test,,", header=HEADER)
    _, html = check_page(staff_client, raw)
    assert "Add line 2 as written: <bdi>=1+1 Mensah</bdi>, with First name “<bdi>=1+1</bdi>”, with Email " \
           "“<bdi>+Plus@x.test</bdi>”</label>" in html
    assert "Add line 3 as written: <bdi>Ada Obi</bdi>, with Email “<bdi>=a@x.test</bdi>”</label>" in html


def test_erasing_a_resident_forgets_the_full_name_on_a_row_not_added(app, staff_client, make_user, branch, client,
                                                                     bearer):
    path, html = check_page(staff_client, sheet("Hương,Trần,Trần Thị Hương,31/02/1980", header=FULL_NAME_HEADER))
    staff_client.post(path + "/confirm", data={"csrf_token": csrf_token_from(html), "consent": "yes"})
    learner = make_user(Role.LEARNER, given_name="Hương", family_name="Trần", branches=[branch])
    assert client.post(f"/api/v1/learners/{learner.id}/erase", headers=bearer(make_user(Role.ADMIN))).status_code \
        == 200
    with app.app_context():
        [row] = db.session.get(LearnerImport, uuid.UUID(path.rsplit("/", 1)[1])).rows
        assert row == {"line": 2, "status": "error", "errors": row["errors"]}


# A hidden character in one cell fails its row, not the sheet ---------------------------------------------------------

NUL_SHEET = sheet("Grace,Mensah,,,,,", "Hannah,Obi,,,,,", "Amina,Begum,,,,,", "Ruth,Ade\x00yemi,,,,,",
                  "Tomasz,Nowak,,,,,")
HIDDEN = ("This cell has a hidden character (NUL) that the spreadsheet does not show. Fix it in the spreadsheet "
          "(type the cell again), save the sheet and import it again.")


def test_a_nul_in_one_cell_fails_that_row_alone_and_the_good_rows_still_go_in(app, api):
    check = api(NUL_SHEET, dry_run="true")
    assert check.status_code == 200, check.json
    assert statuses(check.json) == [(2, "would_create"), (3, "would_create"), (4, "would_create"), (5, "error"),
                                    (6, "would_create")]
    assert check.json["rows"][3]["errors"] == {"Family name": [HIDDEN]}
    done = api(None, import_id=check.json["import_id"])
    assert done.json["created"] == 4 and done.json["errors"] == 1
    assert sorted(p.given_name for p in learners(app)) == ["Amina", "Grace", "Hannah", "Tomasz"]
    with app.app_context():
        record = db.session.get(LearnerImport, uuid.UUID(check.json["import_id"]))
        assert record.rows[3]["family_name"] == "Adeyemi"  # kept to find it on the paper sheet, without the NUL
    assert statuses(api(sheet("Ada,Obi,\x07,,,,", "Zoë,Núñez,,,,,")).json) == [(2, "error"), (3, "created")]


def test_the_staff_page_names_the_line_and_the_cell_with_the_hidden_character(staff_client):
    path, html = check_page(staff_client, NUL_SHEET)
    assert "Import 4 residents" in html
    assert '<th scope="row">5</th>' in html and f"<li>Family name: {HIDDEN}</li>" in html
    report = report_cells(staff_client.get(f"/api/v1/imports/{path.rsplit('/', 1)[1]}/report.csv"))
    assert report[4][0] == "5" and report[4][6] == f"Family name: {HIDDEN}"


@pytest.mark.parametrize("raw", [
    HEADER.encode("utf-16-le") + "\r\nGrace,Mensah,,,,,\r\n".encode("utf-16-le"),  # UTF-16 without its mark
    b"\x00\x01\x02\x03" * 64 + HEADER.encode(),
    fixture("bad_rows.csv").replace(b",", b"\x00"),
])
def test_a_file_full_of_hidden_characters_is_still_not_a_csv_file(app, api, raw):
    response = api(raw, dry_run="true")
    assert response.status_code == 422, response.json
    assert "not a CSV file" in response.json["detail"] and count(app, LearnerImport) == 0
