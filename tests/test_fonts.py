"""No PDF with an empty box: every printed character is checked against our fonts and the system's, a .notdef
drawn anyway fails the render, the committed CJK subsets print Chinese, Japanese and Korean names on a machine
without fonts-noto-cjk, and `flask doctor` says which scripts this server can print."""

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import unicodedata

import pytest
from sqlalchemy import select

from skills_hub import fonts
from skills_hub.accounts.models import Role
from skills_hub.audit.models import AuditEvent
from skills_hub.certificates import pdf
from skills_hub.certificates.models import Certificate
from skills_hub.config import PROJECT_ROOT
from skills_hub.extensions import db
from skills_hub.fonts import MissingGlyph
from skills_hub.health.cli import doctor
from skills_hub.pdf import render_pdf
from tests.conftest import csrf_token_from, pdf_text, require
from tests.test_certificate_pdf import certificate_named, poppler
from tests.test_certificates import completed  # noqa: F401 (a fixture)

NO_FONT_HAS_IT = "\U0010fffd"  # a private-use character of plane 16
SIX_NAMES = {"王秀英": "Skills-Hub-CJK-SC", "陳大文": "Skills-Hub-CJK-TC", "山田太郎": "Skills-Hub-CJK-SC",
             "김민준": "Skills-Hub-CJK-KR", "Nguyễn Thị Hương": "Noto-Sans", "محمد عبد الله": "Noto-Naskh-Arabic"}


def letters(text: str) -> list[str]:
    return [ch for ch in unicodedata.normalize("NFKC", text) if ch.isalpha()]


def test_the_check_names_a_character_no_font_has():
    with pytest.raises(MissingGlyph) as refused:
        fonts.check(f"王 {NO_FONT_HAS_IT} Ann")
    assert refused.value.characters == [NO_FONT_HAS_IT]
    assert str(refused.value).startswith(f"No font for {NO_FONT_HAS_IT} (U+10FFFD) on this server")


def test_beyond_our_fonts_the_system_fonts_decide(monkeypatch):
    rare = "\U00020000"  # 𠀀, CJK Extension B: in none of the committed subsets
    assert ord(rare) not in fonts.own_characters()
    monkeypatch.setattr(fonts, "system_font_for", lambda character: "Some CJK Font")
    fonts.check(f"{rare}王")
    monkeypatch.setattr(fonts, "system_font_for", lambda character: None)
    with pytest.raises(MissingGlyph, match="No font for 𠀀"):
        fonts.check(f"{rare}王")


def test_spaces_joiners_and_direction_marks_need_no_glyph():
    fonts.check("Ann\u00a0Lee\n\t\u200d\u2068محمد\u2069\ufe0f")


def test_the_committed_subsets_have_every_letter_of_their_character_sets():
    own = fonts.own_fonts()
    for name, characters, ideographs in [("NotoSansCJKsc-Bold-Subset.otf", fonts.gb2312(), 6763),
                                         ("NotoSansCJKtc-Bold-Subset.otf", fonts.big5_level1(), 5401),
                                         ("NotoSansCJKjp-Bold-Subset.otf", fonts.jis_level1(), 2965),
                                         ("NotoSansCJKkr-Bold-Subset.otf", fonts.ksx1001_hangul(), 2350)]:
        wanted = {c for c in characters if unicodedata.category(chr(c)).startswith("L")}
        assert wanted <= fonts.own_characters(), (name, sorted(wanted - fonts.own_characters())[:5])
        main = {c for c in characters if unicodedata.name(chr(c), "").startswith(("CJK UNIFIED", "HANGUL SYLLABLE"))}
        assert main <= own[name] and ideographs <= len(main) <= ideographs + 10, name
    assert "fonts-noto-cjk" in (fonts.FONTS_FOLDER / "NotoSansCJK-SOURCE.txt").read_text()
    assert "SIL OPEN FONT LICENSE Version 1.1" in (fonts.FONTS_FOLDER / "LICENCE-Noto-CJK.txt").read_text()


@pytest.mark.parametrize(("name", "lang"), [("王秀英", "zh-Hans"), ("陳大文", "zh-Hant"), ("山田太郎", "zh-Hans"),
                                            ("渡辺", "ja"), ("やまだ たろう", "ja"), ("김민준", "ko"),
                                            ("Nguyễn Thị Hương", None), ("محمد عبد الله", None)])
def test_a_name_is_tagged_with_the_language_whose_face_draws_it(name, lang):
    assert fonts.language_of(name) == lang


@pytest.mark.parametrize("name", SIX_NAMES)
def test_the_six_names_print_with_real_glyphs_from_our_fonts(app, tmp_path, name):
    with app.app_context():
        rendered = pdf.render(certificate_named(name))
    assert SIX_NAMES[name] in poppler("pdffonts", rendered, tmp_path)
    text = unicodedata.normalize("NFKC", pdf_text(rendered, tmp_path))
    assert all(ch in text for ch in letters(name)), (name, text)


def test_a_certificate_no_font_can_print_fails_its_job_with_the_reason_and_stores_nothing(app, client, completed,  # noqa: F811
                                                                                       drain_jobs, make_user, login_as):
    from skills_hub.jobs.models import Job, JobStatus
    from skills_hub.storage import StoredFile

    learner, code = completed
    with app.app_context():
        for stored in db.session.scalars(select(StoredFile)):
            db.session.delete(stored)
        certificate = db.session.scalars(select(Certificate)).one()
        certificate.learner_name = f"Ann {NO_FONT_HAS_IT}"
        job = db.session.scalars(select(Job).where(Job.kind == pdf.RENDER_JOB)).one()
        job.status, job.run_after, job.attempts = JobStatus.PENDING, job.created_at, 0
        db.session.commit()
    drain_jobs()
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.kind == pdf.RENDER_JOB)).one()
        assert job.status == JobStatus.FAILED and job.attempts == 1, "retrying cannot help: it fails at once"
        assert "No font for \U0010fffd (U+10FFFD) on this server" in job.last_error
        assert db.session.scalar(select(StoredFile.key).where(StoredFile.key.like("%.pdf"))) is None
    login_as(learner)
    page = client.get(f"/certificates/{code}.pdf")
    assert page.status_code == 409, "never a PDF with a box, and never 'being prepared' for ever"
    assert "We cannot print \U0010fffd (U+10FFFD) in the name. Library staff have been told." in page.text
    login_as(make_user(Role.ADMIN))
    assert "No font for \U0010fffd (U+10FFFD) on this server" in client.get("/admin").text


@pytest.mark.parametrize("weasyprint_level", [logging.NOTSET, logging.ERROR])
def test_a_notdef_glyph_drawn_anyway_fails_the_render(app, monkeypatch, weasyprint_level):
    monkeypatch.setattr(fonts, "missing", lambda text: [])  # the check is fooled; WeasyPrint's log is not
    html = f'<html lang="en"><head><title>x</title></head><body><p>Ann {NO_FONT_HAS_IT}</p></body></html>'
    logger = logging.getLogger("weasyprint")
    logger.setLevel(weasyprint_level)  # even where logging is set to show only errors
    try:
        with app.test_request_context(), pytest.raises(MissingGlyph, match="U\\+10FFFD"):
            render_pdf(html)
    finally:
        logger.setLevel(logging.NOTSET)


def test_a_login_card_prints_a_chinese_name_and_refuses_one_no_font_has(app, client, make_branch, make_user,
                                                                         login_as, tmp_path):
    branch = make_branch("Central Library")
    login_as(make_user(Role.STAFF, branches=[branch]))
    for given, family, number, expected in [("秀英", "王", "DEM0001D", 200),
                                            (f"Ann{NO_FONT_HAS_IT}", "Lee", "DEM0002D", 422)]:
        learner = make_user(Role.LEARNER, given_name=given, family_name=family, branches=[branch], email=None,
                            password=None, learner_number=number, pin="246810")
        token = csrf_token_from(client.get(f"/staff/residents/{learner.id}").text)
        card = client.post(f"/staff/residents/{learner.id}/card", data={"csrf_token": token})
        assert card.status_code == expected
        if expected == 200:
            assert "秀英" in pdf_text(card.data, tmp_path)
            assert "CJK" in poppler("pdffonts", card.data, tmp_path)  # the system's, or ours where it has none
        else:
            assert "No font for" in card.text and "U+10FFFD" in card.text and card.mimetype == "text/html"
            assert "Something went wrong" not in card.text, "a name no font has is not our error: a plain page"
            assert f'href="/staff/residents/{learner.id}"' in card.text, "and a way back to the resident"
        with app.app_context():  # a card that could not be printed is not recorded as printed
            printed = db.session.scalars(select(AuditEvent.subject_id).where(
                AuditEvent.action == "learner.card_printed")).all()
            assert (learner.id in printed) == (expected == 200)


@pytest.mark.parametrize(("given", "family", "language", "face"), [("大文", "陳", None, "TC"),
                                                                   ("直美", "高橋", "ja", "JP"),
                                                                   ("太郎", "山田", "ja", "JP")])
def test_a_login_card_prints_the_name_as_written_in_the_face_of_its_language(client, make_branch, make_user,
                                                                             login_as, tmp_path, given, family,
                                                                             language, face):
    branch = make_branch("Central Library")
    login_as(make_user(Role.STAFF, branches=[branch]))
    learner = make_user(Role.LEARNER, given_name=given, family_name=family, branches=[branch], email=None,
                        password=None, learner_number="DEM0003D", pin="246810", preferred_language=language)
    token = csrf_token_from(client.get(f"/staff/residents/{learner.id}").text)
    card = client.post(f"/staff/residents/{learner.id}/card", data={"csrf_token": token})
    assert card.status_code == 200
    assert family + given in pdf_text(card.data, tmp_path), "the name as written, family name and all"
    embedded = [line for line in poppler("pdffonts", card.data, tmp_path).splitlines() if "CJK" in line]
    assert embedded and all(face in line.upper() for line in embedded), embedded


@pytest.mark.parametrize(("name", "language", "lang"), [
    ("高橋直美", "ja", "ja"), ("山田太郎", "ja", "ja"), ("山田太郎", "ja-JP", "ja"), ("王秀英", "zh-TW", "zh-Hant"),
    ("王秀英", "yue", "zh-Hant"), ("王秀英", "zh-HK", "zh-Hant"), ("陳大文", "zh", "zh-Hant"),  # SC lacks 陳
    ("高橋直美", "zh-CN", "zh-Hant"), ("高橋直美", "zh_Hans", "zh-Hant"),  # nor 橋: the letters decide
    ("王秀英", "ko", "zh-Hans"), ("김민준", "ko", "ko"), ("김민준", "ja", "ko"), ("高橋直美", None, "zh-Hant"),
    ("高橋直美", "en", "zh-Hant"), ("Ann Lee", "ja", None), ("山田 Taro", "ja", "ja")])
def test_a_resident_s_language_picks_the_face_when_it_has_every_letter(name, language, lang):
    assert fonts.language_of(name, language) == lang


def test_a_certificate_draws_a_japanese_reader_s_name_in_the_japanese_face(app, make_user, tmp_path):
    learner = make_user(Role.LEARNER, given_name="直美", family_name="高橋", preferred_language="ja")
    with app.app_context():
        for learner_id, face in [(learner.id, "Skills-Hub-CJK-JP"), (None, "Skills-Hub-CJK-TC")]:
            certificate = certificate_named("高橋直美")
            certificate.learner_id = learner_id or certificate.learner_id  # no such resident (erased): today's rule
            fonts_used = poppler("pdffonts", pdf.render(certificate), tmp_path)
            assert face in fonts_used and "CJK-SC" not in fonts_used, (face, fonts_used)


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""

RENDER_IN_CHILD = textwrap.dedent("""
    import json, sys, uuid
    from pathlib import Path
    from skills_hub import create_app, fonts
    from skills_hub.certificates import pdf
    from skills_hub.certificates.models import Certificate
    from skills_hub.config import TestConfig
    from skills_hub.extensions import db, utcnow
    from skills_hub.pdf import render_pdf

    folder = Path(sys.argv[1])
    app = create_app(TestConfig(instance_path=folder))
    results = {}
    with app.app_context():
        db.create_all()  # a certificate's name is drawn in its resident's language: the render looks them up
        for n, name in enumerate(json.loads(sys.argv[2])):
            certificate = Certificate(code="ABCDEFGHJKM0", learner_id=uuid.uuid4(), course_id=uuid.uuid4(),
                                      enrolment_id=uuid.uuid4(), awarded_at=utcnow(), learner_name=name,
                                      course_slug="using-email", course_title="Using email", course_version=1,
                                      eds_areas=[], branch_name=None, issuer_name="Skills Hub")
            try:
                (folder / f"{n}.pdf").write_bytes(pdf.render(certificate))
                results[name] = "ok"
            except fonts.MissingGlyph as error:
                results[name] = str(error)
    with app.test_request_context():  # the login card lists only system families: fontconfig falls back to ours
        card = ('<html lang="en-GB"><head><title>Card</title></head><body style="font-family: Noto Sans, '
                'Noto Sans CJK SC, DejaVu Sans, sans-serif"><p>秀英 김민준</p></body></html>')
        (folder / "card.pdf").write_bytes(render_pdf(card))
    print(json.dumps(results))
""")


def test_without_system_cjk_fonts_the_committed_subsets_print_cjk_names_and_rarer_ones_fail(tmp_path):
    """A child process whose fontconfig sees only DejaVu, as a machine without fonts-noto-cjk (CI installs it)."""
    require(shutil.which("fc-list") is not None, "fc-list", "install fontconfig (apt install fontconfig)")
    conf = tmp_path / "fonts.conf"
    conf.write_text(FONTS_CONF.format(cache=tmp_path / "fontconfig-cache"))
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    listed = subprocess.run(["fc-list", ":lang=zh-cn"], env=env, capture_output=True, text=True, check=True)
    assert listed.stdout.strip() == "", "the child must see no system font with Chinese"
    names = ["王秀英", "陳大文", "山田太郎", "김민준", "王 秀英 (Wang)", "王\U00020000"]
    child = subprocess.run([sys.executable, "-c", RENDER_IN_CHILD, str(tmp_path), json.dumps(names)], env=env,
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stderr
    results = json.loads(child.stdout.strip().splitlines()[-1])
    assert results["王\U00020000"].startswith("No font for \U00020000 (U+20000) on this server")
    for n, (name, face) in enumerate(zip(names[:5], ["SC", "TC", "SC", "KR", "SC"], strict=True)):
        assert results[name] == "ok"
        rendered = (tmp_path / f"{n}.pdf").read_bytes()
        assert f"Skills-Hub-CJK-{face}" in poppler("pdffonts", rendered, tmp_path)
        assert name in pdf_text(rendered, tmp_path)
    card = (tmp_path / "card.pdf").read_bytes()
    assert "秀英 김민준" in pdf_text(card, tmp_path)
    assert "Skills-Hub-CJK-SC" in poppler("pdffonts", card, tmp_path) and "Skills-Hub-CJK-KR" in poppler(
        "pdffonts", card, tmp_path)


def test_flask_doctor_says_which_scripts_this_server_can_print(app, monkeypatch):
    runner = app.test_cli_runner()
    result = runner.invoke(doctor)
    assert result.exit_code == 0, result.output
    for script in ("Latin", "Vietnamese", "Arabic", "Chinese, simplified (GB2312): our fonts: NotoSansCJKsc",
                   "Chinese, traditional (Big5 level 1): our fonts: NotoSansCJKtc",
                   "Japanese (JIS X 0208 level 1): our fonts: NotoSansCJKjp",
                   "Korean (KS X 1001 hangul): our fonts: NotoSansCJKkr"):
        assert f"yes  {script}" in result.output
    without_korean = {name: cmap for name, cmap in fonts.own_fonts().items() if "kr" not in name}
    monkeypatch.setattr(fonts, "own_fonts", lambda: without_korean)
    monkeypatch.setattr(fonts, "own_characters", lambda: frozenset().union(*without_korean.values()))
    monkeypatch.setattr(fonts, "system_fonts_for_language", lambda lang: [])
    result = runner.invoke(doctor)
    assert result.exit_code == 1
    assert "NO   Korean (KS X 1001 hangul): " in result.output and "letters are in no font here" in result.output
    assert "yes  Chinese, simplified" in result.output

