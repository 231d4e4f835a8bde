"""Subject access, erasure and retention (UK GDPR articles 15 and 17, and storage limitation).

`SECTIONS` names every table that holds something about a resident and how to find their rows. The export
writes every column of those rows except secrets (password, PIN and two-step hashes); a test walks the models
and fails if a column marked personal (`info=PERSONAL`) is not exported. Erasure empties or coarsens each of
those columns, keeping only what the statistics need (postcode district, age band, branches), so every report
figure stays the same except that the resident's open referrals become withdrawn.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import secrets
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, delete, exists, func, or_, select

from skills_hub.accounts.models import ApiToken, BranchMember, Consent, OneTimeLink, Role, User
from skills_hub.audit import services as audit
from skills_hub.audit.models import AuditEvent
from skills_hub.certificates.models import Certificate, CertificateEvent
from skills_hub.dataprotection.models import DeletionRequest
from skills_hub.directory import geo
from skills_hub.exports import safe_cell
from skills_hub.extensions import db, utcnow
from skills_hub.jobs.models import Job, JobStatus
from skills_hub.learning.models import CheckAttempt, Enrolment, LessonProgress, ProgressEvent, SkillsCheck
from skills_hub.outreach.models import Attendance, SuspectedDuplicate, SyncOperation
from skills_hub.referrals import services as referrals
from skills_hub.referrals.models import OPEN, Referral, ReferralEvent, SharingPermission
from skills_hub.storage import StoredFile

log = logging.getLogger("skills_hub.dataprotection")
SECRETS = {"password_hash", "pin_hash", "mfa_secret", "mfa_recovery_hashes", "client_request_hash",
           "payload_hash", "token_hash", "request_hash"}
ERASED = "[erased]"


def _of_referrals(learner: User, column) -> ColumnElement:
    return column.in_(select(Referral.id).where(Referral.learner_id == learner.id))


def _of_certificates(learner: User, column) -> ColumnElement:
    return column.in_(select(Certificate.id).where(Certificate.learner_id == learner.id))


def _of_progress(learner: User, column) -> ColumnElement:
    return column.in_(select(LessonProgress.id).where(LessonProgress.learner_id == learner.id))


def _merged_into(learner: User) -> list[User]:
    """The learner and every record merged into them (a merged record keeps what it held, inactive)."""
    found, frontier = [learner], [learner.id]
    while frontier:
        more = db.session.scalars(select(User).where(User.merged_into_id.in_(frontier))).all()
        found += more
        frontier = [user.id for user in more]
    return found


def _sync_operations(learner: User) -> ColumnElement:
    made_for = []
    for person in _merged_into(learner):
        made_for.append(SyncOperation.result["ref"].as_string() == str(person.id))
        made_for.append(SyncOperation.payload["learner_id"].as_string() == str(person.id))
        if person.client_id:
            made_for.append(SyncOperation.payload["client_id"].as_string() == str(person.client_id))
            made_for.append(SyncOperation.payload["learner_client_id"].as_string() == str(person.client_id))
    return or_(*made_for)


# (section, model, rows about this learner)
SECTIONS: list[tuple[str, type, Callable[[User], ColumnElement]]] = [
    ("account", User, lambda learner: User.id.in_([person.id for person in _merged_into(learner)])),
    ("consents", Consent, lambda learner: Consent.user_id == learner.id),
    ("branches", BranchMember, lambda learner: BranchMember.user_id == learner.id),
    ("enrolments", Enrolment, lambda learner: Enrolment.learner_id == learner.id),
    ("progress", LessonProgress, lambda learner: LessonProgress.learner_id == learner.id),
    ("progress_events", ProgressEvent, lambda learner: _of_progress(learner, ProgressEvent.progress_id)),
    ("attempts", CheckAttempt, lambda learner: CheckAttempt.learner_id == learner.id),
    ("skills_checks", SkillsCheck, lambda learner: SkillsCheck.learner_id == learner.id),
    ("certificates", Certificate, lambda learner: Certificate.learner_id == learner.id),
    ("certificate_events", CertificateEvent, lambda learner: _of_certificates(learner,
                                                                             CertificateEvent.certificate_id)),
    ("permissions_to_share", SharingPermission, lambda learner: SharingPermission.learner_id == learner.id),
    ("referrals", Referral, lambda learner: Referral.learner_id == learner.id),
    ("referral_events", ReferralEvent, lambda learner: _of_referrals(learner, ReferralEvent.referral_id)),
    ("attendance", Attendance, lambda learner: Attendance.learner_id == learner.id),
    ("offline_records", SyncOperation, _sync_operations),
    ("suspected_duplicates", SuspectedDuplicate, lambda learner: SuspectedDuplicate.learner_id == learner.id),
    ("deletion_requests", DeletionRequest, lambda learner: DeletionRequest.learner_id == learner.id),
    ("audit", AuditEvent, lambda learner: AuditEvent.subject_id == learner.id),
]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "value"):  # an enum
        return value.value
    return value


def export_data(learner: User) -> dict[str, list[dict]]:
    """Every row about the learner, every column but secrets."""
    data: dict[str, list[dict]] = {}
    for section, model, rows_about in SECTIONS:
        columns = [column for column in model.__table__.columns if column.name not in SECRETS]
        data[section] = [{column.name: _plain(getattr(row, column.key)) for column in columns}
                         for row in db.session.scalars(select(model).where(rows_about(learner)))]
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


@dataclass(frozen=True)
class Erased:
    learner_id: uuid.UUID
    reference: str
    referrals_withdrawn: int
    providers_notified: int
    certificates_withdrawn: int
    anonymised_fields: tuple[str, ...] = ()


# What erasure empties or coarsens, as `POST /api/v1/learners/{id}/erase` reports it.
ANONYMISED_FIELDS = ("given_name", "family_name", "name_key", "email", "phone", "date_of_birth",
                     "postcode (kept as its district)", "preferred_language", "learner_number", "password", "pin",
                     "two_step", "referrals.need", "referrals.access_needs", "referrals.contact_method",
                     "referrals.reason", "referral_events.reason", "certificates.learner_name", "certificate_files",
                     "offline_records.payload", "attempts.answers", "queued_emails")


def erase(actor: User | None, learner: User, reason: str) -> Erased:
    """Anonymise the resident. Flushes, never commits. Running it again on an erased record changes nothing."""
    if learner.erased_at is not None:
        return Erased(learner.id, learner.family_name.removeprefix("resident "), 0, 0, 0)
    for merged in _merged_into(learner)[1:]:  # records merged into this one hold their own copies of the details
        _drop_queued_email(merged.email)
        _anonymise(merged, "Merged record")
    reference = secrets.token_hex(4).upper()
    withdrawn, told = 0, set()
    for referral in db.session.scalars(select(Referral).where(Referral.learner_id == learner.id)).all():
        if referral.status in OPEN:
            referrals._move(referral, "withdrawn", actor, None, "Withdrawn at the resident's request.")
            withdrawn += 1
            told.add(referral.organisation_id)
        _erase_referral(referral)
    db.session.execute(SharingPermission.__table__.update().where(
        SharingPermission.learner_id == learner.id, SharingPermission.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow()))
    certificates = db.session.scalars(select(Certificate).where(Certificate.learner_id == learner.id)).all()
    certificates_withdrawn = 0
    for certificate in certificates:
        if certificate.status == "valid":
            certificates_withdrawn += 1
            db.session.add(CertificateEvent(certificate_id=certificate.id, kind="withdrawn",
                                            actor_id=actor.id if actor else None,
                                            reason="Withdrawn at the holder's request."))
            certificate.status = "withdrawn"
        certificate.learner_name = ""
    _delete_files(certificates)
    for operation in db.session.scalars(select(SyncOperation).where(_sync_operations(learner))).all():
        operation.payload = {"erased": True}
    for check in db.session.scalars(select(CheckAttempt).where(CheckAttempt.learner_id == learner.id)):
        check.answers = {}
    for duplicate in db.session.scalars(select(SuspectedDuplicate).where(
            SuspectedDuplicate.learner_id == learner.id, SuspectedDuplicate.status == "open")).all():
        duplicate.status, duplicate.resolved_at = "erased", utcnow()
    for operation in db.session.scalars(select(SyncOperation).where(SyncOperation.waiting_for_learner_id == learner.id,
                                                                    SyncOperation.status == "held")).all():
        operation.status, operation.waiting_for_learner_id = "rejected", None
        operation.result = {"errors": {"_schema": ["The resident's record was erased before this was applied."]}}
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == learner.id))
    db.session.execute(delete(OneTimeLink).where(OneTimeLink.user_id == learner.id))
    _drop_queued_email(learner.email)
    _anonymise(learner, f"resident {reference}")
    audit.record("learner.erased", learner.id, actor_id=actor.id if actor else None, reason=reason,
                 referrals_withdrawn=withdrawn)
    db.session.flush()
    return Erased(learner.id, reference, withdrawn, len(told), certificates_withdrawn, ANONYMISED_FIELDS)


def _anonymise(learner: User, family_name: str) -> None:
    learner.age_band = age_band(learner.date_of_birth, utcnow().date())
    learner.postcode = _district(learner.postcode)
    learner.given_name, learner.family_name, learner.name_key = "Erased", family_name, ""
    learner.email = learner.phone = learner.date_of_birth = learner.preferred_language = None
    learner.learner_number = learner.password_hash = learner.pin_hash = None
    learner.mfa_secret, learner.mfa_recovery_hashes, learner.mfa_enabled_at = None, [], None
    learner.active, learner.erased_at = False, utcnow()
    learner.session_version += 1
    learner.version += 1


def _erase_referral(referral: Referral) -> None:
    referral.need = referral.access_needs = referral.contact_method = ERASED
    referral.reason = ERASED if referral.reason else None
    referral.personal_data_removed_at = referral.personal_data_removed_at or utcnow()
    db.session.execute(ReferralEvent.__table__.update().where(ReferralEvent.referral_id == referral.id,
                                                              ReferralEvent.reason.is_not(None))
                       .values(reason=ERASED))


def _delete_files(certificates: list[Certificate]) -> None:
    from skills_hub.certificates import pdf

    keys = [key for certificate in certificates for key in (pdf.storage_key(certificate),
                                                             pdf.credential_key(certificate))]
    if keys:
        db.session.execute(delete(StoredFile).where(StoredFile.key.in_(keys)))


def _drop_queued_email(address: str | None) -> None:
    if not address:
        return
    for job in db.session.scalars(select(Job).where(Job.kind == "send_email",
                                                    Job.status != JobStatus.RUNNING)).all():
        if (job.payload or {}).get("to") == address:  # waiting, failed or sent: the address and text go
            db.session.delete(job)


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
    is marked. Commits."""
    now = now or utcnow()
    config = current_app.config
    result = RetentionResult()
    closed_before = now - timedelta(days=config["RETENTION_REFERRAL_DAYS"])
    for referral in db.session.scalars(select(Referral).where(
            Referral.closed_at < closed_before, Referral.personal_data_removed_at.is_(None))).all():
        _erase_referral(referral)
        result.referrals_cleared += 1
    inactive_since = now - timedelta(days=config["RETENTION_INACTIVE_DAYS"])
    recently_active = exists().where(Enrolment.learner_id == User.id, Enrolment.last_active_at >= inactive_since)
    stale = db.session.scalars(select(User).where(User.erased_at.is_(None), User.created_at < inactive_since,
                                                  User.role == Role.LEARNER, ~recently_active)).all()
    for learner in stale:
        erase(None, learner, "No activity for the retention period.")
        result.accounts_erased += 1
    if result.referrals_cleared or result.accounts_erased:
        audit.record("retention.applied", None, referrals=result.referrals_cleared,
                     accounts=result.accounts_erased)
    db.session.commit()
    log.info("retention applied", extra={"fields": {"referrals": result.referrals_cleared,
                                                    "accounts": result.accounts_erased}})
    return result


def counts_of_pending() -> int:
    return db.session.scalar(select(func.count()).select_from(DeletionRequest)
                             .where(DeletionRequest.status == "pending")) or 0

