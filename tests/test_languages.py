"""Languages: choosing the page language, the chooser, course translations (current and outdated), the API's
`language`, and one course whatever language it is read in."""

from __future__ import annotations

import re

import pytest
import yaml
from flask_babel import force_locale, gettext

from skills_hub.accounts.models import Role, User
from skills_hub.courses import services as courses
from skills_hub.courses.translation_files import course_source_hash, lesson_source_hash
from skills_hub.extensions import db
from skills_hub.languages import page_language, resident_language
from tests.conftest import csrf_token_from
from tests.course_files import write_course


def html_language(response) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', response.get_data(as_text=True))
    assert found, "the page has no <html lang dir>"
    return found.group(1), found.group(2)


def said_in(locale: str, message: str, **values) -> str:
    from flask import current_app

    with current_app.test_request_context(), force_locale(locale):
        return gettext(message, **values)


# Choosing the page language ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "expected"), [
    ("ur", "ur"), ("ur-PK", "ur"), ("ar-EG", "ar"), ("pl", "pl"), ("zh-CN", "zh-Hans"), ("zh-Hans-CN", "zh-Hans"),
    ("zh", "zh-Hans"), ("yue", "zh-Hans"), ("zh_TW", "zh-Hans"), ("pnb", "ur"), ("en-US", "en"), ("EN-gb", "en"),
    ("pa", None), ("bn", None), ("", None), ("x-klingon", None),
])
def test_one_table_maps_record_and_browser_codes_to_page_languages(code, expected):
    found = page_language(code)
    assert (found.code if found else None) == expected


def test_babel_locale_names_are_babels_own():
    assert page_language("zh-Hans").locale == "zh_Hans" and page_language("en").locale == "en_GB"


def test_the_browser_language_chooses_the_page_language_and_the_page_says_so(client):
    english = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert html_language(english) == ("en-GB", "ltr")
    urdu = client.get("/", headers={"Accept-Language": "ur-PK,ur;q=0.9,en;q=0.5"})
    assert html_language(urdu) == ("ur", "rtl")
    assert urdu.headers["Content-Language"] == "ur"
    assert {"Accept-Language", "Cookie"} <= set(urdu.vary)
    # A language we do not write pages in falls through to the next the browser accepts.
    assert html_language(client.get("/", headers={"Accept-Language": "bn, pl;q=0.8"})) == ("pl", "ltr")


def test_the_chooser_sets_a_cookie_that_beats_the_browser_and_goes_back_to_the_page(client):
    page = client.get("/courses")
    assert 'action="/language"' in page.get_data(as_text=True)
    for name in ("English", "اردو", "العربية", "Polski", "中文"):  # each language named in itself
        assert f">{name}</button>" in page.get_data(as_text=True)
    chosen = client.post("/language", data={"language": "ar", "next": "/courses?area=communicating"})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/courses?area=communicating"
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith("language=ar") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert html_language(client.get("/courses", headers={"Accept-Language": "pl"})) == ("ar", "rtl")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x",
                                    "/\r\nX-Injected: 1", "/" + "a" * 5000])
def test_the_chooser_never_sends_anyone_to_another_site(client, target):
    chosen = client.post("/language", data={"language": "pl", "next": target})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/"


@pytest.mark.parametrize(("body", "said"), [
    ({"language": "fr"}, "Choose one of the languages shown."), ({}, "Choose one of the languages shown."),
    ({"language": "ur\u202e"}, "hidden character (U+202E)"), ({"language": ["fr", "ur"]}, "Choose one of the")])
def test_a_language_we_do_not_write_pages_in_is_refused_plainly(client, body, said):
    refused = client.post("/language", data=body)
    assert refused.status_code == 400 and said in refused.get_data(as_text=True)
    assert "Set-Cookie" not in refused.headers or "language=" not in refused.headers["Set-Cookie"]


def test_a_residents_saved_choice_beats_the_cookie_and_follows_them_to_another_browser(app, client, make_user,
                                                                                       login_as):
    learner = make_user(Role.LEARNER, preferred_language="pa")
    login_as(learner)
    client.post("/language", data={"language": "ur", "next": "/my-learning"})
    with app.app_context():
        saved = db.session.get(User, learner.id)
        assert saved.page_language == "ur" and saved.preferred_language == "pa"  # classes stay in Panjabi
    other_browser = app.test_client()
    other_browser.set_cookie("language", "pl")
    with other_browser.session_transaction() as session:
        session["_user_id"] = learner.get_id()
    assert html_language(other_browser.get("/my-learning")) == ("ur", "rtl")


def test_staff_pages_are_english_whatever_the_browser_asks(client, make_user, login_as):
    login_as(make_user(Role.STAFF))
    client.set_cookie("language", "ur")
    page = client.get("/staff", headers={"Accept-Language": "ur"})
    assert html_language(page) == ("en-GB", "ltr")
    assert 'action="/language"' not in page.get_data(as_text=True)  # no chooser that would change nothing


def test_the_api_answers_in_english_whatever_the_browser_asks(client):
    refused = client.get("/api/v1/courses?level=nonsense", headers={"Accept-Language": "ur"})
    assert refused.status_code == 422 and "Must be one of" in refused.json["errors"]["level"][0]


def test_resident_language_is_the_saved_page_language_else_the_preferred_one_else_english():
    assert resident_language(User(page_language="pl", preferred_language="ur")).code == "pl"
    assert resident_language(User(page_language=None, preferred_language="yue")).code == "zh-Hans"
    assert resident_language(User(page_language=None, preferred_language="bn")).code == "en"


# Course translations ----------------------------------------------------------------------------------------------

def translate_course(folder, language: str, *, stamp: bool = True) -> None:
    """A translation of tests.course_files' course: its texts and each lesson, stamped with the English's hashes."""
    english = yaml.safe_load((folder / "course.yaml").read_text(encoding="utf-8"))
    english["lessons"] = [{"slug": entry["file"][len("lessons/NN-"):-3], "title": entry["title"]}
                          for entry in english["lessons"]]
    about = {"language": language, "source_hash": course_source_hash(english) if stamp else "",
             "translated_by": "The test suite", "reviewed_by": None}
    texts = {
        "title": f"[{language}] {english['title']}", "summary": f"[{language}] summary",
        "outcomes": [f"[{language}] outcome" for _ in english["outcomes"]],
        "lessons": {entry["slug"]: f"[{language}] {entry['title']}" for entry in english["lessons"]},
        "check": {"questions": {q["id"]: {"text": f"[{language}] {q['text']}", "choices": {
            c["id"]: {"text": f"[{language}] {c['text']}", "feedback": f"[{language}] {c['feedback']}"}
            for c in q["choices"]}} for q in english["check"]["questions"]}},
    }
    (folder / f"course.{language}.yaml").write_text(yaml.safe_dump({**about, **texts}, allow_unicode=True),
                                                   encoding="utf-8")
    for lesson in sorted((folder / "lessons").glob("*.md")):
        if lesson.name.count(".") != 1:
            continue
        body = lesson.read_text(encoding="utf-8")
        front = yaml.safe_dump({**about, "source_hash": lesson_source_hash(body) if stamp else ""},
                               allow_unicode=True)
        translated = body.replace("## What you will do\n", f"## [{language}] What you will do\n")
        (lesson.with_name(lesson.stem + f".{language}.md")).write_text(f"---\n{front}---\n{translated}",
                                                                      encoding="utf-8")


@pytest.fixture
def translated(app, tmp_path):
    folder = write_course(tmp_path, "two-languages", lessons=2)
    translate_course(folder, "ur")
    with app.app_context():
        courses.sync_catalogue(tmp_path)
        db.session.commit()
    return folder


def resync(app, root) -> None:
    with app.app_context():
        courses.sync_catalogue(root)
        db.session.commit()


def test_a_translated_course_reads_in_the_readers_language_and_in_english_for_others(app, client, translated):
    urdu = client.get("/courses/two-languages", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert "[ur] Course two-languages" in urdu and "[ur] Lesson 1" in urdu and "[ur] outcome" in urdu
    english = client.get("/courses/two-languages").get_data(as_text=True)
    assert "Course two-languages" in english and "[ur]" not in english
    lesson = client.get("/courses/two-languages/lessons/lesson-1", headers={"Accept-Language": "ur"})
    assert "[ur] What you will do" in lesson.get_data(as_text=True)
    quiz = client.get("/courses/two-languages/check", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert "[ur] Which is right?" in quiz and "[ur] The right one" in quiz
    # Polish has no translation: the course is in English, with a note in Polish.
    polish = client.get("/courses/two-languages", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "Course two-languages" in polish and "[ur]" not in polish
    with app.app_context():
        note = said_in("pl", "This course is being translated. Until it is ready, here it is in English.")
    assert note in polish


def test_changing_an_english_lesson_marks_its_translation_outdated_and_shows_the_english_with_a_note(
        app, client, translated, tmp_path):
    lesson = translated / "lessons" / "01-lesson-1.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("Open the app.", "Open the new app."),
                      encoding="utf-8")
    resync(app, tmp_path)
    with app.app_context():
        course = courses.get_course("two-languages")
        [state] = [s for s in courses.languages_of([course])[course.id] if s.language == "ur"]
        assert state.status == "outdated" and state.outdated_lessons == ("lesson-1",)
    page = client.get("/courses/two-languages/lessons/lesson-1", headers={"Accept-Language": "ur"})
    text = page.get_data(as_text=True)
    assert "Open the new app." in text and "[ur] What you will do" not in text  # whole in English
    with app.app_context():
        assert said_in("ur", "This lesson is being translated. Until it is ready, here it is in English.") in text
    assert '<div class="lesson-body" id="lesson-body" lang="en-GB" dir="ltr">' in text
    # The other lesson is still current, in Urdu; the API lists the language as outdated.
    other = client.get("/courses/two-languages/lessons/lesson-2", headers={"Accept-Language": "ur"})
    assert "[ur] What you will do" in other.get_data(as_text=True)
    listed = client.get("/api/v1/courses/two-languages").json["languages"]
    assert {"code": "ur", "status": "outdated"} in listed
    assert client.get("/api/v1/courses?available_in=ur").json["total"] == 0  # only fully current ones


def test_changing_the_english_quiz_makes_the_course_translation_outdated_not_invalid(app, client, translated,
                                                                                      tmp_path):
    course_yaml = translated / "course.yaml"
    data = yaml.safe_load(course_yaml.read_text(encoding="utf-8"))
    data["check"]["questions"].append({"id": "q3", "text": "A new question?", "choices": [
        {"id": "a", "text": "Yes", "correct": True, "feedback": "Yes."}, {"id": "b", "text": "No", "feedback": "No."}]})
    course_yaml.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    resync(app, tmp_path)  # no problem raised: the translation lacks q3 but is only outdated
    quiz = client.get("/courses/two-languages/check", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert "A new question?" in quiz and "[ur]" not in quiz


def test_a_translation_that_claims_to_be_current_but_lacks_an_id_is_invalid(app, translated, tmp_path):
    path = translated / "course.ur.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["check"]["questions"]["q2"]["choices"]["b"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with app.app_context(), pytest.raises(courses.CatalogueInvalid) as invalid:
        courses.sync_catalogue(tmp_path)
    assert any("check.questions.q2.choices" in str(problem) for problem in invalid.value.problems)


def test_a_translation_cannot_say_which_choice_is_correct(app, translated, tmp_path):
    path = translated / "course.ur.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["check"]["questions"]["q1"]["choices"]["b"]["correct"] = True
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with app.app_context(), pytest.raises(courses.CatalogueInvalid) as invalid:
        courses.sync_catalogue(tmp_path)
    assert any("correct" in str(problem) for problem in invalid.value.problems)


def test_the_api_answers_in_the_asked_language_where_current_and_lists_the_languages(client, translated):
    urdu = client.get("/api/v1/courses/two-languages?language=ur").json
    assert urdu["title"] == "[ur] Course two-languages" and urdu["language"] == "ur"
    assert urdu["knowledge_check"]["questions"][0]["text"] == "[ur] Which is right?"
    assert "correct" not in urdu["knowledge_check"]["questions"][0]["choices"][0]
    assert urdu["languages"] == [{"code": "en", "status": "current"}, {"code": "ur", "status": "current"}]
    polish = client.get("/api/v1/courses?language=pl").json["items"][0]
    assert polish["title"] == "Course two-languages" and polish["language"] == "en"
    assert client.get("/api/v1/courses?available_in=ur").json["total"] == 1
    assert client.get("/api/v1/courses?available_in=ar").json["total"] == 0
    assert client.get("/api/v1/courses?language=klingon").status_code == 422


def test_the_catalogue_filters_by_language_and_names_each_courses_languages(client, translated, tmp_path, app):
    write_course(tmp_path, "english-only", lessons=1)
    resync(app, tmp_path)
    only_urdu = client.get("/courses?available_in=ur").get_data(as_text=True)
    assert "Course two-languages" in only_urdu and "Course english-only" not in only_urdu
    everything = client.get("/courses").get_data(as_text=True)
    assert '<span lang="ur">اردو</span>' in everything and "Course english-only" in everything


def test_the_translations_command_and_admin_page_list_status_and_review(app, client, translated, make_user,
                                                                         login_as):
    result = app.test_cli_runner().invoke(args=["courses", "translations"])
    assert "two-languages:" in result.output
    assert "ur: current, not yet reviewed" in result.output and "pl: missing" in result.output
    login_as(make_user(Role.ADMIN))
    page = client.get("/admin/translations").get_data(as_text=True)
    assert "Not yet reviewed (translated by The test suite)" in page and "Missing" in page


def test_stamping_a_brought_up_to_date_translation_makes_it_current_again(app, translated, tmp_path):
    lesson = translated / "lessons" / "02-lesson-2.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    before, app.config["CONTENT_DIR"] = app.config["CONTENT_DIR"], tmp_path
    try:
        runner = app.test_cli_runner()
        assert "outdated" in runner.invoke(args=["courses", "validate"]).output
        stamped = runner.invoke(args=["courses", "stamp", str(translated / "lessons" / "02-lesson-2.ur.md")])
        assert stamped.exit_code == 0, stamped.output
        assert "outdated" not in runner.invoke(args=["courses", "validate"]).output
    finally:
        app.config["CONTENT_DIR"] = before


# One course, whatever language it is read in ------------------------------------------------------------------------

def test_switching_to_urdu_halfway_keeps_one_enrolment_and_gives_one_bilingual_certificate(
        app, client, translated, make_user, login_as, drain_jobs):
    from skills_hub.certificates.models import Certificate
    from skills_hub.learning.models import Enrolment

    learner = make_user(Role.LEARNER)
    login_as(learner)
    token = csrf_token_from(client.get("/courses/two-languages").get_data(as_text=True))
    client.post("/courses/two-languages/enrol", data={"csrf_token": token})
    client.post("/courses/two-languages/lessons/lesson-1/done", data={"csrf_token": token})
    client.post("/language", data={"language": "ur", "next": "/courses/two-languages"})
    page = client.get("/courses/two-languages")
    assert html_language(page) == ("ur", "rtl") and "[ur] Course two-languages" in page.get_data(as_text=True)
    client.post("/courses/two-languages/lessons/lesson-2/done", data={"csrf_token": token})
    result = client.post("/courses/two-languages/check", data={"csrf_token": token, "answer-q1": "a",
                                                                "answer-q2": "b"})
    assert "[ur] Yes, that is right." in result.get_data(as_text=True)  # feedback as read, scored by id
    drain_jobs()
    with app.app_context():
        assert db.session.query(Enrolment).filter_by(learner_id=learner.id).count() == 1
        [certificate] = db.session.query(Certificate).filter_by(learner_id=learner.id).all()
        assert certificate.language == "ur" and certificate.course_title_translated == "[ur] Course two-languages"


def test_signing_out_of_a_shared_computer_forgets_the_language_for_the_next_person(app, client, make_user,
                                                                                  login_as):
    """A library PC: the next resident starts in the browser's language, and nobody's choice is saved on someone
    else's account (choosing while signed in saves it; a cookie left from before never does)."""
    from skills_hub.accounts import services as accounts

    with app.app_context():
        number = accounts.new_learner_number()
        learner = accounts.create_user(role=Role.LEARNER, given_name="Amina", family_name="Begum",
                                       learner_number=number, pin="481516", preferred_language="ur")
        db.session.commit()
        learner_id = learner.id
    client.post("/language", data={"language": "pl", "next": "/sign-in"})  # the previous person's choice
    page = client.get("/sign-in")
    client.post("/sign-in", data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "method": "pin",
                                  "learner_number": number, "pin": "481516", "shared_computer": "yes"})
    with app.app_context():
        assert db.session.get(User, learner_id).page_language is None
    token = csrf_token_from(client.get("/my-learning").get_data(as_text=True))
    signed_out = client.post("/sign-out", data={"csrf_token": token})
    assert "language=;" in signed_out.headers["Set-Cookie"]  # deleted
    assert html_language(client.get("/")) == ("en-GB", "ltr")


def test_stamping_a_translation_that_does_not_match_the_english_refuses_and_keeps_the_file(app, translated,
                                                                                           tmp_path):
    path = translated / "course.ur.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["check"]["questions"]["q9"] = data["check"]["questions"].pop("q2")
    data["source_hash"] = ""
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    refused = app.test_cli_runner().invoke(args=["courses", "stamp", str(path)])
    assert refused.exit_code != 0
    assert "not stamped" in refused.output and "missing q2; not in the English: q9" in refused.output
    assert path.read_text(encoding="utf-8") == before


def test_a_translation_marking_a_choice_correct_or_with_bad_yaml_says_where(app, translated, tmp_path):
    from skills_hub.courses.files import read_course

    path = translated / "course.ur.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["check"]["questions"]["q1"]["choices"]["b"]["correct"] = True
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    _, problems = read_course(translated)
    assert any("check.questions.q1.choices.b: a translation never says which choice is correct" in str(p)
               for p in problems)
    path.write_text("language: ur\ntitle: [unclosed\n", encoding="utf-8")
    _, problems = read_course(translated)
    assert any("is not valid YAML at line" in str(p) for p in problems)
