"""Words explained: the glossary's words are explained where a lesson first uses them, after the paragraph (never
inside it), once each, in the lesson's language; read aloud with the lesson; all listed at /words."""

from __future__ import annotations

import re

import yaml

from skills_hub.courses import audio, glossary
from skills_hub.markdown import render

APP = glossary.Word("app", "app", ("app", "apps"), "A program on a phone that does one job.")
TAP = glossary.Word("tap", "tap", ("tap", "tapping"), "Touch the screen with one finger.")
LESSON = """## Open an app

Find the app you want. Apps have small pictures.

- Tap the picture once.
- Tap it again if nothing happens.

Open the app now.
"""


def test_the_first_use_of_each_word_is_explained_after_its_paragraph_once_and_never_in_a_heading():
    html = str(render(LESSON, "/images", (APP, TAP), "en", "What does “{word}” mean?"))
    assert html.count('id="word-app"') == 1 and html.count('id="word-tap"') == 1
    assert "<h2>Open an app</h2>" in html  # the heading is not where "app" is explained
    app_at, paragraph_end = html.index('id="word-app"'), html.index("Apps have small pictures.</p>")
    assert app_at > paragraph_end  # after the paragraph, not inside it
    assert not re.search(r"<p>[^<]*<details", html)
    assert "<li>Tap the picture once.\n<details" in html or "<li>Tap the picture once.<details" in html
    assert "<summary>What does “app” mean?</summary><p>A program on a phone that does one job.</p>" in html


def test_chinese_words_are_found_without_spaces():
    word = glossary.Word("app", "应用", ("应用",), "手机上做一件事的程序。")
    lesson = "## 打开\n\n找到您要用的应用\uff0c然后点一下\u3002\n"  # Chinese, with no spaces between words
    html = str(render(lesson, "/i", (word,), "zh-Hans", "“{word}”是什么意思\uff1f"))
    assert 'id="word-app"' in html


def test_the_explanations_are_read_aloud_with_the_lesson():
    said = audio.spoken(LESSON, (APP, TAP), "en")
    texts = [" ".join(block) for block in said.blocks]
    assert texts.index("app: A program on a phone that does one job.") == \
        texts.index("Find the app you want. Apps have small pictures.") + 1


def test_a_lesson_page_explains_words_in_its_language_and_words_lists_them_all(client, catalogue):
    english = client.get("/courses/using-email/lessons/what-email-is").get_data(as_text=True)
    assert "What does “inbox” mean?" in english
    polish = client.get("/courses/using-email/lessons/what-email-is", headers={"Accept-Language": "pl"})
    assert "Co znaczy „hasło”?" in polish.get_data(as_text=True) or 'id="word-' in polish.get_data(as_text=True)
    assert "<summary>Co znaczy „" in polish.get_data(as_text=True)  # explained in Polish, not in English
    assert "What does" not in polish.get_data(as_text=True)
    listed = client.get("/words").get_data(as_text=True)
    assert '<div id="inbox"><dt>inbox</dt>' in listed and listed.count("<dt>") >= 25


def test_an_outdated_glossary_translation_explains_nothing_in_that_language_and_lists_the_english(app, client,
                                                                                                  tmp_path):
    english = {"words": [{"id": "app", "word": "app", "also": [], "meaning": "A program that does one job."}]}
    (tmp_path / "glossary.yaml").write_text(yaml.safe_dump(english), encoding="utf-8")
    (tmp_path / "glossary.pl.yaml").write_text(yaml.safe_dump({
        "language": "pl", "source_hash": "0" * 64, "translated_by": "tests", "reviewed_by": None,
        "words": {"app": {"word": "aplikacja", "also": [], "meaning": "Program."}}}), encoding="utf-8")
    before, app.config["GLOSSARY_FILE"] = app.config["GLOSSARY_FILE"], tmp_path / "glossary.yaml"
    try:
        with app.app_context():
            assert glossary.words_in("pl")[1] == "en"
            assert any("is outdated" in problem for problem in glossary.problems(tmp_path / "glossary.yaml"))
        page = client.get("/words", headers={"Accept-Language": "pl"}).get_data(as_text=True)
        assert 'lang="en-GB"' in page and "A program that does one job." in page
    finally:
        app.config["GLOSSARY_FILE"] = before
