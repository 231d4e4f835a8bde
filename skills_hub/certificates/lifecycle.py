"""The certificates domain's part of a resident's data, and its answer to a course being completed."""

from __future__ import annotations

from sqlalchemy import delete, select

from skills_hub import residents
from skills_hub.accounts.models import User
from skills_hub.certificates import pdf, services
from skills_hub.certificates.models import Certificate, CertificateEvent
from skills_hub.extensions import db
from skills_hub.storage import StoredFile


@residents.course_completed.connect_via(residents.ANY, weak=False)
def issue_on_completion(enrolment, *, learner: User, course, awarded_at, assisted: bool, actor: User | None = None,
                        reason: str | None = None) -> Certificate:
    """Completing a course issues its certificate, in the same transaction."""
    return services.issue(learner=learner, course=course, enrolment_id=enrolment.id, awarded_at=awarded_at,
                          assisted=assisted, actor=actor, reason=reason)


@residents.exports(Certificate.learner_id)
def export_certificates(learner: User, export: residents.Export) -> None:
    export.add("certificates", Certificate, Certificate.learner_id == learner.id)
    export.add("certificate_events", CertificateEvent, CertificateEvent.certificate_id.in_(
        select(Certificate.id).where(Certificate.learner_id == learner.id)))


@residents.erases(Certificate.learner_id, Certificate.learner_name)
def erase_certificates(learner: User, erasure: residents.Erasure) -> None:
    """Valid certificates are withdrawn (the verify page says so, at the holder's request); the name on every one
    and the stored PDFs and credentials go."""
    certificates = db.session.scalars(select(Certificate).where(Certificate.learner_id == learner.id)).all()
    withdrawn = 0
    for certificate in certificates:
        # not if it was revoked meanwhile: the change waits for the row, then finds it no longer valid
        if certificate.status == "valid" and services.move(certificate, "valid", "withdrawn"):
            withdrawn += 1
            db.session.add(CertificateEvent(certificate_id=certificate.id, kind="withdrawn", actor_id=erasure.actor_id,
                                            reason="Withdrawn at the holder's request."))
        certificate.learner_name = ""
    keys = [key for certificate in certificates for key in (pdf.storage_key(certificate),
                                                             pdf.credential_key(certificate))]
    if keys:
        db.session.execute(delete(StoredFile).where(StoredFile.key.in_(keys)))
    erasure.count("certificates_withdrawn", withdrawn)
    erasure.anonymised("certificates.learner_name", "certificate_files")


@residents.merges(Certificate.learner_id)
def merge_certificates(gone: User, kept: User) -> None:
    residents.move_rows(Certificate.learner_id, gone=gone, kept=kept)
