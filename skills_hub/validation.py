"""Shared helpers for marshmallow input: plain-English messages, safe text and JSON, and flattening errors."""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from marshmallow import ValidationError, fields, validate

from skills_hub.i18n import say

REQUIRED = {"required": "This is required.", "null": "This cannot be empty."}
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                       error="Use lowercase letters, digits and single hyphens only, like using-email.")


def required_string(**kwargs: Any) -> fields.String:
    return fields.String(required=True, error_messages=REQUIRED,
                         validate=kwargs.pop("validate", validate.Length(min=1, error="This cannot be empty.")),
                         **kwargs)


# Text --------------------------------------------------------------------------------------------------------------

# Characters no text may hold: NUL (PostgreSQL cannot store it), lone surrogates (they are not real characters and
# cannot be written as UTF-8), other control characters (C0 but tab and line breaks, DEL, C1), and the bidi
# controls that make text print in another order than it was typed (embeddings, overrides, isolates).
_NEVER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What a one-line text may not hold besides: tabs and line breaks (and Unicode's own line and paragraph breaks).
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")
# Characters that take no room: a text made of nothing else (and spaces) is blank.
_INVISIBLE = re.compile("[\\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f"
                        "\u2060-\u2064\u206a-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0]")


def text_problem(value: str, *, multiline: bool = True) -> str | None:
    """What is wrong with a piece of text, in plain words, or None: the characters no text may hold (and, for a
    one-line text, tabs and line breaks)."""
    found = _NEVER.search(value) or (None if multiline else _LINE_BREAKS.search(value))
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    if "\ud800" <= found.group() <= "\udfff":
        return say("This has a broken character (%(code)s) that we cannot store. Type it again without it.",
                    code=code)
    if _LINE_BREAKS.match(found.group()):
        return say("Keep this on one line. Take out the tab or line break.")
    return say("This has a hidden character (%(code)s) that we cannot store or show safely. Type it again without it.",
                code=code)


def without_hidden_characters(value: str) -> str:
    """The text without the characters no text may hold (for showing text stored before they were refused)."""
    return _NEVER.sub("", value)


def is_blank(value: str) -> bool:
    """Nothing to see: only spaces and characters that take no room (zero-width spaces, joiners, fillers)."""
    return not _INVISIBLE.sub("", value)


def text_problems(data: Any, path: tuple = ()) -> dict:
    """Every string in a loaded body (keys too), checked for the characters no text may hold, as marshmallow
    shapes its errors: `{"consent": {"method": ["..."]}}`."""
    problems: dict = {}
    if isinstance(data, str):
        return {"_text": [message]} if (message := text_problem(data)) else {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = key if isinstance(key, str) else str(key)
            if isinstance(key, str) and (message := text_problem(key)):
                problems[_printable(key)] = ["This field name " + message[len("This "):]]
                continue
            found = text_problems(value)
            if found:
                problems[name] = found.get("_text", found)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            found = text_problems(value)
            if found:
                problems[index] = found.get("_text", found)
    return problems


def _printable(text: str) -> str:
    return _NEVER.sub(lambda found: f"<U+{ord(found.group()):04X}>", text)


class Text(fields.String):
    """A name or a short text a person types: trimmed; never blank or made only of invisible characters; no
    control characters (line breaks only where `multiline`) and no bidi controls that would make it print in
    another order than it was typed. Characters that join letters (ZWJ, ZWNJ) stay allowed inside a name."""

    default_error_messages = {"blank": "This cannot be empty. Type some letters or numbers."}

    def __init__(self, *, multiline: bool = False, allow_blank: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.multiline = multiline
        self.allow_blank = allow_blank

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if message := text_problem(text, multiline=self.multiline):
            raise ValidationError(message)
        text = text.strip()
        if is_blank(text):
            if self.allow_blank:
                return ""
            raise self.make_error("blank")
        return text


def name_text(what: str, *, required: bool = True, max_length: int = 100, **kwargs: Any) -> Text:
    """A person's or a place's name: `what` is how the message names it (`first name`)."""
    return Text(required=required, error_messages={**REQUIRED, "required": f"Enter the {what}.",
                                                   "blank": f"Enter the {what}."},
                validate=validate.Length(max=max_length, error=f"Enter the {what} in {max_length} characters or "
                                                               "fewer."), **kwargs)


# JSON --------------------------------------------------------------------------------------------------------------

MAX_JSON_DEPTH = 32
MAX_NUMBER_LENGTH = 30
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_LONG_NUMBER = re.compile(rf"-?[0-9][0-9.eE+-]{{{MAX_NUMBER_LENGTH - 1},}}")


class JSONUnreadable(ValueError):
    """JSON we will not read: malformed, nested too deeply, or with a number too long to be real."""


def _where(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line}, column {column}"


def _refuse_constant(name: str) -> Any:
    raise JSONUnreadable(f"{name} is not a JSON number. Send a number, or null.")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JSONUnreadable(f"The number {text} is too large. Send a smaller number.")
    return number


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice in one object is refused: which one counts differs between readers."""
    read = dict(pairs)
    if len(read) < len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise JSONUnreadable(f'The key "{repeated}" appears twice in one object. Send it once.')
    return read


def parse_json(raw: bytes | str) -> Any:
    """Read JSON safely: at most MAX_JSON_DEPTH levels of lists and objects, numbers of at most MAX_NUMBER_LENGTH
    characters, no NaN or Infinity. Anything else raises JSONUnreadable with a plain message saying where."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise JSONUnreadable("This is not UTF-8 text. Save it as UTF-8 and send it again.") from error
    # Blank out the strings (keeping every position) so that brackets and digits inside them do not count.
    bare = _JSON_STRING.sub(lambda found: '""'.ljust(len(found.group()), " "), text)
    brackets = re.sub(r"[^\[\]{}]", "", bare)
    if brackets:
        depths = accumulate(1 if bracket in "[{" else -1 for bracket in brackets)
        for index, depth in enumerate(depths):
            if depth > MAX_JSON_DEPTH:
                position = [found.start() for found in re.finditer(r"[\[\]{}]", bare)][index]
                raise JSONUnreadable(f"The JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels of lists "
                                     f"and objects, at {_where(text, position)}). Send it with fewer levels.")
    if long_number := _LONG_NUMBER.search(bare):
        raise JSONUnreadable(f"A number is too long (more than {MAX_NUMBER_LENGTH} characters, at "
                             f"{_where(text, long_number.start())}). Send a shorter number.")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite,
                          object_pairs_hook=_object_without_repeated_keys)
    except json.JSONDecodeError as error:
        raise JSONUnreadable(f"This is not well-formed JSON: {error.msg.lower()} at line {error.lineno}, column "
                             f"{error.colno}.") from None
    except RecursionError:  # cannot happen after the depth check; kept so that a deep body is never a 500
        raise JSONUnreadable(f"The JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels).") from None


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


# Forms on pages ------------------------------------------------------------------------------------------------

# How a message names a form field when the message itself does not ("This has a hidden character"): a schema
# field's metadata["label"] first, then these, then the field's name in words (opening_hours: "Opening hours").
FIELD_LABELS = {
    "given_name": "First name",
    "family_name": "Last name",
    "display_name": "Full name",
    "email": "Email address",
    "phone": "Phone number",
    "preferred_language": "Preferred language code",
    "branch_id": "Library",
    "need": "What they need help with",
}


def field_label(schema: Any, key: str) -> str:
    """The plain words a message uses for the form field `key` (a box's name, like display_name)."""
    for name, field in getattr(schema, "fields", {}).items():
        if key in (name, field.data_key) and field.metadata.get("label"):
            return str(field.metadata["label"])
    return FIELD_LABELS.get(key) or key.replace("_", " ").replace("-", " ").strip().capitalize() or "This field"


def taken_out_problem(value: str) -> str | None:
    """What was wrong with a form box whose hidden or broken characters were taken out before anything read it
    (the form is shown again with what is left, so the person checks it rather than typing it all again)."""
    found = _NEVER.search(value)
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    if "\ud800" <= found.group() <= "\udfff":
        return say("This had a broken character (%(code)s) that we cannot store: the text was not sent as proper "
                    "UTF-8. We took it out: check what is left, then send the form again.", code=code)
    return say("This had a hidden character (%(code)s) that we cannot store or show safely. We took it out: check "
                "what is left, then send the form again.", code=code)


_UNNAMED = ("This had a ", "This has a ", "Keep this on one line")


def _named(label: str, message: str) -> str:
    """`This has a hidden character…` on its own does not say which box: `Full name: this has a hidden…`.
    Both are put in the page's language here, as the page is drawn (the schemas keep them in English)."""
    from skills_hub.i18n import current_language, translate

    if not message.startswith(_UNNAMED):
        return translate(message)
    if current_language().is_english:
        return f"{label}: {message[0].lower()}{message[1:]}"
    return f"{translate(label)}: {translate(message)}"


def load_form(schema: Any) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """Load the posted form with a schema: (data, []) or (None, [(field, message), ...]) for the error summary.
    Boxes whose hidden or broken characters were taken out when the form was read (endpoints.FormRequest) are
    errors too, named by their label; the form is shown again with what is left in them."""
    from flask import request

    try:
        data, errors = schema.load(request.form.to_dict()), []
    except ValidationError as error:
        data, errors = None, flatten_errors(error.messages)
    taken_out = getattr(request, "form_problems", {})
    if taken_out:
        data = None
        errors = [(field, message) for field, message in errors if field not in taken_out]
        errors.extend(taken_out.items())
        order = list(request.form.keys()) + list(request.files.keys())

        def place(pair: tuple[str, str]) -> int:
            field = pair[0]
            return next((index for index, key in enumerate(order) if key == field or key.startswith(f"{field}-")),
                        len(order))

        errors.sort(key=place)
    return data, [(field, _named(field_label(schema, field), message) if field else _named("", message))
                  for field, message in errors]
