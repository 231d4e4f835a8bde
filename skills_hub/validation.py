"""Shared helpers for marshmallow input: plain-English messages and flattening errors to field paths."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

REQUIRED = {"required": "This is required.", "null": "This cannot be empty."}
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                       error="Use lowercase letters, digits and single hyphens only, like using-email.")


def required_string(**kwargs: Any) -> fields.String:
    return fields.String(required=True, error_messages=REQUIRED,
                         validate=kwargs.pop("validate", validate.Length(min=1, error="This cannot be empty.")),
                         **kwargs)


def flatten_errors(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Turn marshmallow's nested messages into (path, message) pairs: `lessons[2].file`."""
    if isinstance(errors, dict):
        pairs: list[tuple[str, str]] = []
        for key, value in errors.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            pairs.extend(flatten_errors(value, path))
        return pairs
    if isinstance(errors, list):
        return [pair for item in errors for pair in flatten_errors(item, prefix)]
    return [(prefix, str(errors))]


def load_form(schema: Any) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """Load the posted form with a schema: (data, []) or (None, [(field, message), ...]) for the error summary."""
    from flask import request
    from marshmallow import ValidationError

    try:
        return schema.load(request.form.to_dict()), []
    except ValidationError as error:
        return None, flatten_errors(error.messages)
