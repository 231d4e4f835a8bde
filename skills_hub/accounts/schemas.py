"""Sign-in forms."""

from __future__ import annotations

from marshmallow import fields, validate

from skills_hub.endpoints import InputSchema
from skills_hub.validation import REQUIRED


class SignInForm(InputSchema):
    csrf_token = fields.String()
    method = fields.String(required=True, validate=validate.OneOf(["email", "pin"]))
    next = fields.String(load_default="")


class EmailSignInForm(SignInForm):
    email = fields.String(required=True, error_messages={**REQUIRED, "required": "Enter your email address."},
                          validate=validate.Length(min=1, max=254, error="Enter your email address."))
    password = fields.String(required=True, error_messages={**REQUIRED, "required": "Enter your password."},
                             validate=validate.Length(min=1, max=1000, error="Enter your password."))


class PinSignInForm(SignInForm):
    learner_number = fields.String(
        required=True, error_messages={**REQUIRED, "required": "Enter your learner number."},
        validate=validate.Length(min=1, max=20, error="Enter your learner number, like ABCD-1234."))
    pin = fields.String(required=True, error_messages={**REQUIRED, "required": "Enter your PIN."},
                        validate=validate.Length(min=1, max=100, error="Enter your PIN."))
