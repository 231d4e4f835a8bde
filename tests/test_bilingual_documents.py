"""Documents a resident keeps, in their language with English beside it: the certificate (Urdu and Arabic shaped
and right to left, read back with pdftotext) and the login card."""

from __future__ import annotations

import re
import unicodedata
import uuid

import pytest
from flask_babel import force_locale, gettext

from skills_hub.certificates import pdf
from skills_hub.certificates.models import Certificate
from skills_hub.extensions import utcnow
from tests.conftest import csrf_token_from, pdf_text
from tests.test_staff_pages import register, shown, staff_client  # noqa: F401 (a fixture)

RIGHT_TO_LEFT_RUN = re.compile("\u202b([^\u202c]*)\u202c")


def certificate_in(language: str | None, title: str | None) -> Certificate:
    return Certificate(code="ABCDEFGHJKM0", learner_id=uuid.uuid4(), course_id=uuid.uuid4(),
                       enrolment_id=uuid.uuid4(), awarded_at=utcnow(), learner_name="محمد خان",
                       course_slug="using-email", course_title="Using email", course_version=1,
                       eds_areas=["communicating"], branch_name="Central Library", issuer_name="Skills Hub",
                       language=language, course_title_translated=title)


def said(locale: str, message: str, **values) -> str:
    with force_locale(locale):
        return gettext(message, **values)


def plain(text: str) -> str:
    """pdftotext's text with the presentation forms of Arabic letters folded back, and spaces squeezed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


@pytest.mark.parametrize(("language", "locale", "title"), [("ur", "ur", "ای میل کا استعمال"),
                                                            ("ar", "ar", "استخدام البريد الإلكتروني")])
def test_a_right_to_left_certificate_says_everything_in_the_residents_language_then_english(
        app, tmp_path, language, locale, title):
    with app.test_request_context():
        heading = said(locale, "Certificate of achievement")
        completed = said(locale, "has completed the course")
        assert heading != "Certificate of achievement", "the catalogue must translate the certificate"
        text = pdf_text(pdf.render(certificate_in(language, title)), tmp_path)
    runs = [plain(run) for run in RIGHT_TO_LEFT_RUN.findall(text)]
    assert runs, "pdftotext found no right-to-left text: the PDF has no Arabic-script runs"
    words = plain(text)
    for said_here in (heading, completed, title):
        assert plain(said_here) in words or any(plain(said_here) in run for run in runs), said_here
    # English beside it, for employers; the code and the address stay as they are.
    for english in ("Certificate of achievement", "has completed the course", "Using email", "ABCD-EFGH-JKM0"):
        assert english in words
    # The resident's language first: its heading comes before the English one.
    assert words.index(plain(heading)) < words.index("Certificate of achievement")


def test_a_chinese_certificate_is_bilingual_and_an_english_one_is_english_only(app, tmp_path):
    with app.test_request_context():
        heading = said("zh_Hans", "Certificate of achievement")
        chinese = plain(pdf_text(pdf.render(certificate_in("zh-Hans", "使用电子邮件")), tmp_path))
        english = plain(pdf_text(pdf.render(certificate_in(None, None)), tmp_path))
    assert heading in chinese.replace(" ", "") or heading in chinese
    assert "使用电子邮件" in chinese.replace(" ", "") and "Using email" in chinese
    assert "Certificate of achievement" in english and heading not in english


def test_the_certificate_tags_each_language_for_screen_readers(app):
    with app.test_request_context():
        html = pdf.certificate_html(certificate_in("ur", "ای میل کا استعمال"))
    assert '<html lang="ur">' in html
    assert 'lang="ur" dir="rtl"' in html and 'lang="en-GB" dir="ltr"' in html


def test_the_login_card_is_in_the_residents_language_with_english_beside_the_number_and_pin(
        app, staff_client, tmp_path):  # noqa: F811 (the fixture)
    response = register(staff_client, preferred_language="ur")
    pin = shown(response.text, "PIN")
    learner_id = response.text.split("/staff/residents/")[1].split("/card")[0]
    card = staff_client.post(f"/staff/residents/{learner_id}/card",
                             data={"csrf_token": csrf_token_from(response.text), "pin": pin, "with_pin": "yes"})
    assert card.status_code == 200 and card.mimetype == "application/pdf"
    raw = pdf_text(card.data, tmp_path)
    text = plain(raw)
    with app.test_request_context():
        heading, number = said("ur", "Skills Hub login card"), said("ur", "Learner number")
    assert heading != "Skills Hub login card", "the catalogue must translate the login card"
    assert "Learner number" in text and "PIN" in text and pin in text  # the English beside the number and PIN
    rtl = " ".join(plain(run) for run in RIGHT_TO_LEFT_RUN.findall(raw))
    assert plain(number) in rtl or plain(number) in text
