"""Reading and checking the course files in content/courses/: the one place that knows their format."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from skills_hub import markdown
from skills_hub.config import PROJECT_ROOT
from skills_hub.courses import pictures, readability
from skills_hub.courses.schemas import CourseFileSchema
from skills_hub.courses.translation_files import (
    ANY_TRANSLATION,
    COURSE_TRANSLATION,
    LESSON_TRANSLATION,
    TRANSLATED_LANGUAGES,
    TranslationFile,
    read_course_translation,
    read_lesson_translation,
)
from skills_hub.validation import flatten_errors

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LESSON_FILE = re.compile(r"^lessons/(\d{2})-([a-z0-9-]+)\.md$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the files, said so that the writer knows where and what to do."""

    path: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.message}" if self.where else f"{self.path}: {self.message}"


@dataclass(frozen=True)
class LessonFile:
    slug: str
    title: str
    position: int
    minutes: int
    body: str
    content_hash: str
    translations: dict[str, TranslationFile] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CourseFile:
    slug: str
    title: str
    summary: str
    level: str
    eds_areas: list[str]
    minutes: int
    version: int
    published: bool
    outcomes: list[str]
    knowledge_check: dict[str, Any]
    lessons: list[LessonFile]
    content_hash: str = field(compare=False)
    translations: dict[str, TranslationFile] = field(default_factory=dict, compare=False)
    warnings: list[Problem] = field(default_factory=list, compare=False)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def read_course(folder: Path) -> tuple[CourseFile | None, list[Problem]]:
    """Read one course folder; return the course, or None with every problem found."""
    course_yaml = folder / "course.yaml"
    shown = _shown(course_yaml)
    if not course_yaml.is_file():
        return None, [Problem(_shown(folder), "", "has no course.yaml: add one, or move the folder out")]
    try:
        raw = yaml.load(course_yaml.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except UnicodeDecodeError:
        return None, [Problem(shown, "", "is not UTF-8 text: save it as UTF-8")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        return None, [Problem(shown, where, f"is not valid YAML ({getattr(error, 'problem', error)}): fix the "
                                            "indentation or quoting there")]
    if not isinstance(raw, dict):
        return None, [Problem(shown, "", "must be a mapping of fields (slug, title, ...): "
                                         "see content/courses/README.md")]
    try:
        data = CourseFileSchema().load(raw)
    except ValidationError as error:
        return None, [Problem(shown, path, message) for path, message in flatten_errors(error.messages)]

    problems: list[Problem] = []
    if data["slug"] != folder.name:
        problems.append(Problem(shown, "slug", f"is {data['slug']!r} but the folder is {folder.name!r}: make them "
                                                "the same"))
    lessons: list[LessonFile] = []
    listed: set[str] = set()
    for index, entry in enumerate(data["lessons"]):
        where = f"lessons[{index}]"
        number, slug = _LESSON_FILE.match(entry["file"]).groups()
        listed.add(entry["file"])
        if int(number) != index + 1:
            problems.append(Problem(shown, where, f"{entry['file']} is lesson {index + 1}: name it "
                                                  f"lessons/{index + 1:02d}-{slug}.md"))
        if any(lesson.slug == slug for lesson in lessons):
            problems.append(Problem(shown, where, f"the lesson slug {slug!r} is used twice: give each lesson its own"))
        path = folder / entry["file"]
        if not path.is_file():
            problems.append(Problem(shown, where, f"{entry['file']} does not exist"))
            continue
        try:
            body = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(_shown(path), "", "is not UTF-8 text: save it as UTF-8"))
            continue
        problems.extend(Problem(_shown(path), "", message) for message in _lesson_problems(body, folder))
        lessons.append(LessonFile(slug=slug, title=entry["title"], position=index + 1, minutes=entry["minutes"],
                                  body=body, content_hash=_digest(entry["title"], str(entry["minutes"]), body)))
    for stray in sorted((folder / "lessons").glob("*.md")):
        if ANY_TRANSLATION.match(stray.name):
            continue  # a translation: read below
        if f"lessons/{stray.name}" not in listed:
            problems.append(Problem(_shown(stray), "", "is not listed under lessons in course.yaml: list it or "
                                                       "remove it"))
    translations, lesson_translations, warnings = _read_translations(folder, data, lessons, problems)
    if problems:
        return None, problems
    lessons = [LessonFile(slug=lesson.slug, title=lesson.title, position=lesson.position, minutes=lesson.minutes,
                          body=lesson.body, content_hash=lesson.content_hash,
                          translations=lesson_translations.get(lesson.slug, {})) for lesson in lessons]

    check = {"pass_mark": data["check"]["pass_mark"], "questions": data["check"]["questions"]}
    content_hash = _digest(json.dumps({k: v for k, v in data.items() if k != "lessons"}, sort_keys=True),
                           *(lesson.content_hash + lesson.slug for lesson in lessons),
                           *(f"{language}:{translation.content_hash}" for language, translation
                             in sorted(translations.items())),
                           *(f"{lesson.slug}:{language}:{translation.content_hash}" for lesson in lessons
                             for language, translation in sorted(lesson.translations.items())))
    return CourseFile(
        slug=data["slug"], title=data["title"], summary=data["summary"], level=data["level"],
        eds_areas=data["eds_areas"], minutes=data["minutes"], version=data["version"],
        published=data["published"], outcomes=data["outcomes"], knowledge_check=check, lessons=lessons,
        content_hash=content_hash, translations=translations, warnings=warnings,
    ), []


def _read_translations(folder: Path, data: dict[str, Any], lessons: list[LessonFile], problems: list[Problem]):
    """The course's translations and its lessons' ({language: file}, {lesson slug: {language: file}}, warnings).
    Problems go into `problems`; an outdated translation is a warning."""
    english = {**data, "lessons": [{"slug": lesson.slug, "title": lesson.title} for lesson in lessons]}
    by_file = {f"{lesson.position:02d}-{lesson.slug}": lesson for lesson in lessons}
    course_translations: dict[str, TranslationFile] = {}
    lesson_translations: dict[str, dict[str, TranslationFile]] = {}
    warnings: list[Problem] = []
    candidates = sorted(folder.glob("course.*.yaml")) + sorted((folder / "lessons").glob("*.*.md"))
    for path in candidates:
        shown = _shown(path)
        if not ANY_TRANSLATION.match(path.name) or not (COURSE_TRANSLATION.match(path.name)
                                                        or LESSON_TRANSLATION.match(path.name)):
            problems.append(Problem(shown, "", "is named like a translation, but pages are written only in "
                                               + ", ".join(TRANSLATED_LANGUAGES) + " besides English: name it "
                                               "course.<language>.yaml or lessons/NN-slug.<language>.md"))
            continue
        if found := COURSE_TRANSLATION.match(path.name):
            translation, found_problems, found_warnings = read_course_translation(path, shown, english,
                                                                                  found.group(1))
            if translation:
                course_translations[translation.language] = translation
        else:
            number, slug, language = LESSON_TRANSLATION.match(path.name).groups()
            lesson = by_file.get(f"{number}-{slug}")
            if lesson is None:
                warnings.append(Problem(shown, "", "translates a lesson that is no longer in course.yaml: "
                                                   "rename it with the lesson's new file name, or remove it"))
                continue
            translation, found_problems, found_warnings = read_lesson_translation(path, lesson.body, language)
            if translation:
                lesson_translations.setdefault(slug, {})[language] = translation
        problems.extend(Problem(shown, "", message) for message in found_problems)
        warnings.extend(Problem(shown, "", message) for message in found_warnings)
    return course_translations, lesson_translations, warnings


def _lesson_problems(body: str, folder: Path) -> list[str]:
    problems, images = markdown.inspect(body)
    for src in images:
        if not markdown.is_external(src) and not (folder / src).is_file():
            problems.append(f"image {src} does not exist: put it in the course's images/ folder")
        elif not markdown.is_external(src):
            problems.extend(f"image {src} {problem}" for problem in pictures.problems(folder / src))
    measured = readability.measure(body)
    if measured.words > readability.MAX_LESSON_WORDS:
        problems.append(f"has {measured.words} words: keep a lesson to {readability.MAX_LESSON_WORDS} or fewer")
    if measured.words < readability.MIN_LESSON_WORDS:
        problems.append(f"has {measured.words} words: a lesson needs at least {readability.MIN_LESSON_WORDS}")
    if measured.average_sentence_words > readability.MAX_AVERAGE_SENTENCE_WORDS:
        problems.append(f"sentences average {measured.average_sentence_words:.1f} words: aim for "
                        f"{readability.MAX_AVERAGE_SENTENCE_WORDS:g} or fewer by splitting long ones")
    return problems


def read_catalogue(root: Path) -> tuple[list[CourseFile], list[Problem]]:
    """Read every course folder under root. Problems in one course never hide the others' problems."""
    if not root.is_dir():
        return [], [Problem(_shown(root), "", "is not a folder: set SKILLS_HUB_CONTENT_DIR to the courses folder")]
    courses: list[CourseFile] = []
    problems: list[Problem] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        course, found = read_course(folder)
        problems.extend(found)
        if course is not None:
            courses.append(course)
    return courses, problems
