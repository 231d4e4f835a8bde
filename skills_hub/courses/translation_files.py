"""Reading and checking a course's translations: `course.<lang>.yaml` and `lessons/NN-slug.<lang>.md` beside the
English files they translate (content/courses/README.md, "Translations").

A translation records the hash of the English it was translated from (`source_hash`). When the English changes,
the hashes no longer match and the translation is *outdated*: a warning, never an invalid file, so editing an
English lesson never breaks the build; pages show the English until the translation is brought up to date and
stamped again (`flask courses stamp`). Which choice is correct comes only from the English.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError, fields, validate

from skills_hub.endpoints import InputSchema
from skills_hub.languages import ENGLISH, PAGE_LANGUAGES
from skills_hub.validation import REQUIRED, flatten_errors, required_string

TRANSLATED_LANGUAGES = [code for code in PAGE_LANGUAGES if code != ENGLISH]
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_LANGUAGE_PART = "|".join(re.escape(code) for code in TRANSLATED_LANGUAGES)
COURSE_TRANSLATION = re.compile(rf"^course\.({_LANGUAGE_PART})\.yaml$")
LESSON_TRANSLATION = re.compile(rf"^(\d{{2}})-([a-z0-9-]+)\.({_LANGUAGE_PART})\.md$")
ANY_TRANSLATION = re.compile(r"^(?:course|\d{2}-[a-z0-9-]+)\.([A-Za-z-]+)\.(?:yaml|md)$")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def course_source_hash(english: dict[str, Any]) -> str:
    """The hash of the English texts a course.yaml translation translates (title, summary, outcomes, lesson
    titles, the check's texts): changing minutes, a level or which choice is correct does not make it outdated."""
    texts = {
        "title": english["title"], "summary": english["summary"], "outcomes": english["outcomes"],
        "lessons": {entry["slug"]: entry["title"] for entry in english["lessons"]},
        "check": {q["id"]: {"text": q["text"], "choices": {c["id"]: [c["text"], c["feedback"]]
                                                            for c in q["choices"]}}
                  for q in english["check"]["questions"]},
    }
    return sha256(json.dumps(texts, sort_keys=True, ensure_ascii=False))


def lesson_source_hash(english_body: str) -> str:
    return sha256(english_body)


class _About(InputSchema):
    """What every translation file says about itself."""

    language = fields.String(required=True, error_messages=REQUIRED, validate=validate.OneOf(
        TRANSLATED_LANGUAGES, error="Must be one of: " + ", ".join(TRANSLATED_LANGUAGES) + "."))
    source_hash = fields.String(required=True, error_messages=REQUIRED, validate=validate.Regexp(
        r"^([0-9a-f]{64})?$", error="Must be the hash `flask courses stamp` writes (64 hex digits), or empty."))
    translated_by = required_string(validate=validate.Length(min=1, max=200))
    reviewed_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class _ChoiceTexts(InputSchema):
    text = required_string()
    feedback = required_string()


class _QuestionTexts(InputSchema):
    text = required_string()
    choices = fields.Dict(keys=fields.String(), values=fields.Nested(_ChoiceTexts), required=True,
                          error_messages=REQUIRED)


class _CheckTexts(InputSchema):
    questions = fields.Dict(keys=fields.String(), values=fields.Nested(_QuestionTexts), required=True,
                            error_messages=REQUIRED)


class CourseTranslationSchema(_About):
    title = required_string(validate=validate.Length(min=1, max=200))
    summary = required_string()
    outcomes = fields.List(required_string(), required=True, error_messages=REQUIRED)
    lessons = fields.Dict(keys=fields.String(), values=required_string(validate=validate.Length(min=1, max=200)),
                          required=True, error_messages=REQUIRED)
    check = fields.Nested(_CheckTexts, required=True, error_messages=REQUIRED)


class LessonTranslationSchema(_About):
    pass


@dataclass(frozen=True)
class TranslationFile:
    """One translated file, read: `texts` is the course's texts (course.<lang>.yaml) or {"body": ...} (a lesson)."""

    language: str
    path: str
    texts: dict[str, Any]
    source_hash: str
    current: bool
    translated_by: str
    reviewed_by: str | None
    content_hash: str


def _read_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)


def read_course_translation(path: Path, shown: str, english: dict[str, Any],
                            language: str) -> tuple[TranslationFile | None, list[str], list[str]]:
    """(the translation or None, problems, warnings). Ids are checked against the English only while the
    translation is current: an outdated one is not shown, so a question added in English makes it outdated,
    not invalid."""
    try:
        raw = _read_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, ["is not UTF-8 text: save it as UTF-8"], []
    except yaml.YAMLError as error:
        return None, [_yaml_problem(error)], []
    if not isinstance(raw, dict):
        return None, ["must be a mapping of fields (language, source_hash, title, ...)"], []
    if said_correct := _choices_marked_correct(raw):
        return None, [f"{where}: a translation never says which choice is correct (that comes only from the "
                      "English): take out `correct`" for where in said_correct], []
    try:
        data = CourseTranslationSchema().load(raw)
    except ValidationError as error:
        return None, [f"{_plain_path(where)}: {message}" if where else message
                      for where, message in flatten_errors(error.messages)], []
    if data["language"] != language:
        return None, [f"says language {data['language']!r} but its name says {language!r}: make them the same"], []
    expected = course_source_hash(english)
    current = data["source_hash"] == expected
    problems, warnings = [], []
    mismatches = _id_mismatches(data, english)
    if current and mismatches:
        problems.extend(mismatches)
    elif not current:
        warnings.append("is outdated: the English changed since it was translated. Update the translation, then "
                        "run `flask courses stamp` on it")
    texts = {key: data[key] for key in ("title", "summary", "outcomes", "lessons", "check")}
    return (TranslationFile(language, shown, texts, data["source_hash"], current, data["translated_by"],
                            data["reviewed_by"], sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False)))
            if not problems else None), problems, warnings


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(error, "problem", None) or error
    return f"is not valid YAML{where} ({problem}): fix the indentation or quoting there"


def _plain_path(where: str) -> str:
    """marshmallow names a dictionary's values `.value.`: `check.questions.q1.value.text` is `check.questions.q1.text`
    to a translator."""
    return where.replace(".value.", ".").removesuffix(".value")


def _choices_marked_correct(raw: dict[str, Any]) -> list[str]:
    questions = (raw.get("check") or {}).get("questions") if isinstance(raw.get("check"), dict) else None
    found = []
    for question_id, question in (questions or {}).items() if isinstance(questions, dict) else ():
        choices = question.get("choices") if isinstance(question, dict) else None
        for choice_id, choice in (choices or {}).items() if isinstance(choices, dict) else ():
            if isinstance(choice, dict) and "correct" in choice:
                found.append(f"check.questions.{question_id}.choices.{choice_id}")
    return found


def _differences(found, wanted) -> str:
    missing, extra = [i for i in wanted if i not in found], [i for i in found if i not in wanted]
    return "; ".join(part for part in (f"missing {', '.join(map(str, missing))}" if missing else "",
                                       f"not in the English: {', '.join(map(str, extra))}" if extra else "") if part)


def _id_mismatches(data: dict[str, Any], english: dict[str, Any]) -> list[str]:
    problems = []
    if len(data["outcomes"]) != len(english["outcomes"]):
        problems.append(f"outcomes: has {len(data['outcomes'])}, the English has {len(english['outcomes'])}: "
                        "translate each outcome once, in the same order")
    slugs = [entry["slug"] for entry in english["lessons"]]
    if sorted(data["lessons"]) != sorted(slugs):
        problems.append(f"lessons: must name each lesson by its slug ({_differences(list(data['lessons']), slugs)})")
    questions = {q["id"]: q for q in english["check"]["questions"]}
    translated = data["check"]["questions"]
    if sorted(translated) != sorted(questions):
        problems.append(f"check.questions: must have the English's question ids "
                        f"({_differences(list(translated), list(questions))})")
    for question_id, question in translated.items():
        if question_id in questions:
            ids = [c["id"] for c in questions[question_id]["choices"]]
            if sorted(question["choices"]) != sorted(ids):
                problems.append(f"check.questions.{question_id}.choices: must have the English's choice ids "
                                f"({_differences(list(question['choices']), ids)})")
    return problems


def read_lesson_translation(path: Path, english_body: str,
                            language: str) -> tuple[TranslationFile | None, list[str], list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, ["is not UTF-8 text: save it as UTF-8"], []
    found = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not found:
        return None, ["must start with its front matter between two --- lines (language, source_hash, "
                      "translated_by, reviewed_by): see content/courses/README.md"], []
    try:
        about = LessonTranslationSchema().load(_read_yaml(found.group(1)) or {})
    except yaml.YAMLError as error:
        return None, [f"front matter {_yaml_problem(error)}"], []
    except ValidationError as error:
        return None, [f"front matter: {where}: {message}" if where else f"front matter: {message}"
                      for where, message in flatten_errors(error.messages)], []
    if about["language"] != language:
        return None, [f"says language {about['language']!r} but its name says {language!r}: make them the same"], []
    body = text.replace("\r\n", "\n")[found.end():]
    problems = _structure_problems(body, english_body)
    current = about["source_hash"] == lesson_source_hash(english_body)
    warnings = [] if current else ["is outdated: the English lesson changed since it was translated. Update it, "
                                   "then run `flask courses stamp` on it"]
    if not current:
        problems = []  # not shown until it is brought up to date
    return (TranslationFile(language, str(path), {"body": body}, about["source_hash"], current,
                            about["translated_by"], about["reviewed_by"], sha256(text))
            if not problems else None), problems, warnings


def _structure_problems(body: str, english_body: str) -> list[str]:
    """A translated lesson keeps the English's parts: the same number of `##` headings and of images."""
    problems = []
    headings, english_headings = (len(re.findall(r"(?m)^## ", text)) for text in (body, english_body))
    if headings != english_headings:
        problems.append(f"has {headings} `##` headings, the English has {english_headings}: keep the same parts")
    images, english_images = (re.findall(r"!\[[^\]]*\]\(([^)\s]+)", text) for text in (body, english_body))
    if sorted(images) != sorted(english_images):
        problems.append("must show the same pictures as the English: " + (", ".join(english_images) or "none"))
    if re.search(r"(?m)^# ", body):
        problems.append("must not start with a `#` title: the page shows the title from the course's translation")
    return problems


def stamp(path: Path, source_hash: str) -> None:
    """Write the English's hash into a translation (`source_hash: ...`), keeping the rest of the file as it is."""
    text = path.read_text(encoding="utf-8")
    stamped, count = re.subn(r'(?m)^source_hash:.*$', f"source_hash: {source_hash}", text, count=1)
    if not count:
        raise ValueError(f"{path} has no source_hash line to stamp: add `source_hash:` to it")
    path.write_text(stamped, encoding="utf-8")
