"""A factory for course folders in a temporary content directory."""

from __future__ import annotations

from pathlib import Path

import yaml

LESSON_BODY = """## What you will do

You will practise one small thing on your phone.

## Why it matters

{filler}

## Steps

1. Open the app.
2. Tap the button that says Next.

## Stay safe

Never share your PIN with anyone.

## Try it

Try it now with a helper.
"""
FILLER = "This is a short sentence about why this matters to you. " * 18


def write_course(root: Path, folder_name: str = "test-course", lessons: int = 3, **overrides) -> Path:
    slug = folder_name
    folder = root / folder_name
    (folder / "lessons").mkdir(parents=True, exist_ok=True)
    entries = []
    for n in range(1, lessons + 1):
        name = f"lessons/{n:02d}-lesson-{n}.md"
        (folder / name).write_text(LESSON_BODY.format(filler=FILLER), encoding="utf-8")
        entries.append({"file": name, "title": f"Lesson {n}", "minutes": 5})
    data = {
        "slug": slug, "title": f"Course {slug}", "summary": "A course for tests.", "level": "foundation",
        "eds_areas": ["foundation"], "minutes": 5 * lessons, "version": 1,
        "outcomes": ["I can do the thing."], "lessons": entries,
        "check": {"pass_mark": 50, "questions": [
            {"id": "q1", "text": "Which is right?", "choices": [
                {"id": "a", "text": "The right one", "correct": True, "feedback": "Yes, that is right."},
                {"id": "b", "text": "The wrong one", "feedback": "Not quite: the other one is right."}]},
            {"id": "q2", "text": "And this?", "choices": [
                {"id": "a", "text": "Wrong", "feedback": "No."},
                {"id": "b", "text": "Right", "correct": True, "feedback": "Yes."}]},
        ]},
    }
    data.update(overrides)
    (folder / "course.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder
