"""The data-protection domain's part of a resident's data: their requests to be deleted."""

from __future__ import annotations

from skills_hub import residents
from skills_hub.accounts.models import User
from skills_hub.dataprotection.models import DeletionRequest

residents.claim("erase", DeletionRequest.learner_id, reason="the request and its decision stay as the record of "
                                                            "why the account was erased")


@residents.exports(DeletionRequest.learner_id)
def export_deletion_requests(learner: User, export: residents.Export) -> None:
    export.add("deletion_requests", DeletionRequest, DeletionRequest.learner_id == learner.id)


@residents.merges(DeletionRequest.learner_id)
def merge_deletion_requests(gone: User, kept: User) -> None:
    """A request made from the record that goes is about the same person: it moves to the kept record."""
    residents.move_rows(DeletionRequest.learner_id, gone=gone, kept=kept)
