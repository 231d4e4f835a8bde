"""The real catalogue: valid, readable, and covering every EDS area (the rules docs/writing-courses.md sets)."""

import re

import pytest
import yaml

from skills_hub.courses import readability
from skills_hub.eds import EDS_AREAS
from tests.conftest import CONTENT_DIR

ALL_LESSONS = sorted(CONTENT_DIR.glob("*/lessons/*.md"))
LESSONS = [path for path in ALL_LESSONS if path.name.count(".") == 1]  # the English: NN-slug.md
TRANSLATED_COURSES = ("getting-started", "using-email", "staying-safe-online")


def test_three_courses_are_translated_into_every_page_language(real_course_files):
    """Translated, not necessarily current: editing the English makes a translation outdated, never the build red
    (`flask courses translations` lists what needs updating)."""
    by_slug = {course.slug: course for course in real_course_files}
    for slug in TRANSLATED_COURSES:
        course = by_slug[slug]
        assert sorted(course.translations) == ["ar", "pl", "ur", "zh-Hans"], slug
        for lesson in course.lessons:
            assert sorted(lesson.translations) == ["ar", "pl", "ur", "zh-Hans"], f"{slug}/{lesson.slug}"
    # Each translation says who made it and whether a native speaker has reviewed it.
    for course in real_course_files:
        for translation in [*course.translations.values(),
                            *(t for lesson in course.lessons for t in lesson.translations.values())]:
            assert translation.translated_by.strip()
            assert "reviewed_by" in translation.__dataclass_fields__
            assert translation.reviewed_by is None or translation.reviewed_by.strip()  # a name, or nobody yet


def test_the_catalogue_has_at_least_eight_valid_courses(real_course_files):
    assert len(real_course_files) >= 8


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_lesson_is_plain_english_and_short(lesson):
    measured = readability.measure(lesson.read_text(encoding="utf-8"))
    assert measured.words <= readability.MAX_LESSON_WORDS
    assert measured.words >= readability.MIN_LESSON_WORDS
    assert measured.average_sentence_words <= readability.MAX_AVERAGE_SENTENCE_WORDS


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_lesson_has_the_house_shape(lesson):
    headings = re.findall(r"^## (.+)$", lesson.read_text(encoding="utf-8"), flags=re.M)
    for part in ("What you will do", "Why it matters", "Try it"):
        assert part in headings, f"{lesson} lacks the section '## {part}'"


@pytest.mark.parametrize("lesson", ALL_LESSONS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_no_lesson_prints_a_phone_number_or_says_simply(lesson):
    text = lesson.read_text(encoding="utf-8")
    assert not re.search(r"\b0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}\b|\b\d{5,}\b", text), "no phone numbers"
    assert not re.search(r"\b(simply|just)\b", text, flags=re.I), "writing rules: no 'simply' or 'just'"


def test_every_eds_area_is_covered():
    covered = {area for path in CONTENT_DIR.glob("*/course.yaml")
               for area in yaml.safe_load(path.read_text(encoding="utf-8"))["eds_areas"]}
    assert covered == set(EDS_AREAS)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_lesson_shows_at_least_one_picture_in_its_steps(lesson):
    steps = re.split(r"(?m)^## ", lesson.read_text(encoding="utf-8"))
    [part] = [part for part in steps if part.startswith("Steps")]
    pictures = re.findall(r"!\[([^\]]+)\]\((images/[^)]+\.svg)\)", part)
    assert pictures, f"{lesson}: add a picture of what the resident sees to its Steps part"
    assert all(len(alt.split()) >= 4 for alt, _ in pictures), "alt text says what it shows and what to do"
