"""Certificate shapes for the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from skills_hub.endpoints import FormSchema, InputSchema, PageQuery
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
    display_name = fields.String(metadata={"description": "The name as the resident wrote it, frozen at issue."})
    awarded_at = fields.AwareDateTime()
    status = fields.String(metadata={"description": "valid, revoked, superseded or withdrawn"})
    pdf_url = fields.String()
    pdf_status = fields.String(metadata={"description": "ready; being prepared (pdf_url answers 202 for now); "
                                                        "cannot be printed (pdf_url answers 409, pdf_problem says "
                                                        "why; library staff have been told, and the credential "
                                                        "works); gone (not valid: pdf_url answers 410)"})
    pdf_problem = fields.String(allow_none=True, metadata={"description": "Why the PDF cannot be printed, in "
                                                                          "plain words; else null."})
    credential_url = fields.String()
    verify_url = fields.String()


class CertificateQuery(PageQuery):
    learner_id = fields.UUID(load_default=None)


class ReasonBody(InputSchema):
    reason = Text(multiline=True, required=True, error_messages={**REQUIRED, "required": "Give the reason.",
                                                                 "blank": "Give the reason."},
                           validate=validate.Length(min=3, max=500, error="Give the reason in 3 to 500 characters."))


class CertificateSearch(FormSchema):
    """The admins' search: a certificate code (any case, dashes or not) or part of the name on it."""

    q = Text(multiline=False, load_default="", validate=validate.Length(
        max=200, error="Type at most 200 characters."))
