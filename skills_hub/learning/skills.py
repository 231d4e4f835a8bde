"""The skills check: its statements (content/skills-check.yaml), and a learner's profile and recommendations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import func, select

from skills_hub import storage
from skills_hub.courses import audio
from skills_hub.courses.translation_files import sha256
from skills_hub.eds import EDS_AREAS, N_
from skills_hub.extensions import db
from skills_hub.jobs.services import enqueue, job_handler
from skills_hub.validation import SLUG

CONFIDENCE = {1: N_("Not yet"), 2: N_("With help"), 3: N_("Mostly"), 4: N_("Yes, easily")}
CONFIDENT = 3  # an area below this on average is a gap worth a course


class _Statement(Schema):
    id = fields.String(required=True, validate=SLUG)
    text = fields.String(required=True, validate=validate.Length(min=5, max=120))


class _SkillsCheckFile(Schema):
    areas = fields.Dict(keys=fields.String(validate=validate.OneOf(list(EDS_AREAS))),
                        values=fields.List(fields.Nested(_Statement), validate=validate.Length(min=1)),
                        required=True)


@dataclass(frozen=True)
class Statement:
    id: str
    area: str
    text: str


@cache
def _load(path: Path) -> tuple[Statement, ...]:
    try:
        data = _SkillsCheckFile().load(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as error:
        raise ValueError(f"{path}: {error.messages}") from error
    statements = tuple(Statement(item["id"], area, item["text"]) for area in EDS_AREAS
                       for item in data["areas"].get(area, []))
    if len({s.id for s in statements}) != len(statements):
        raise ValueError(f"{path}: every statement needs its own id")
    return statements


def statements(language: str = "en") -> tuple[Statement, ...]:
    """The statements, in `language` when skills-check.<language>.yaml has all of them and translates the English
    as it is now (else in English: a page never shows half a translation)."""
    path = current_app.config["SKILLS_CHECK_FILE"]
    english = _load(path)
    texts = _translation(path, language) if language != "en" else None
    if texts is None:
        return english
    return tuple(Statement(s.id, s.area, texts[s.id]) for s in english)


def english_hash(english: tuple[Statement, ...]) -> str:
    """What a translation of the statements records in `source_hash` (`flask courses stamp` does not: see
    content/courses/README.md)."""
    return sha256(json.dumps({s.id: s.text for s in english}, sort_keys=True, ensure_ascii=False))


@cache
def _translation(path: Path, language: str) -> dict[str, str] | None:
    file = path.with_name(f"{path.stem}.{language}{path.suffix}")
    if not file.is_file():
        return None
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    english = _load(path)
    texts = data.get("statements") or {}
    if data.get("source_hash") != english_hash(english) or set(texts) != {s.id for s in english}:
        return None  # outdated or incomplete
    return {key: str(value) for key, value in texts.items()}


def area_scores(answers: dict[str, int]) -> dict[str, float]:
    """The average confidence per area, for the areas answered."""
    totals: dict[str, list[int]] = {}
    for statement in statements():
        if statement.id in answers:
            totals.setdefault(statement.area, []).append(answers[statement.id])
    return {area: sum(values) / len(values) for area, values in totals.items()}


# The statements read aloud on the server ---------------------------------------------------------------------------
SKILLS_AUDIO_JOB = "make_skills_check_audio"


def said(language: str) -> audio.Spoken | None:
    """The statements as read aloud in a language they are shown in, or None (no server voice for it, or its
    readers see the English statements)."""
    if not audio.speaks(language) or (language != "en" and statements(language) == statements("en")):
        return None
    return audio.Spoken(tuple((statement.text,) for statement in statements(language)))


def reading_key(language: str) -> str | None:
    spoken = said(language)
    key = audio.audio_key(spoken, language) if spoken else None
    return key if key and storage.sha256_of(key) is not None else None


@job_handler(SKILLS_AUDIO_JOB)
def make_skills_check_audio(payload: dict) -> None:
    if spoken := said(payload["language"]):
        audio.save_reading(spoken, payload["language"])


def ask_for_reading(language: str) -> bool:
    """Queue the statements' reading in this language if it is missing and not already asked for (the page asks,
    the first time someone opens it). Flushes, never commits."""
    from skills_hub.jobs.models import Job, JobStatus

    if audio.tools_missing() or said(language) is None or reading_key(language) is not None:
        return False
    waiting = db.session.scalar(select(func.count()).select_from(Job).where(
        Job.kind == SKILLS_AUDIO_JOB, Job.status.in_([JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING]),
        Job.payload["language"].as_string() == language))
    if waiting:
        return False
    enqueue(SKILLS_AUDIO_JOB, {"language": language})
    return True
