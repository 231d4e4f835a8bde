"""The gettext catalogues: every shipped language 100 % translated (nothing missing, nothing fuzzy), up to date
with what the code and templates say, and compiled from what is committed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from skills_hub.languages import PAGE_LANGUAGES

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "skills_hub" / "translations"
SHIPPED = [language.locale for language in PAGE_LANGUAGES.values() if not language.is_english]
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%|\{\{ ?\w+ ?\}\}|%\w")


def catalogue(locale: str):
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"{path} is missing: run `pybabel init` for it (docs/operations.md)"
    with path.open("rb") as file:
        return read_po(file, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """What `make translations` would extract now, from the code and the templates."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "--mapping-file",
                    str(TRANSLATIONS / "babel.cfg"), "--keywords", "N_", "--keywords", "say", "--no-location",
                    "--output-file", str(out), "."], cwd=ROOT, check=True, capture_output=True)
    with out.open("rb") as file:
        return {message.id if isinstance(message.id, str) else message.id[0]
                for message in read_po(file) if message.id}


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_message_is_translated_and_none_is_fuzzy(locale):
    untranslated, fuzzy = [], []
    for message in catalogue(locale):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("locale", SHIPPED)
def test_each_catalogue_has_every_message_the_code_and_templates_say(locale, extracted):
    have = {message.id if isinstance(message.id, str) else message.id[0] for message in catalogue(locale)}
    assert sorted(extracted - have) == [], "run `make translations`, then translate the new messages"


@pytest.mark.parametrize("locale", SHIPPED)
def test_translations_keep_every_placeholder_of_the_english(locale):
    """A translation that drops or renames %(name)s would fail when the page is drawn."""
    for message in catalogue(locale):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) - {"%%"}
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) - {"%%"} >= wanted - {"%(num)s"}, (message.id, string)


def test_the_form_messages_file_lists_what_the_forms_say_now():
    made = subprocess.run([sys.executable, str(ROOT / "scripts" / "form_messages.py")], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    assert made == (TRANSLATIONS / "form_messages.py").read_text(encoding="utf-8"), "run `make translations`"


def test_pages_are_drawn_from_the_compiled_catalogues(app):
    """`make test` compiles the .po files first (pip install -e does not): a page in Urdu is in Urdu."""
    with app.test_request_context(), force_locale("ur"):
        assert gettext("Courses") != "Courses"
    with app.test_request_context(), force_locale("zh_Hans"):
        assert gettext("Sign in") != "Sign in"
