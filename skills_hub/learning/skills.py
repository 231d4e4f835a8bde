"""The skills check: its statements (content/skills-check.yaml), and a learner's profile and recommendations."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate

from skills_hub.eds import EDS_AREAS
from skills_hub.validation import SLUG

CONFIDENCE = {1: "Not yet", 2: "With help", 3: "Mostly", 4: "Yes, easily"}
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


def statements() -> tuple[Statement, ...]:
    return _load(current_app.config["SKILLS_CHECK_FILE"])


def area_scores(answers: dict[str, int]) -> dict[str, float]:
    """The average confidence per area, for the areas answered."""
    totals: dict[str, list[int]] = {}
    for statement in statements():
        if statement.id in answers:
            totals.setdefault(statement.area, []).append(answers[statement.id])
    return {area: sum(values) / len(values) for area, values in totals.items()}
