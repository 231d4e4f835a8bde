"""People and the places they belong to: users, library branches, provider organisations."""

from __future__ import annotations

import enum
import re
import uuid
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String, Text, event
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skills_hub.extensions import db, utcnow
from skills_hub.residents import PERSONAL, actor


class Role(enum.StrEnum):
    LEARNER = "learner"
    STAFF = "staff"
    PROVIDER = "provider"
    ADMIN = "admin"


class Branch(db.Model):
    __tablename__ = "branches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Shown to providers, so they can reach a resident who has no email or phone through the library.
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    phone: Mapped[str] = mapped_column(String(30), default="", server_default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="", server_default="")


class Organisation(db.Model):
    """A training provider's organisation."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # As the directory publishes them (Open Referral UK `organization`).
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))


class User(UserMixin, db.Model):
    """Anyone who signs in: a resident (learner), library staff, a provider's user, or an admin."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20,
                                            values_callable=lambda roles: [r.value for r in roles]))
    given_name: Mapped[str] = mapped_column(String(100), info=PERSONAL)
    family_name: Mapped[str] = mapped_column(String(100), info=PERSONAL)
    # The name as the resident writes it (王秀英, Nguyễn Thị Hương), shown and printed everywhere; None: the
    # default from given and family name (see display_name). Given and family names stay for matching.
    name_as_written: Mapped[str | None] = mapped_column(String(201), info=PERSONAL)
    email: Mapped[str | None] = mapped_column(String(254), unique=True, info=PERSONAL)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    learner_number: Mapped[str | None] = mapped_column(String(8), unique=True, info=PERSONAL)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # What the duplicate matcher and staff search compare: the full name without case, accents or spaces.
    name_key: Mapped[str] = mapped_column(String(200), index=True, default="", info=PERSONAL)
    date_of_birth: Mapped[date | None] = mapped_column(info=PERSONAL)
    postcode: Mapped[str | None] = mapped_column(String(8), info=PERSONAL)
    phone: Mapped[str | None] = mapped_column(String(20), info=PERSONAL)
    preferred_language: Mapped[str | None] = mapped_column(String(35), info=PERSONAL)
    # The language pages are drawn in for this resident (languages.PAGE_LANGUAGES), chosen with the chooser;
    # preferred_language stays the language of classes and referrals.
    page_language: Mapped[str | None] = mapped_column(String(10), info=PERSONAL)
    # The UUID a client sent when it created this learner: a retried create answers with this record.
    client_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    client_request_hash: Mapped[str | None] = mapped_column(String(64))  # tells a replay from a reused id
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("the staff member who registered them"))
    # Raised to end every session (sign-out, password change, PIN reset, deactivation).
    session_version: Mapped[int] = mapped_column(default=1)
    version: Mapped[int] = mapped_column(default=1)  # for edits: a stale version gets 409
    failed_pin_attempts: Mapped[int] = mapped_column(default=0)
    pin_locked_until: Mapped[datetime | None]
    # Two-step verification: the TOTP secret encrypted, and SHA-256 hashes of unused recovery codes.
    mfa_secret: Mapped[str | None] = mapped_column(String(255))
    mfa_recovery_hashes: Mapped[list] = mapped_column(default=list)
    mfa_enabled_at: Mapped[datetime | None]
    # When each way of signing in was set, shown to staff and used by a PIN reset that removes what was added
    # since a date (kept up to date by the attribute events below; None: set before these dates were kept).
    email_set_at: Mapped[datetime | None]
    password_set_at: Mapped[datetime | None]
    pin_set_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Registered offline or from a sheet while probably already having an account: no learner number until staff
    # resolve it (outreach.SuspectedDuplicate). A record merged into another points at it and is inactive.
    held_for_review: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Erasure (UK GDPR article 17) keeps only what the statistics need: the postcode district (in `postcode`),
    # this age band and the branches.
    erased_at: Mapped[datetime | None]
    age_band: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # reports

    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])

    @property
    def display_name(self) -> str:
        """The name as the resident writes it, or the default from their given and family names."""
        return self.name_as_written or default_display_name(self.given_name, self.family_name)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    def get_id(self) -> str:
        """What the session and remember cookies hold: raising session_version makes old cookies useless."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff_like(self) -> bool:
        """Staff, provider and admin accounts handle other people's data: stricter sessions and 2SV."""
        return self.role != Role.LEARNER


# Chinese, Japanese and Korean names are written family name first, with no space: 王 + 秀英 → 王秀英.
_FAMILY_FIRST = re.compile("[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
                           "\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]")


def default_display_name(given_name: str, family_name: str) -> str:
    """Given then family name; family then given with no space when the names are in Han, Kana or Hangul."""
    given, family = (given_name or "").strip(), (family_name or "").strip()
    if _FAMILY_FIRST.search(given + family):
        return family + given
    return f"{given} {family}".strip()


class BranchMember(db.Model):
    """A staff member working at a branch, or a learner registered with it."""

    __tablename__ = "branch_members"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True,
                                                 index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(db.Model):
    """Agreement to a version of the privacy notice: who, when, which version, and how."""

    __tablename__ = "consents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    notice_version: Mapped[str] = mapped_column(String(20))
    given_by: Mapped[str] = mapped_column(String(20))  # learner | staff_on_behalf
    method: Mapped[str] = mapped_column(String(20))  # in_person | paper | phone | online
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), info=actor("the staff member who recorded the agreement"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(db.Model):
    """A bearer token for the API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class OneTimeLink(db.Model):
    """A single-use link sent by email: reset a password, accept an invitation, confirm a new email address."""

    __tablename__ = "one_time_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # reset_password | invitation | confirm_email
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(254), info=PERSONAL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # A hash of the account's password, email and PIN when the link was made: any change to them ends the link.
    state_hash: Mapped[str | None] = mapped_column(String(64))


def _when_set(stamp: str):
    """Keep `stamp` (email_set_at, …) in step with a sign-in means, however it is changed: set now, or None."""

    def stamp_it(target: User, value, old, _initiator) -> None:
        if value is None:
            setattr(target, stamp, None)
        elif value != old:
            setattr(target, stamp, utcnow())

    return stamp_it


for _column, _stamp in (("email", "email_set_at"), ("password_hash", "password_set_at"), ("pin_hash", "pin_set_at")):
    event.listen(getattr(User, _column), "set", _when_set(_stamp))
