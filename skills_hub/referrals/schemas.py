"""Input and output shapes for referrals."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from skills_hub import codes
from skills_hub.endpoints import InputSchema, PageQuery
from skills_hub.referrals import services
from skills_hub.referrals.models import CONTACT_ROUTES, STATUSES
from skills_hub.validation import REQUIRED, Text

GIVEN_BY = ("learner", "staff_on_behalf")
METHODS = ("in_person", "paper", "phone", "online")


def _one_of(choices, what: str) -> validate.OneOf:
    return validate.OneOf(list(choices), error=f"Choose {what}: one of " + ", ".join(choices) + ".")


class SharingConsentIn(InputSchema):
    given_by = fields.String(required=True, error_messages=REQUIRED, validate=_one_of(GIVEN_BY, "who gave it"))
    method = fields.String(required=True, error_messages=REQUIRED, validate=_one_of(METHODS, "how it was given"))
    privacy_notice_version = fields.String(required=True, error_messages=REQUIRED,
                                           validate=validate.Length(min=1, max=20))
    recipient_organisation_id = fields.UUID(required=True, error_messages=REQUIRED)


class ReferralCreate(InputSchema):
    client_id = fields.UUID(required=True, error_messages=REQUIRED, metadata={
        "description": "Made by the client; a retry with the same body answers 200 with the same referral."})
    learner_id = fields.UUID(load_default=None, metadata={"description": "Leave out to refer yourself."})
    service_id = fields.UUID(required=True, error_messages=REQUIRED)
    need = Text(multiline=True, required=True, error_messages={**REQUIRED, "blank": "Say what help is needed."},
                validate=validate.Length(min=1, max=1000,
                                         error="Say what help is needed, in up to 1,000 characters."))
    access_needs = Text(multiline=True, allow_blank=True, load_default="",
                        validate=validate.Length(max=500, error="Up to 500 characters."))
    contact_method = Text(allow_blank=True, load_default="", validate=validate.Length(max=200, error="Up to 200 "
                                                                                            "characters."))
    contact_route = fields.String(load_default=None, validate=_one_of(CONTACT_ROUTES, "how the provider should get "
                                                                                     "in touch"), metadata={
        "description": "How the provider should get in touch: email or phone (only when the resident's record has "
                       "one) or branch (through the referring library: its address, phone and opening hours). Left "
                       "out: branch when there is a library, else email, else phone."})
    consent = fields.Nested(SharingConsentIn, required=True, error_messages={
        "required": "Record the resident's permission to share with this provider first.",
        "null": "Record the resident's permission to share with this provider first."})


class TransitionIn(InputSchema):
    to = fields.String(required=True, error_messages=REQUIRED, validate=_one_of(STATUSES, "a status"))
    version = fields.Integer(required=True, error_messages=REQUIRED, strict=True)
    reason_code = fields.String(load_default=None, validate=validate.Length(max=30))
    reason = Text(multiline=True, allow_blank=True, load_default=None, validate=validate.Length(
        max=500, error="Up to 500 characters."))


class ReferralQuery(PageQuery):
    status = fields.String(load_default=None, validate=_one_of(STATUSES, "a status"))
    learner_id = fields.UUID(load_default=None)


class _Ref(Schema):
    id = fields.UUID()
    name = fields.String()


class ReferralEventOut(Schema):
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    at = fields.DateTime()
    reason_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


def _referred_by(referral) -> dict:
    branch = referral.branch
    return {"display_name": referral.referred_by.display_name, "role": referral.referred_by.role.value,
            "branch": {"id": str(branch.id), "name": branch.name, "address": branch.address, "phone": branch.phone,
                       "opening_hours": branch.opening_hours} if branch else None}


class ReferralOut(Schema):
    id = fields.UUID()
    reference = fields.Function(lambda r: codes.grouped(r.reference), metadata={"type": "string"})
    status = fields.String()
    version = fields.Integer()
    learner_id = fields.UUID()
    service = fields.Function(lambda r: {"id": str(r.service.id), "name": r.service.name}, metadata={"type": "object"})
    organisation = fields.Function(lambda r: {"id": str(r.service.organisation.id),
                                              "name": r.service.organisation.name}, metadata={"type": "object"})
    need = fields.String()
    access_needs = fields.String()
    contact_method = fields.String(metadata={"description": "What the referrer wrote about getting in touch."})
    contact_route = fields.String(metadata={"description": "email, phone or branch; empty for a referral made "
                                                           "before the route was asked."})
    how_to_contact = fields.Function(services.how_to_contact, metadata={
        "type": "string", "description": "The route in words, with the address, number or library it needs."})
    referred_by = fields.Function(_referred_by, metadata={"type": "object", "description": (
        "Who referred the resident and the library the provider can go through: {display_name, role, branch: "
        "{id, name, address, phone, opening_hours} or null}.")})
    reason_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    respond_by = fields.Date(metadata={"description": "The last working day for the provider's first answer."})
    viewed_at = fields.DateTime(allow_none=True)
    first_response_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
