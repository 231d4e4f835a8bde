"""The outreach domain's part of a resident's data: attendance, records sent from offline devices, and the
duplicates review; and its answer to a registration held as a likely duplicate."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select

from skills_hub import residents
from skills_hub.accounts import services as accounts
from skills_hub.accounts import signals as account_signals
from skills_hub.accounts.models import User
from skills_hub.extensions import db, utcnow
from skills_hub.outreach.models import Attendance, SuspectedDuplicate, SyncOperation

residents.claim("merge", SyncOperation.payload, SyncOperation.result, SyncOperation.waiting_for_learner_id,
                reason="offline records stay as they were sent; the export and erasure find them through the "
                       "merged record, and the review that merges releases the held ones")
residents.claim("merge", SuspectedDuplicate.learner_id, SuspectedDuplicate.kept_learner_id,
                SuspectedDuplicate.candidate_ids, reason="the review is the history of the merge itself")
residents.claim("erase", SyncOperation.result, SuspectedDuplicate.kept_learner_id, SuspectedDuplicate.candidate_ids,
                reason="ids and a learner number that name no one once the account is erased")


@account_signals.learner_held.connect_via(residents.ANY, weak=False)
def review_held_learner(learner: User, *, candidates: list[User], branch, source: str, actor: User) -> None:
    """A registration that looks like someone already registered waits on the duplicates review."""
    db.session.add(SuspectedDuplicate(learner_id=learner.id, candidate_ids=[str(user.id) for user in candidates],
                                      branch_id=branch.id if branch else None, source=source,
                                      created_by_id=actor.id))


def _sync_operations(records: list[User]) -> ColumnElement[bool]:
    made_for = []
    for person in records:
        made_for.append(SyncOperation.result["ref"].as_string() == str(person.id))
        made_for.append(SyncOperation.payload["learner_id"].as_string() == str(person.id))
        if person.client_id:
            made_for.append(SyncOperation.payload["client_id"].as_string() == str(person.client_id))
            made_for.append(SyncOperation.payload["learner_client_id"].as_string() == str(person.client_id))
    return or_(*made_for)


@residents.exports(Attendance.learner_id, SyncOperation.payload, SyncOperation.result,
                   SyncOperation.waiting_for_learner_id, SuspectedDuplicate.learner_id,
                   SuspectedDuplicate.kept_learner_id, SuspectedDuplicate.candidate_ids)
def export_outreach(learner: User, export: residents.Export) -> None:
    export.add("attendance", Attendance, Attendance.learner_id == learner.id)
    export.add("offline_records", SyncOperation, _sync_operations(accounts.merged_into(learner)))
    export.add("suspected_duplicates", SuspectedDuplicate, SuspectedDuplicate.learner_id == learner.id)


@residents.erases(Attendance.learner_id, SyncOperation.payload, SyncOperation.waiting_for_learner_id,
                  SuspectedDuplicate.learner_id)
def erase_outreach(learner: User, erasure: residents.Erasure) -> None:
    """What offline devices sent about the resident goes; their open duplicate review closes and what was held
    for it is rejected. Attendance stays, for the figures."""
    for operation in db.session.scalars(select(SyncOperation).where(_sync_operations(erasure.records))).all():
        operation.payload = {"erased": True}
    for duplicate in db.session.scalars(select(SuspectedDuplicate).where(
            SuspectedDuplicate.learner_id == learner.id, SuspectedDuplicate.status == "open")).all():
        duplicate.status, duplicate.resolved_at = "erased", utcnow()
    for operation in db.session.scalars(select(SyncOperation).where(SyncOperation.waiting_for_learner_id == learner.id,
                                                                    SyncOperation.status == "held")).all():
        operation.status, operation.waiting_for_learner_id = "rejected", None
        operation.result = {"errors": {"_schema": ["The resident's record was erased before this was applied."]}}
    erasure.anonymised("offline_records.payload")


@residents.merges(Attendance.learner_id)
def merge_outreach(gone: User, kept: User) -> None:
    residents.move_rows(Attendance.learner_id, gone=gone, kept=kept)
