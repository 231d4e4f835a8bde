"""Input and output shapes for importing sign-up sheets."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from skills_hub.accounts.schemas import CONSENT_METHODS
from skills_hub.endpoints import FormSchema, InputSchema
from skills_hub.imports.services import STATUS_LABELS


class ImportQuery(InputSchema):
    """`POST /api/v1/imports/learners`: query parameters, or form fields beside the multipart `file`."""

    dry_run = fields.Boolean()
    branch = fields.UUID(metadata={"description": "The branch the residents join; optional for staff with one."})
    # Needed with every file (in the query string or as form fields beside it), not with import_id: the schema
    # cannot say "required" for both places, so the service checks it and the description says so.
    consent_notice_version = fields.String(validate=validate.Length(min=1, max=20), metadata={
        "description": "Required with a file (no default): the privacy notice version the sheet showed, as "
                       "GET /api/v1/privacy-notice gives it. In the query string or as a form field."})
    consent_method = fields.String(validate=validate.OneOf(CONSENT_METHODS), metadata={
        "description": "Required with a file (no default): how the residents agreed, usually paper. In the query "
                       "string or as a form field."})
    import_id = fields.UUID(metadata={"description": "Confirm this dry run instead of sending the file again."})


class ImportRowOut(Schema):
    line = fields.Integer(metadata={"description": "The physical line in the file; the header is line 1."})
    status = fields.String(metadata={"enum": list(STATUS_LABELS)})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "By the template's column name, like Date of birth."})
    learner_id = fields.UUID()
    learner_number = fields.String()
    pin_pending = fields.Boolean(metadata={"description": "Added with no email and no PIN yet: make the PIN for "
                                                          "the login card with POST /api/v1/learners/pins."})


class ImportOut(Schema):
    import_id = fields.UUID()
    dry_run = fields.Boolean()
    branch_id = fields.UUID()
    rows = fields.List(fields.Nested(ImportRowOut))
    created = fields.Integer()
    would_create = fields.Integer()
    already_imported = fields.Integer()
    duplicates = fields.Integer()
    errors = fields.Integer()
    to_check = fields.Integer(metadata={"description": "Rows left out because a cell looks like a spreadsheet "
                                                       "formula (status check): fix the sheet, or confirm them "
                                                       "on the staff page."})
    unrecognised_columns = fields.List(fields.String())


class UploadForm(FormSchema):
    """The staff page's upload form (the file itself comes from request.files)."""

    branch_id = fields.UUID(load_default=None, error_messages={"invalid": "Choose a library from the list."})


AGREEMENT_MISSING = "Tick the box to say everyone on the sheet agreed to the privacy notice, then import."


class ConfirmForm(FormSchema):
    """The dry run page's form: the residents' agreement, asked once, and the rows held for a check that staff
    confirm (by line)."""

    consent = fields.String(required=True, validate=validate.Equal("yes", error=AGREEMENT_MISSING),
                            error_messages={"required": AGREEMENT_MISSING})
    add_line = fields.List(fields.Integer(validate=validate.Range(min=1)), load_default=list,
                           error_messages={"invalid": "Tick the rows to add."})
