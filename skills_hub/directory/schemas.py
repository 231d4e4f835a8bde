"""Input and output shapes for the directory: the search, HSDS paging, and a provider's service form."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates

from skills_hub import geo
from skills_hub.directory.models import ACCESSIBILITY, CAPACITY, DAYS, DELIVERY_MODES, NEEDS, STATUSES
from skills_hub.eds import EDS_AREAS, LEVELS
from skills_hub.endpoints import STRING_LIST, InputSchema, PageQuery
from skills_hub.languages import two_letter_code
from skills_hub.validation import REQUIRED, Text


def _one_of(choices: Any, what: str) -> validate.OneOf:
    return validate.OneOf(list(choices), error=f"Choose {what}: one of " + ", ".join(choices) + ".")


class LooseBoolean(fields.Boolean):
    truthy = {"true", "yes", "1", "on", True}
    falsy = {"false", "no", "0", "off", False}
    default_error_messages = {"invalid": "Use true or false."}


class LanguageCode(fields.String):
    """An ISO 639-1 code, like ur or pl."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        code = two_letter_code(super()._deserialize(value, attr, data, **kwargs))
        if code is None:
            raise ValidationError("Give a two-letter language code, like ur for Urdu or pl for Polish.")
        return code


class ServiceQuery(PageQuery):
    near = fields.String(load_default=None, metadata={"description": "A full postcode or a postcode district "
                                                                     "(outcode), any case and spacing."})
    skill = fields.String(load_default=None, validate=_one_of(EDS_AREAS, "a skill area"))
    language = LanguageCode(load_default=None, metadata={"description": "ISO 639-1 code"})
    free = LooseBoolean(load_default=None)
    mode = fields.String(load_default=None, validate=_one_of(DELIVERY_MODES, "how it is taught"))
    day = fields.String(load_default=None, validate=_one_of(DAYS, "a day of the week"))
    access = fields.List(fields.String(validate=_one_of(ACCESSIBILITY, "an access need")), load_default=list)

    @pre_load
    def _lower_day(self, data: dict, **_: Any) -> dict:
        if isinstance(data.get("day"), str):
            data = {**data, "day": data["day"].strip().lower()}
        return data

    @validates("near")
    def _placeable(self, value: str | None, **_: Any) -> None:
        if value:
            try:
                geo.place(value)
            except geo.PostcodeProblem as problem:
                raise ValidationError(str(problem)) from None

    @post_load
    def _place(self, data: dict, **_: Any) -> dict:
        data["near"] = geo.place(data["near"]) if data.get("near") else None
        return data


class _OrganisationRef(Schema):
    id = fields.UUID()
    name = fields.String()


class _Place(Schema):
    postcode = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()


class ServiceMatchOut(Schema):
    id = fields.Function(lambda m: str(m.service.id), metadata={"type": "string"})
    name = fields.Function(lambda m: m.service.name, metadata={"type": "string"})
    organisation = fields.Function(lambda m: _OrganisationRef().dump(m.service.organisation),
                                   metadata={"type": "object"})
    location = fields.Function(lambda m: _Place().dump(m.location) if m.location else None,
                               metadata={"type": ["object", "null"],
                                         "description": "null for a service that is only online"})
    distance_km = fields.Float(allow_none=True, metadata={"description": "From the centre of the postcode "
                                                                         "district asked for; null when online"})
    score = fields.Integer(metadata={"description": "Out of 100: distance 40, skill 20, language 15, access 5 "
                                                    "each, free 10, capacity 10 (see the search page)"})
    reasons = fields.List(fields.String())
    skills = fields.Function(lambda m: m.service.eds_areas, metadata=STRING_LIST)
    languages = fields.Function(lambda m: m.service.languages, metadata=STRING_LIST)
    days = fields.Function(lambda m: m.service.days, metadata=STRING_LIST)
    modes = fields.Function(lambda m: m.service.delivery_modes, metadata=STRING_LIST)
    free = fields.Function(lambda m: m.service.is_free, metadata={"type": "boolean"})
    takes_referrals = fields.Function(lambda m: m.service.takes_referrals, metadata={"type": "boolean"})


TIME = r"^$|^([01][0-9]|2[0-3]):[0-5][0-9]$"


class HsdsQuery(InputSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000, error="Must be between 1 and "
                                                                                           "100000."))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200,
                                                                       error="Must be between 1 and 200."))


class ServiceForm(InputSchema):
    """A provider edits their service (the form posts lists as repeated checkboxes)."""

    csrf_token = fields.String(load_default=None)
    version = fields.Integer(required=True, error_messages=REQUIRED)
    name = Text(required=True, error_messages={**REQUIRED, "blank": "Give a name of up to 200 characters."},
                validate=validate.Length(min=1, max=200, error="Give a name of up to 200 characters."))
    description = Text(multiline=True, allow_blank=True, load_default="", validate=validate.Length(
        max=2000, error="Keep it under 2,000 characters."))
    status = fields.String(required=True, error_messages=REQUIRED, validate=_one_of(STATUSES, "a status"))
    eds_areas = fields.List(fields.String(validate=_one_of(EDS_AREAS, "a skill area")), load_default=list)
    levels = fields.List(fields.String(validate=_one_of(LEVELS, "a level")), load_default=list)
    delivery_modes = fields.List(fields.String(validate=_one_of(DELIVERY_MODES, "how it is taught")),
                                 required=True, validate=validate.Length(min=1, error="Tick in person, online, "
                                                                                           "or both."),
                                 error_messages={**REQUIRED, "required": "Tick in person, online, or both."})
    accessibility = fields.List(fields.String(validate=_one_of(ACCESSIBILITY, "an access feature")),
                                load_default=list)
    languages = fields.List(LanguageCode(), load_default=list)
    is_free = LooseBoolean(required=True, error_messages={**REQUIRED, "required": "Say whether it is free."})
    cost_amount = fields.Decimal(load_default=None, allow_none=True, places=2, validate=validate.Range(
        min=0, max=9999, error="Give an amount in pounds between 0 and 9999."),
        error_messages={"invalid": "Give an amount in pounds, like 25 or 12.50."})
    cost_description = Text(allow_blank=True, load_default="", validate=validate.Length(max=300))
    capacity = fields.String(required=True, error_messages=REQUIRED, validate=_one_of(CAPACITY, "the capacity"))
    takes_referrals = LooseBoolean(required=True, error_messages=REQUIRED)
    response_days = fields.Integer(load_default=5, validate=validate.Range(
        min=1, max=30, error="Give a number of working days between 1 and 30."),
        error_messages={"invalid": "Give a whole number of working days, like 5."})
    referral_needs = fields.List(fields.String(validate=_one_of(NEEDS, "what you need")), load_default=list)
    # When and where (the first weekly session and the first place; an import keeps any others)
    schedule_days = fields.List(fields.String(validate=_one_of(DAYS, "a day")), load_default=list)
    opens_at = fields.String(load_default="", validate=validate.Regexp(TIME, error="Give a time like 10:00."))
    closes_at = fields.String(load_default="", validate=validate.Regexp(TIME, error="Give a time like 12:30."))
    schedule_description = Text(allow_blank=True, load_default="", validate=validate.Length(max=300))
    location_name = Text(allow_blank=True, load_default="", validate=validate.Length(max=200))
    address_1 = Text(allow_blank=True, load_default="", validate=validate.Length(max=200))
    city = Text(allow_blank=True, load_default="", validate=validate.Length(max=100))
    postcode = fields.String(load_default="")

    @validates("postcode")
    def _placeable(self, value: str, **_: Any) -> None:
        if value.strip():
            try:
                geo.place(value)
            except geo.PostcodeProblem as problem:
                raise ValidationError(str(problem)) from None

    @post_load
    def _drop_token(self, data: dict, **_: Any) -> dict:
        data.pop("csrf_token", None)
        return data
