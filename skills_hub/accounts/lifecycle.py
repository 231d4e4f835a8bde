"""The accounts domain's part of a resident's data: the account itself, branches, agreements and sign-in means."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from skills_hub import geo, residents
from skills_hub.accounts.models import ApiToken, BranchMember, Consent, OneTimeLink, User
from skills_hub.accounts.services import merged_into
from skills_hub.extensions import db, utcnow

# Never the email address: it would let whoever registered the held record reset the kept account's password.
BLANKS_FILLED = ("phone", "date_of_birth", "postcode", "preferred_language", "page_language")
USER_DETAILS = (User.given_name, User.family_name, User.name_as_written, User.name_key, User.email, User.learner_number,
                User.date_of_birth, User.postcode, User.phone, User.preferred_language, User.page_language)


@residents.exports(User.merged_into_id, BranchMember.user_id, Consent.user_id, ApiToken.user_id, OneTimeLink.user_id)
def export_account(learner: User, export: residents.Export) -> None:
    export.add("account", User, User.id.in_([person.id for person in merged_into(learner)]))
    export.add("consents", Consent, Consent.user_id == learner.id)
    export.add("branches", BranchMember, BranchMember.user_id == learner.id)
    export.add("sign_in_tokens", ApiToken, ApiToken.user_id == learner.id)
    export.add("sign_in_links", OneTimeLink, OneTimeLink.user_id == learner.id)


@residents.erases(*USER_DETAILS, User.merged_into_id, BranchMember.user_id, Consent.user_id, ApiToken.user_id,
                  OneTimeLink.user_id, OneTimeLink.new_email)
def erase_account(learner: User, erasure: residents.Erasure) -> None:
    """Names, contact details, date of birth and sign-in means go; the postcode district, an age band and the
    branches stay for the figures. Agreements stay as the record that the resident agreed (they name no one)."""
    for merged in erasure.records[1:]:  # records merged into this one hold their own copies of the details
        _anonymise(merged, "Merged record")
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == learner.id))
    db.session.execute(delete(OneTimeLink).where(OneTimeLink.user_id == learner.id))
    _anonymise(learner, f"resident {erasure.reference}")
    erasure.anonymised("given_name", "family_name", "name_as_written", "name_key", "email", "phone", "date_of_birth",
                       "postcode (kept as its district)", "preferred_language", "page_language", "learner_number",
                       "password", "pin", "two_step")


@residents.merges(User.merged_into_id, BranchMember.user_id, Consent.user_id, ApiToken.user_id, OneTimeLink.user_id)
def merge_account(gone: User, kept: User) -> None:
    """Branches and agreements move; the kept record's blanks are filled; the record that goes keeps no way to
    sign in and points at the kept one."""
    residents.move_rows(Consent.user_id, gone=gone, kept=kept)
    kept_branches = set(db.session.scalars(select(BranchMember.branch_id).where(BranchMember.user_id == kept.id)))
    for member in db.session.scalars(select(BranchMember).where(BranchMember.user_id == gone.id)).all():
        if member.branch_id not in kept_branches:
            db.session.add(BranchMember(user_id=kept.id, branch_id=member.branch_id, created_at=member.created_at))
        db.session.delete(member)
    for name in BLANKS_FILLED:
        value = getattr(gone, name)
        if getattr(kept, name) in (None, "") and value not in (None, ""):
            setattr(kept, name, value)
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == gone.id))
    db.session.execute(delete(OneTimeLink).where(OneTimeLink.user_id == gone.id))
    gone.active, gone.merged_into_id, gone.held_for_review = False, kept.id, False
    gone.session_version += 1
    kept.version += 1


def age_band(born: date | None, on: date) -> str:
    if born is None:
        return "unknown"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for upper, band in ((16, "under 16"), (25, "16-24"), (50, "25-49"), (65, "50-64")):
        if age < upper:
            return band
    return "65+"


def _district(postcode: str | None) -> str | None:
    if not postcode:
        return None
    try:
        return geo.split_postcode(postcode)[0]
    except geo.PostcodeProblem:
        return None


def _anonymise(learner: User, family_name: str) -> None:
    learner.age_band = age_band(learner.date_of_birth, utcnow().date())
    learner.postcode = _district(learner.postcode)
    learner.given_name, learner.family_name, learner.name_key = "Erased", family_name, ""
    learner.name_as_written = None
    learner.email = learner.phone = learner.date_of_birth = learner.preferred_language = None
    learner.page_language = None
    learner.learner_number = learner.password_hash = learner.pin_hash = None
    learner.mfa_secret, learner.mfa_recovery_hashes, learner.mfa_enabled_at = None, [], None
    learner.active, learner.erased_at = False, utcnow()
    learner.session_version += 1
    learner.version += 1
