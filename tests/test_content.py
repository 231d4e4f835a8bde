"""The real catalogue: valid, readable, and covering every EDS area (the rules docs/writing-courses.md sets)."""

import re

import pytest
import yaml

from skills_hub.courses import readability
from skills_hub.eds import EDS_AREAS
from tests.conftest import CONTENT_DIR

LESSONS = sorted(CONTENT_DIR.glob("*/lessons/*.md"))


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


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_no_lesson_prints_a_phone_number_or_says_simply(lesson):
    text = lesson.read_text(encoding="utf-8")
    assert not re.search(r"\b0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}\b|\b\d{5,}\b", text), "no phone numbers"
    assert not re.search(r"\b(simply|just)\b", text, flags=re.I), "writing rules: no 'simply' or 'just'"


def test_every_eds_area_is_covered():
    covered = {area for path in CONTENT_DIR.glob("*/course.yaml")
               for area in yaml.safe_load(path.read_text(encoding="utf-8"))["eds_areas"]}
    assert covered == set(EDS_AREAS)
