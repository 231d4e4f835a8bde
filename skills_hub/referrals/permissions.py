"""What the referrals domain lets people do, and the access it gives providers to the residents referred to them."""

from sqlalchemy import ColumnElement, exists, false

from skills_hub.accounts.models import Role, User
from skills_hub.accounts.policy import action, learners_visible_to
from skills_hub.referrals.models import Referral, SharingPermission

REFER = action("refer this resident to a local provider", Role.STAFF, Role.ADMIN, Role.LEARNER,
               changes_the_record=True)


@learners_visible_to(Role.PROVIDER)
def referred_to_their_organisation(actor: User) -> ColumnElement[bool]:
    """A provider sees a resident only through a referral to their organisation while the permission to share
    stands, and then only what the referral shares."""
    if actor.organisation_id is None:
        return false()
    return exists().where(
        Referral.learner_id == User.id, Referral.organisation_id == actor.organisation_id,
        SharingPermission.id == Referral.permission_id, SharingPermission.withdrawn_at.is_(None))
