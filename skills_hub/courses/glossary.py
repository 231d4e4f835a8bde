"""Words explained: content/glossary.yaml, the words residents stumble on (app, browser, attachment, ...), each with
one plain sentence, and its translations beside it (glossary.<lang>.yaml, with the hash of the English they
translate, like a course's). A lesson explains the first use of each word in place (skills_hub.markdown); the
/words page lists them all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app

from skills_hub.courses.translation_files import TRANSLATED_LANGUAGES, sha256

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Word:
    id: str
    word: str
    forms: tuple[str, ...]  # the word and the other forms that count as it in a lesson
    meaning: str

    def pattern(self, language: str) -> re.Pattern:
        """Where a lesson uses the word: whole words (any case), or anywhere in Chinese, written without spaces."""
        forms = sorted(self.forms, key=len, reverse=True)
        alternatives = "|".join(re.escape(form) for form in forms)
        if language.startswith("zh"):
            return re.compile(alternatives)
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


class GlossaryProblem(ValueError):
    """The glossary files are not right; the message says which file and what to do."""


def english_hash(words: dict) -> str:
    """What a translation records in `source_hash`: the English meanings as they were translated."""
    return sha256(json.dumps({entry["id"]: entry["meaning"] for entry in words}, sort_keys=True,
                             ensure_ascii=False))


def _read(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise GlossaryProblem(f"{path.name} is not valid YAML ({error}): fix the indentation or quoting") from None


@lru_cache(maxsize=16)
def _load(path: Path, stamp: float) -> dict[str, tuple[Word, ...]]:
    """Every language's words: English, and each translation that is current (others fall back to English)."""
    data = _read(path) or {}
    english = data.get("words") or []
    ids = [entry.get("id") for entry in english]
    for entry in english:
        if not (isinstance(entry, dict) and _ID.match(str(entry.get("id", ""))) and entry.get("word")
                and entry.get("meaning")):
            raise GlossaryProblem(f"{path.name}: every word needs an id (lowercase letters, digits and hyphens), a "
                                  f"word and a meaning: {entry!r}")
    if len(set(ids)) != len(ids):
        raise GlossaryProblem(f"{path.name}: an id is used twice: give each word its own")
    found = {"en": tuple(Word(entry["id"], entry["word"], (entry["word"], *(entry.get("also") or [])),
                              entry["meaning"]) for entry in english)}
    expected = english_hash(english)
    for language in TRANSLATED_LANGUAGES:
        translated = path.with_name(f"{path.stem}.{language}{path.suffix}")
        if not translated.is_file():
            continue
        about = _read(translated) or {}
        words = about.get("words") or {}
        if about.get("language") != language or set(words) - set(ids):
            raise GlossaryProblem(f"{translated.name}: must say `language: {language}` and use only the English's "
                                  f"ids ({', '.join(sorted(set(words) - set(ids)))} are not)")
        if about.get("source_hash") != expected or set(words) != set(ids):
            continue  # outdated or incomplete: this language's readers get the English words explained
        found[language] = tuple(Word(entry_id, words[entry_id]["word"],
                                     (words[entry_id]["word"], *(words[entry_id].get("also") or [])),
                                     words[entry_id]["meaning"]) for entry_id in ids)
    return found


def all_words(path: Path | None = None) -> dict[str, tuple[Word, ...]]:
    path = path or current_app.config["GLOSSARY_FILE"]
    if not path.is_file():
        return {"en": ()}
    return _load(path, path.stat().st_mtime)


def words_in(language: str) -> tuple[tuple[Word, ...], str]:
    """The words explained to readers of `language`, and the language they are in (English while outdated)."""
    found = all_words()
    return (found[language], language) if language in found else (found["en"], "en")


def problems(path: Path) -> list[str]:
    """What is wrong with the glossary files, for `flask courses validate` (nothing when they are right)."""
    if not path.is_file():
        return []
    try:
        _load.cache_clear()
        found = _load(path, path.stat().st_mtime)
    except GlossaryProblem as problem:
        return [str(problem)]
    return [f"{path.stem}.{language}{path.suffix}: is outdated or incomplete: its readers get the English words "
            "until it is brought up to date and stamped (`flask courses stamp`)"
            for language in TRANSLATED_LANGUAGES if language not in found
            and path.with_name(f"{path.stem}.{language}{path.suffix}").is_file()]
