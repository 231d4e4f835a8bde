"""Subject access, erasure and retention (UK GDPR articles 15 and 17, and storage limitation).

This module only asks: each domain answers `residents.learner_exporting` with the sections of its tables about
the resident, and `residents.learner_erasing` by emptying or coarsening its own columns, keeping only what the
statistics need (postcode district, age band, branches), so every report figure stays the same except that the
resident's open referrals become withdrawn. `tests/test_residents.py` fails when a column about a person is
claimed by no domain. The export writes every column of the sections' rows except secrets (password, PIN and
two-step hashes).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import secrets
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from skills_hub import residents
from skills_hub.accounts import policy
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import Role, User
from skills_hub.audit import services as audit
from skills_hub.dataprotection.models import DeletionRequest
from skills_hub.dataprotection.permissions import DECIDE_DELETIONS, ERASE_LEARNER
from skills_hub.exports import safe_cell
from skills_hub.extensions import db, utcnow
from skills_hub.learning import services as learning
from skills_hub.referrals import services as referrals

log = logging.getLogger("skills_hub.dataprotection")
SECRETS = {"password_hash", "pin_hash", "mfa_secret", "mfa_recovery_hashes", "client_request_hash",
           "payload_hash", "token_hash", "request_hash"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "value"):  # an enum
        return value.value
    return value


def export_data(learner: User) -> dict[str, list[dict]]:
    """Every row about the learner, every column but secrets, in the sections each domain adds."""
    export = residents.Export(learner)
    residents.learner_exporting.send(learner, export=export)
    data: dict[str, list[dict]] = {}
    for section in sorted(export.sections, key=lambda section: (section.name != "account", section.name)):
        columns = [column for column in section.model.__table__.columns if column.name not in SECRETS]
        data[section.name] = [{column.name: _plain(getattr(row, column.key)) for column in columns}
                              for row in db.session.scalars(select(section.model).where(section.rows_about))]
    return data


def export_zip(learner: User) -> bytes:
    """One download: data.json, and one CSV per section (cells safe from formulas), with a short README."""
    data = export_data(learner)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", "Everything Skills Hub holds about you, made on "
                         f"{utcnow():%d %B %Y at %H:%M} UTC. data.json has it all; each CSV file is one part of "
                         "it, for opening in a spreadsheet. Passwords and PINs are stored scrambled and are not "
                         "included.\n")
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False, default=str))
        for section, rows in data.items():
            text = io.StringIO()
            if rows:
                writer = csv.writer(text, lineterminator="\r\n")
                writer.writerow(list(rows[0]))
                writer.writerows([safe_cell(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list)
                                            else v) for v in row.values()] for row in rows)
            archive.writestr(f"{section}.csv", "\ufeff" + text.getvalue())
    return buffer.getvalue()


# Erasure --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Erased:
    learner_id: uuid.UUID
    reference: str
    referrals_withdrawn: int
    providers_notified: int
    certificates_withdrawn: int
    anonymised_fields: tuple[str, ...] = ()


def erase(actor: User | policy.SystemActor | None, learner: User, reason: str) -> Erased:
    """Anonymise the resident: each domain empties or coarsens its own rows (`learner_erasing`), then the last
    tidying up (`learner_erased`). Flushes, never commits. Running it again on an erased record changes nothing."""
    if policy.person(actor) is not None:
        policy.require(actor, ERASE_LEARNER)
    if learner.erased_at is not None:
        return Erased(learner.id, learner.family_name.removeprefix("resident "), 0, 0, 0)
    records = accounts.merged_into(learner)
    erasure = residents.Erasure(actor=actor, learner=learner, records=records, reference=secrets.token_hex(4).upper(),
                                emails={record.email for record in records if record.email},
                                name_keys={record.name_key for record in records if record.name_key})
    residents.learner_erasing.send(learner, erasure=erasure)
    residents.learner_erased.send(learner, erasure=erasure)
    withdrawn = erasure.counts.get("referrals_withdrawn", 0)
    audit.record("learner.erased", learner.id, reason=reason, referrals_withdrawn=withdrawn,
                 **policy.audit_fields(actor))
    db.session.flush()
    return Erased(learner.id, erasure.reference, withdrawn, erasure.counts.get("providers_notified", 0),
                  erasure.counts.get("certificates_withdrawn", 0), tuple(sorted(erasure.anonymised_fields)))


# Requests from residents ----------------------------------------------------------------------------------------

def request_deletion(learner: User) -> DeletionRequest:
    pending = db.session.scalar(select(DeletionRequest).where(DeletionRequest.learner_id == learner.id,
                                                              DeletionRequest.status == "pending"))
    if pending is not None:
        return pending
    request = DeletionRequest(learner_id=learner.id)
    db.session.add(request)
    audit.record("deletion.requested", learner.id, actor_id=learner.id)
    return request


def decide(actor: User, request: DeletionRequest, erase_it: bool, note: str) -> None:
    policy.require(actor, DECIDE_DELETIONS)
    request.status, request.decided_by_id, request.decided_at, request.note = (
        "erased" if erase_it else "refused", actor.id, utcnow(), note)
    if erase_it:
        erase(actor, db.session.get(User, request.learner_id), "The resident asked for their account to be deleted.")
    else:
        audit.record("deletion.refused", request.learner_id, reason=note)


# Retention ------------------------------------------------------------------------------------------------------

@dataclass
class RetentionResult:
    referrals_cleared: int = 0
    accounts_erased: int = 0


def apply_retention(now: datetime | None = None) -> RetentionResult:
    """Referral details a set time after the referral closed, and accounts inactive for a set time (uploaded
    sheets kept for a dry run are forgotten hourly by imports.services.forget_old_files). Idempotent: what is done
    is marked. Runs as the system (no actor). Flushes, never commits."""
    now = now or utcnow()
    config = current_app.config
    result = RetentionResult()
    result.referrals_cleared = referrals.clear_details_closed_before(
        now - timedelta(days=config["RETENTION_REFERRAL_DAYS"]))
    inactive_since = now - timedelta(days=config["RETENTION_INACTIVE_DAYS"])
    stale = db.session.scalars(select(User).where(
        User.erased_at.is_(None), User.created_at < inactive_since, User.role == Role.LEARNER,
        User.id.not_in(learning.learners_active_since(inactive_since)))).all()
    for learner in stale:
        erase(policy.RETENTION, learner, "No activity for the retention period.")
        result.accounts_erased += 1
    if result.referrals_cleared or result.accounts_erased:
        audit.record("retention.applied", None, referrals=result.referrals_cleared,
                     accounts=result.accounts_erased, **policy.audit_fields(policy.RETENTION))
    db.session.flush()
    log.info("retention applied", extra={"fields": {"referrals": result.referrals_cleared,
                                                    "accounts": result.accounts_erased}})
    return result


def counts_of_pending() -> int:
    return db.session.scalar(select(func.count()).select_from(DeletionRequest)
                             .where(DeletionRequest.status == "pending")) or 0

