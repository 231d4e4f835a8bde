"""Input and output shapes for accounts: sign-in, registration, learners, tokens."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from skills_hub import codes
from skills_hub.accounts import passwords
from skills_hub.endpoints import FormSchema, InputSchema, PageQuery
from skills_hub.i18n import N_
from skills_hub.validation import REQUIRED, Text, name_text

GIVEN_BY = ["learner", "staff_on_behalf"]
CONSENT_METHODS = ["in_person", "paper", "phone", "online"]
# Full UK postcodes, like M13 9PL, SW1A 1AA or B33 8TH (spaces optional).
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
OLDEST_BIRTH_YEAR = 1900


def name_field(what: str, required: bool = True) -> Text:
    """A name as a person types it, in any script: trimmed, never blank, no control or bidi characters, and
    nothing a certificate cannot print."""
    field = name_text(what, required=required)
    field.validators.append(PrintableName(what))
    return field


EMOJI = (0x1F000, 0x1FAFF)  # pictographs, emoji and their skin tones
SYSTEM_LOOKUPS = 40  # characters beyond our own fonts asked of fontconfig per name, at most (the render checks all)


class PrintableName(validate.Validator):
    """Refuse, as it is typed, a name with a character no font on this server can print (it would fail the
    certificate later): emoji and private-use characters always, others when neither our fonts nor the system's
    have them (fonts.own_characters and fonts.system_font_for, both cached)."""

    def __init__(self, what: str):
        self.what = what

    def __call__(self, value: str | None) -> str | None:
        if not value:
            return value
        from skills_hub import fonts

        ours, asked = fonts.own_characters(), 0
        for character in dict.fromkeys(value):
            point, category = ord(character), unicodedata.category(character)
            if character.isspace() or category in ("Cc", "Cf", "Zl", "Zp") or 0xFE00 <= point <= 0xFE0F \
                    or point in ours:
                continue  # takes no glyph of its own (joiners, selectors), or ours print it
            refused = category in ("Co", "Cn", "Cs") or EMOJI[0] <= point <= EMOJI[1]
            if not refused and asked < SYSTEM_LOOKUPS:
                asked += 1
                refused = fonts.system_font_for(character) is None
            if refused:
                raise ValidationError(f"{self.what.capitalize()}: we cannot print {character} on a certificate. "
                                      "Leave it out or ask staff.")
        return value


def password_field(**kwargs) -> fields.String:
    return fields.String(required=True, error_messages={**REQUIRED, "required": "Enter a password."},
                         validate=passwords.validate_new_password, **kwargs)


class PostcodeField(fields.String):
    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = " ".join(super()._deserialize(value, attr, data, **kwargs).upper().split())
        if not UK_POSTCODE.match(text):
            raise ValidationError(N_("Enter a full UK postcode, like M13 9PL."))
        compact = text.replace(" ", "")
        return f"{compact[:-3]} {compact[-3:]}"


class BirthDateField(fields.Date):
    default_error_messages = {"invalid": "Enter a real date of birth, like 1960-03-27.", **REQUIRED}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        born = super()._deserialize(value, attr, data, **kwargs)
        if born > date.today() or born.year < OLDEST_BIRTH_YEAR:
            raise ValidationError(N_("Enter a date of birth in the past, like 1960-03-27."))
        return born


class BirthDateParts(fields.Field):
    """A date of birth typed in three boxes, day, month and year (the form macro date_field), put together by
    DatePartsForm; an ISO date (1985-03-27) is read too, as links and the API write it."""

    default_error_messages = {"invalid": "Enter a real date of birth, for example 27 3 1985.",
                              "future": "Date of birth must be in the past.", **REQUIRED,
                              "required": "Enter the date of birth, for example 27 3 1985."}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if isinstance(value, str):
            parts = value.strip().split("-")
            value = dict(zip(("year", "month", "day"), parts, strict=False)) if len(parts) == 3 else {}
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        day, month, year = (str(value.get(part) or "").strip() for part in ("day", "month", "year"))
        if not (day.isdecimal() and month.isdecimal() and year.isdecimal() and len(year) == 4):
            raise self.make_error("invalid")
        try:
            born = date(int(year), int(month), int(day))
        except ValueError:
            raise self.make_error("invalid") from None
        if born >= date.today():
            raise self.make_error("future")
        if born.year < OLDEST_BIRTH_YEAR:
            raise self.make_error("invalid")
        return born


class DatePartsForm(Schema):
    """A form with dates typed in three boxes: `<name>-day`, `<name>-month` and `<name>-year` become one value for
    each BirthDateParts field (left out when all three boxes are empty)."""

    @pre_load
    def _put_date_parts_together(self, data, **kwargs):
        data = dict(data)
        for name, field in self.fields.items():
            if isinstance(field, BirthDateParts):
                parts = {part: data.pop(f"{name}-{part}", "") for part in ("day", "month", "year")}
                if any(str(value).strip() for value in parts.values()):
                    data[name] = parts
        return data


class LearnerNumberField(fields.String):
    """A learner number typed by a person: spaces, dashes and case ignored; a typo is named as one."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        number = codes.normalise(super()._deserialize(value, attr, data, **kwargs))
        if not codes.is_well_formed(number, 8):
            raise ValidationError(N_("A learner number has 8 letters and numbers, like ABCD-1234."))
        if not codes.has_valid_check(number):
            raise ValidationError(N_("This learner number looks mistyped. Check it against the login card."))
        return number


class ConsentSchema(InputSchema):
    privacy_notice_version = fields.String(required=True, error_messages=REQUIRED,
                                           validate=validate.Length(min=1, max=20))
    given_by = fields.String(required=True, error_messages=REQUIRED, validate=validate.OneOf(GIVEN_BY))
    method = fields.String(required=True, error_messages=REQUIRED, validate=validate.OneOf(CONSENT_METHODS))


def display_name_field(**kwargs) -> Text:
    """The full name as the resident writes it (王秀英, Nguyễn Thị Hương); blank means "the default from the given
    and family names". Not sent: unchanged (no default, so a replayed create keeps its request hash)."""
    return Text(allow_blank=True, allow_none=True, validate=[validate.Length(
        max=201, error="Enter the full name in 201 characters or fewer."), PrintableName("full name")], **kwargs)


class LearnerDetails(InputSchema):
    """What staff may record about a resident; all but the names are optional."""

    given_name = name_field("first name")
    family_name = name_field("last name")
    display_name = display_name_field()
    date_of_birth = BirthDateField(load_default=None, allow_none=True)
    postcode = PostcodeField(load_default=None, allow_none=True)
    email = fields.Email(load_default=None, allow_none=True,
                         error_messages={"invalid": "Enter an email address like name@example.com."},
                         validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=[validate.Regexp(
        r"^\+?[0-9 ]{7,20}$", error="Enter a phone number using digits and spaces, like 07700 900123."),
        validate.Length(max=20, error="Enter a phone number of up to 20 characters.")])
    preferred_language = fields.String(load_default=None, allow_none=True, validate=[validate.Regexp(
        r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error="Use a language code, like en, ur or pl."),
        validate.Length(max=35, error="Use a language code, like en, ur or pl.")])


class LearnerCreate(LearnerDetails):
    client_id = fields.UUID(load_default=None)
    branch_id = fields.UUID(load_default=None)
    confirm_not_duplicate = fields.Boolean(load_default=False)
    consent = fields.Nested(ConsentSchema, required=True,
                            error_messages={**REQUIRED, "required": "Record the resident's agreement to the "
                                                                    "privacy notice."})


class LearnerUpdate(LearnerDetails):
    """A PATCH: any of the details, and the version the client last saw."""

    version = fields.Integer(required=True, strict=True, error_messages={
        **REQUIRED, "required": "Send the version you last read, to avoid overwriting someone else's change.",
        "invalid": "Send the version as a whole number, as you read it."})

    def __init__(self, **kwargs):
        # Only the fields sent change; the version is always needed.
        super().__init__(partial=tuple(LearnerDetails._declared_fields), **kwargs)


class LearnerSearch(PageQuery):
    q = Text(load_default="", allow_blank=True, validate=validate.Length(max=100))


class LearnerLookup(InputSchema):
    learner_number = LearnerNumberField()
    given_name = name_field("first name", required=False)
    family_name = name_field("last name", required=False)
    date_of_birth = BirthDateField()

    @validates_schema
    def _one_way(self, data, **kwargs) -> None:
        by_name = {"given_name", "family_name", "date_of_birth"}
        if "learner_number" in data and not by_name & data.keys():
            return
        if by_name <= data.keys() and "learner_number" not in data:
            return
        raise ValidationError("Look up by learner_number alone, or by given_name, family_name and "
                              "date_of_birth together.")


class LookupForm(DatePartsForm, LearnerLookup):
    """The staff page's lookup by name: the date of birth in three boxes."""

    date_of_birth = BirthDateParts()


class BranchLink(InputSchema):
    branch_id = fields.UUID(required=True, error_messages=REQUIRED)


class LearnerOut(Schema):
    id = fields.UUID()
    learner_number = fields.Method("_number")
    given_name = fields.String()
    family_name = fields.String()
    display_name = fields.String(metadata={
        "description": "The name as the resident writes it, shown and printed everywhere; it defaults to the given "
                       "then family name (family then given, with no space, for names in Chinese, Japanese or "
                       "Korean scripts)."})
    date_of_birth = fields.Date(allow_none=True)
    postcode = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    preferred_language = fields.String(allow_none=True)
    branch_ids = fields.List(fields.UUID())
    pin_locked = fields.Boolean()
    pending_email = fields.String(allow_none=True, metadata={
        "description": "A new address waiting for its owner to confirm it from the link sent there; it is not "
                       "used until then."})
    version = fields.Integer()

    def _number(self, learner) -> str | None:
        number = learner["learner_number"] if isinstance(learner, dict) else learner.learner_number
        return codes.grouped(number) if number else None


class LearnerCreated(LearnerOut):
    pin = fields.String(allow_none=True)


class LearnerFound(Schema):
    id = fields.UUID()
    learner_number = fields.Method("_number")
    given_name = fields.String()
    branch_ids = fields.List(fields.UUID())
    _number = LearnerOut._number  # noqa: SLF001  (the same formatting method, shared within this module)


class TokenRequest(InputSchema):
    username = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(min=1, max=1000))
    otp = fields.String(validate=validate.Length(max=20))


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.AwareDateTime()


class MeOut(Schema):
    id = fields.UUID()
    role = fields.String()
    display_name = fields.String()
    branch_ids = fields.List(fields.UUID())
    organisation_id = fields.UUID(allow_none=True)


# Forms on pages -------------------------------------------------------------------------------------------------

class SignInForm(FormSchema):
    method = fields.String(required=True, validate=validate.OneOf(["email", "pin"]))
    next = fields.String(load_default="")
    shared_computer = fields.Boolean(load_default=False, truthy={"yes"}, falsy={"no", ""})


class EmailSignInForm(SignInForm):
    email = fields.String(required=True, error_messages={**REQUIRED, "required": "Enter your email address."},
                          validate=validate.Length(min=1, max=254, error="Enter your email address."))
    password = fields.String(required=True, error_messages={**REQUIRED, "required": "Enter your password."},
                             validate=validate.Length(min=1, max=1000, error="Enter your password."))


class PinSignInForm(SignInForm):
    learner_number = LearnerNumberField(required=True, error_messages={
        **REQUIRED, "required": "Enter your learner number, like ABCD-1234."})
    pin = fields.String(required=True, error_messages={**REQUIRED, "required": "Enter your PIN."},
                        validate=validate.Length(min=1, max=100, error="Enter your PIN."))


class SelfRegisterForm(FormSchema):
    given_name = name_field("first name")
    family_name = name_field("last name")
    email = fields.Email(required=True, error_messages={**REQUIRED, "required": "Enter your email address.",
                                                        "invalid": "Enter an email address like name@example.com."},
                         validate=validate.Length(max=254))
    password = password_field()
    privacy_notice_version = fields.String(required=True, error_messages=REQUIRED)
    agree = fields.String(required=True, validate=validate.Equal("yes"), error_messages={
        **REQUIRED, "required": "Tick the box to say you agree to the privacy notice."})


class RegisterResidentForm(DatePartsForm, FormSchema, LearnerDetails):
    """The staff page: the API body flattened into form fields. The page's client_id makes a double submit safe."""

    date_of_birth = BirthDateParts(load_default=None, allow_none=True)

    client_id = fields.UUID(load_default=None)
    branch_id = fields.UUID(load_default=None)
    consent_method = fields.String(required=True, validate=validate.OneOf(CONSENT_METHODS, error="Choose how the "
                                   "resident agreed to the privacy notice."),
                                   error_messages={**REQUIRED, "required": "Choose how the resident agreed to "
                                                                           "the privacy notice."})
    privacy_notice_version = fields.String(required=True, error_messages=REQUIRED)
    confirm_not_duplicate = fields.Boolean(load_default=False, truthy={"yes"}, falsy={"no", ""})


class EditResidentForm(DatePartsForm, FormSchema, LearnerDetails):
    """The staff page that corrects a resident's details. Every box is sent: an emptied optional box clears it, an
    emptied full name goes back to the default. The email address is changed through the API (it sends a link)."""

    display_name = display_name_field(load_default="")
    date_of_birth = BirthDateParts(load_default=None, allow_none=True)
    version = fields.Integer(required=True, error_messages=REQUIRED)

    class Meta(FormSchema.Meta):
        exclude = ("email",)


class DisplayNameForm(FormSchema):
    """A resident corrects the name shown and printed for them."""

    display_name = display_name_field(load_default="")
    version = fields.Integer(required=True, error_messages=REQUIRED)


class PasswordForm(FormSchema):
    current_password = fields.String(load_default=None)
    password = password_field()


class EmailForm(FormSchema):
    email = fields.Email(required=True, error_messages={**REQUIRED, "required": "Enter your email address.",
                                                        "invalid": "Enter an email address like name@example.com."},
                         validate=validate.Length(max=254))


class ResetRequestForm(EmailForm):
    pass


class NewPasswordForm(FormSchema):
    password = password_field()


class TwoStepForm(FormSchema):
    code = fields.String(required=True, error_messages={**REQUIRED, "required": "Enter the code."},
                         validate=validate.Length(min=1, max=20, error="Enter the code."))


class ConfirmItsYouForm(FormSchema):
    """The "confirm it's you" page: the password or PIN again, before a sign-in method is added or changed."""

    secret = fields.String(required=True, error_messages={**REQUIRED, "required": "Type your password or PIN."},
                           validate=validate.Length(min=1, max=1000, error="Type your password or PIN."))
    next = fields.String(load_default="")


class PinResetForm(FormSchema):
    """Staff give a new PIN, and may take off what was added to the account since a day."""

    remove_added = fields.Boolean(load_default=False, truthy={"yes"}, falsy={"no", ""})
    added_since = fields.Date(load_default=None, allow_none=True, error_messages={
        "invalid": "Enter the date like 2026-11-28."})

    @validates_schema
    def _date_when_removing(self, data, **kwargs) -> None:
        if data.get("remove_added") and data.get("added_since") is None:
            raise ValidationError("Enter the date from which to take off what was added, like 2026-11-28.",
                                  field_name="added_since")


class CardForm(FormSchema):
    pin = fields.String(load_default="", validate=validate.Length(max=100))
    with_pin = fields.Boolean(load_default=False, truthy={"yes"}, falsy={"no", ""})
