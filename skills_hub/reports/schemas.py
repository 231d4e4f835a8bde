"""Input for the reports: a period (dates inclusive) and, optionally, one branch."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, post_load, pre_load, validates_schema

from skills_hub.endpoints import InputSchema
from skills_hub.extensions import utcnow

DATE_ERRORS = {"invalid": "Give a date like 2026-11-28."}
# `?from=&to=` (empty) means "not given": the document says so, or a client following it would think it wrong.
DATE_OR_EMPTY = {"format": "date-or-empty", "pattern": r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"}


class ReportQuery(InputSchema):
    from_ = fields.Date(data_key="from", load_default=None, error_messages=DATE_ERRORS,
                        metadata={"description": "First day, like 2026-11-01 (empty or left out: a year before `to`)",
                                  **DATE_OR_EMPTY})
    to = fields.Date(load_default=None, error_messages=DATE_ERRORS,
                     metadata={"description": "Last day, like 2026-11-30 (empty or left out: today)", **DATE_OR_EMPTY})
    branch = fields.UUID(load_default=None, error_messages={"invalid_uuid": "Choose a branch from the list."})

    @pre_load
    def _empty_means_unset(self, data: dict, **_: Any) -> dict:
        return {key: value for key, value in data.items() if value != ""}  # `?from=&to=&branch=` as docs/api.md shows

    @validates_schema
    def _in_order(self, data: dict, **_: Any) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("The first day must be before the last day.", "from")
        if data.get("from_") and data.get("to") and (data["to"] - data["from_"]).days > 366 * 5:
            raise ValidationError("Choose a period of up to five years.", "from")

    @post_load
    def _defaults(self, data: dict, **_: Any) -> dict:
        end = data.get("to") or utcnow().date()
        start = data.get("from_") or date(end.year - 1, end.month, 1)
        return {"start": start, "end": end, "branch": data.get("branch")}
