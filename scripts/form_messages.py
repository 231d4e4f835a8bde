"""Print skills_hub/translations/form_messages.py: every fixed message the forms' schemas can say, for
`pybabel extract` (`make translations` runs this first). Schemas keep their messages in English (lazy strings
break inside marshmallow and json.dumps); pages translate them when they are drawn (validation.load_form).

A message is collected from each FormSchema and each schema defined in a page module (and the schemas nested in
them): its fields' error messages,
marshmallow's built-in ones included, the `error` of each validator, and each field's label.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def form_messages() -> list[str]:
    from marshmallow import Schema, fields

    from skills_hub import create_app
    from skills_hub.config import TestConfig
    from skills_hub.endpoints import FormSchema

    create_app(TestConfig())  # imports every domain, so every form schema exists
    found: set[str] = set()

    def from_schema(schema: Schema, seen: set[type]) -> None:
        if type(schema) in seen:
            return
        seen.add(type(schema))
        found.update(str(message) for message in schema.error_messages.values())
        for field in schema.fields.values():
            from_field(field, seen)

    def from_field(field: fields.Field, seen: set[type]) -> None:
        found.update(str(message) for message in field.error_messages.values())
        if label := field.metadata.get("label"):
            found.add(str(label))
        for validator in field.validators:
            if isinstance(getattr(validator, "error", None), str):
                found.add(validator.error)
        if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            from_schema(field.schema, seen)
        for inner in (getattr(field, "inner", None), getattr(field, "value_field", None)):
            if isinstance(inner, fields.Field):
                from_field(inner, seen)

    def subclasses(cls: type) -> list[type]:
        return [cls] + [found for sub in cls.__subclasses__() for found in subclasses(sub)]

    # The forms: every FormSchema, and every schema a page module defines for its own form.
    forms = set(subclasses(FormSchema)) | {cls for cls in subclasses(Schema) if cls.__module__.endswith(".views")}
    for schema_class in sorted(forms, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}"):
        try:
            schema = schema_class()
        except TypeError:  # a schema that needs arguments is made by its page, which passes them
            continue
        from_schema(schema, set())
    # Messages with placeholders are formatted when they are raised: they cannot be looked up as they are.
    return sorted(message for message in found if message and "{" not in message)


def main() -> None:
    print('"""Every fixed message the forms\' schemas can say, for `pybabel extract`: made by '
          'scripts/form_messages.py\n(`make translations`); do not edit by hand."""\n')
    print("\ndef N_(message: str) -> str:\n    return message\n\n")
    print("MESSAGES = [")
    for message in form_messages():
        print(f"    N_({message!r}),")
    print("]")


if __name__ == "__main__":
    main()
