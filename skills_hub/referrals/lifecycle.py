"""The referrals domain's part of a resident's data (permissions to share, referrals and their history), and the
figures it gives the directory."""

from __future__ import annotations

from sqlalchemy import select

from skills_hub import residents
from skills_hub.accounts.models import User
from skills_hub.directory import signals as directory_signals
from skills_hub.referrals import services
from skills_hub.referrals.models import Referral, ReferralEvent, SharingPermission


@directory_signals.figures_wanted.connect_via(residents.ANY, weak=False)
def figures_for_directory(organisation_ids: set, **_: object) -> dict:
    """The directory shows how quickly each provider answers referrals."""
    return services.figures(organisation_ids)


@residents.exports(SharingPermission.learner_id, Referral.learner_id, ReferralEvent.reason)
def export_referrals(learner: User, export: residents.Export) -> None:
    export.add("permissions_to_share", SharingPermission, SharingPermission.learner_id == learner.id)
    export.add("referrals", Referral, Referral.learner_id == learner.id)
    export.add("referral_events", ReferralEvent, ReferralEvent.referral_id.in_(
        select(Referral.id).where(Referral.learner_id == learner.id)))


@residents.erases(SharingPermission.learner_id, Referral.learner_id, Referral.need, Referral.access_needs,
                  Referral.contact_method, Referral.reason, ReferralEvent.reason)
def erase_referrals(learner: User, erasure: residents.Erasure) -> None:
    """Open referrals are withdrawn (each provider is told), what the resident said goes, and every permission
    to share ends. The referrals stay, for the figures."""
    withdrawn, told = services.withdraw_for_erasure(erasure.actor, learner.id)
    erasure.count("referrals_withdrawn", withdrawn)
    erasure.count("providers_notified", len(told))
    erasure.anonymised("referrals.need", "referrals.access_needs", "referrals.contact_method", "referrals.reason",
                       "referral_events.reason")


@residents.merges(SharingPermission.learner_id, Referral.learner_id)
def merge_referrals(gone: User, kept: User) -> None:
    services.withdraw_doubles_before_merge(gone.id, kept.id)
    residents.move_rows(Referral.learner_id, SharingPermission.learner_id, gone=gone, kept=kept)
