"""Certificate shapes for the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from skills_hub.endpoints import InputSchema, PageQuery
from skills_hub.validation import REQUIRED, Text


class VerificationOut(Schema):
    code = fields.String()
    status = fields.String()
    learner_name = fields.String(allow_none=True)
    course_title = fields.String()
    awarded_at = fields.AwareDateTime()
    issuer = fields.String()
    revoked_at = fields.AwareDateTime(allow_none=True)
    revocation_reason = fields.String(allow_none=True)
    superseded_by = fields.String(allow_none=True)


class CertificateOut(Schema):
    code = fields.String()
    course = fields.String()
    course_title = fields.String()
    learner_name = fields.String()
    awarded_at = fields.AwareDateTime()
    status = fields.String()
    pdf_url = fields.String()
    credential_url = fields.String()
    verify_url = fields.String()


class CertificateQuery(PageQuery):
    learner_id = fields.UUID(load_default=None)


class ReasonBody(InputSchema):
    reason = Text(multiline=True, required=True, error_messages={**REQUIRED, "required": "Give the reason.",
                                                                 "blank": "Give the reason."},
                           validate=validate.Length(min=3, max=500, error="Give the reason in 3 to 500 characters."))
