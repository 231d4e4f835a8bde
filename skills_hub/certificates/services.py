"""Certificate services: issue (frozen at issue), find by code or name, verify publicly, revoke and reinstate,
and sign again the credentials signed before they carried a revocation status entry."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext
from sqlalchemy import and_, func, or_, select, update

from skills_hub import codes, storage
from skills_hub.accounts import matching, policy
from skills_hub.accounts.models import Branch, BranchMember, User
from skills_hub.audit import services as audit
from skills_hub.certificates import pdf, status_list
from skills_hub.certificates.models import CODE_LENGTH, Certificate, CertificateEvent
from skills_hub.certificates.permissions import CHANGE_CERTIFICATES, FIND_CERTIFICATES
from skills_hub.courses import services as courses
from skills_hub.courses.models import Course
from skills_hub.eds import N_
from skills_hub.errors import Conflict, NotFound, ValidationFailed
from skills_hub.extensions import db, utcnow
from skills_hub.fonts import MissingGlyph
from skills_hub.jobs.services import enqueue
from skills_hub.languages import resident_language
from skills_hub.mail import queue_email, written_for


def new_code() -> str:
    """11 random Crockford characters (55 bits) and a check character; never sequential, never reused."""
    while True:
        code = codes.generate(CODE_LENGTH)
        if db.session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code


def issue(*, learner: User, course: Course, enrolment_id, awarded_at: datetime, assisted: bool,
          actor: User | None = None, reason: str | None = None) -> Certificate:
    """Make the certificate, frozen as things are now. Flushes, never commits (the caller's transaction)."""
    branch_name = None
    if assisted:
        branch_name = db.session.scalar(select(Branch.name).join(BranchMember, BranchMember.branch_id == Branch.id)
                                        .where(BranchMember.user_id == learner.id).order_by(Branch.name).limit(1))
    certificate = Certificate(
        code=new_code(), learner_id=learner.id, course_id=course.id, enrolment_id=enrolment_id,
        awarded_at=awarded_at, learner_name=learner.display_name, course_slug=course.slug,
        course_title=course.title, course_version=course.version, eds_areas=list(course.eds_areas),
        branch_name=branch_name, issuer_name=current_app.config["ISSUER_NAME"])
    language = resident_language(learner)
    if not language.is_english:
        certificate.language = language.code
        certificate.course_title_translated = courses.translated_title(course.id, language.code)
    db.session.add(certificate)
    db.session.flush()
    status_list.give_status_entry(certificate)
    db.session.add(CertificateEvent(certificate_id=certificate.id, kind="issued",
                                    actor_id=actor.id if actor else None, reason=reason))
    enqueue(pdf.RENDER_JOB, {"certificate_id": str(certificate.id)})  # rendered once this commits
    if learner.email:
        base = current_app.config["BASE_URL"]
        with written_for(learner) as written_in:
            title = (course.title if written_in.is_english
                     else certificate.course_title_translated or course.title)  # as on the certificate
            queue_email(learner.email, gettext("Your Skills Hub certificate"), gettext(
                "Well done! Your certificate for %(course)s is ready.\n\n"
                "Download it from My learning: %(base)s/my-learning\n\n"
                "Anyone can check it with the code %(code)s at %(base)s/verify",
                course=title, base=base, code=codes.grouped(certificate.code)))
    return certificate


def reissue(actor: User, old: Certificate, reason: str) -> Certificate:
    """A new certificate with the learner's current name (say, after a name change). It keeps the award date;
    the old one is superseded and its verify page points to the new one. The caller commits."""
    policy.require(actor, CHANGE_CERTIFICATES)
    # one valid certificate per enrolment: the old one steps aside first
    move(old, "valid", "superseded", "Only a valid certificate can be re-issued")
    learner = db.session.get(User, old.learner_id)
    new = Certificate(
        code=new_code(), learner_id=old.learner_id, course_id=old.course_id, enrolment_id=old.enrolment_id,
        awarded_at=old.awarded_at, learner_name=learner.display_name, course_slug=old.course_slug,
        course_title=old.course_title, course_version=old.course_version, eds_areas=list(old.eds_areas),
        branch_name=old.branch_name, issuer_name=current_app.config["ISSUER_NAME"], hide_name=old.hide_name,
        language=old.language, course_title_translated=old.course_title_translated)
    db.session.add(new)
    db.session.flush()
    status_list.give_status_entry(new)
    old.superseded_by_id = new.id
    db.session.add_all([
        CertificateEvent(certificate_id=old.id, kind="superseded", actor_id=actor.id, reason=reason),
        CertificateEvent(certificate_id=new.id, kind="reissued", actor_id=actor.id, reason=reason)])
    audit.record("certificate.reissued", old.learner_id, actor_id=actor.id, old=old.code, new=new.code)
    enqueue(pdf.RENDER_JOB, {"certificate_id": str(new.id)})
    return new


def missing_renders() -> list[Certificate]:
    """Valid certificates whose PDF has not been rendered for the current template version."""
    from skills_hub.storage import StoredFile

    rendered = set(db.session.scalars(select(StoredFile.key).where(StoredFile.key.like("certificates/%"))))
    return [c for c in db.session.scalars(select(Certificate).where(Certificate.status == "valid"))
            if pdf.storage_key(c) not in rendered]


def find(code: str) -> Certificate:
    """By code, ignoring case, spaces and dashes, reading O as 0 and I/L as 1. A typo is 422, unknown 404."""
    normal = codes.normalise(code)
    if not codes.is_well_formed(normal, CODE_LENGTH):
        message = N_("A certificate code has 12 letters and numbers, like ABCD-EFGH-JKMN.")
        raise ValidationFailed(message, errors={"code": [message]})
    if not codes.has_valid_check(normal):
        message = N_("This code was probably mistyped: check each letter and number against the certificate.")
        raise ValidationFailed(message, errors={"code": [message]})
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == normal))
    if certificate is None:
        raise NotFound(N_("There is no certificate with this code. Check it against the certificate, or ask the "
                          "person who showed it to you."))
    return certificate


def for_viewer(actor: User, code: str) -> Certificate:
    """The certificate for its learner, their branch's staff and admins; 404 for anyone else."""
    from skills_hub.accounts.permissions import VIEW_LEARNER
    from skills_hub.accounts.policy import learner_for

    certificate = find(code)
    if certificate.learner_id != actor.id:
        try:
            learner_for(actor, certificate.learner_id, VIEW_LEARNER)
        except NotFound:
            raise NotFound("There is no certificate with this code.") from None
    return certificate


@dataclass(frozen=True)
class Verification:
    code: str
    status: str
    learner_name: str | None
    course_title: str
    awarded_at: datetime
    issuer: str
    revoked_at: datetime | None
    revocation_reason: str | None
    superseded_by: str | None
    withdrawn_at: datetime | None = None


def verification(certificate: Certificate) -> Verification:
    """What anyone may see: no other personal data, and no name when the learner hid it."""
    superseded_by = withdrawn_at = None
    if certificate.superseded_by_id:
        superseded_by = codes.grouped(db.session.get(Certificate, certificate.superseded_by_id).code)
    if certificate.status == "withdrawn":
        withdrawn_at = db.session.scalar(select(func.max(CertificateEvent.at)).where(
            CertificateEvent.certificate_id == certificate.id, CertificateEvent.kind == "withdrawn"))
    return Verification(
        code=codes.grouped(certificate.code), status=certificate.status,
        learner_name=None if certificate.hide_name or certificate.status == "withdrawn" else certificate.learner_name,
        course_title=certificate.course_title, awarded_at=certificate.awarded_at, issuer=certificate.issuer_name,
        revoked_at=certificate.revoked_at, revocation_reason=certificate.revocation_reason,
        superseded_by=superseded_by, withdrawn_at=withdrawn_at)


def move(certificate: Certificate, from_status: str, to_status: str, refusal: str | None = None) -> bool:
    """Change the status only if it is still from_status, in one conditional UPDATE: of changes sent at once the
    others wait for the row (PostgreSQL's row lock, SQLite's write lock), then change nothing. Raises Conflict
    (refusal, and the status it is now) when given one, else answers whether it moved. Flushes."""
    moved = db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.status == from_status)
        .values(status=to_status).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(certificate)
    if not moved and refusal:
        raise Conflict(f"{refusal}; this one is {certificate.status}.")
    return bool(moved)


def revoke(actor: User | None, certificate: Certificate, reason: str) -> None:
    """Revoke (actor None: from the command line)."""
    move(certificate, "valid", "revoked", "Only a valid certificate can be revoked")
    certificate.revoked_at = utcnow()
    certificate.revocation_reason = reason
    db.session.add(CertificateEvent(certificate_id=certificate.id, kind="revoked",
                                    actor_id=actor.id if actor else None, reason=reason))


def reinstate(actor: User, certificate: Certificate, reason: str) -> None:
    move(certificate, "revoked", "valid", "Only a revoked certificate can be reinstated")
    certificate.revoked_at = None
    certificate.revocation_reason = None
    db.session.add(CertificateEvent(certificate_id=certificate.id, kind="reinstated", actor_id=actor.id,
                                    reason=reason))


def of_learner(learner_id) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.learner_id == learner_id)
                                   .order_by(Certificate.awarded_at.desc())))


def of_learner_for(actor: User, learner_id) -> list[Certificate]:
    """A resident's certificates, for their branch's staff and admins (404 for anyone else), newest first."""
    from skills_hub.accounts.permissions import VIEW_LEARNER

    learner = policy.learner_for(actor, learner_id, VIEW_LEARNER)
    return of_learner(learner.id)


def by_enrolment(learner_id) -> dict[uuid.UUID, Certificate]:
    """The one certificate to show for each of a learner's enrolments: the valid one, or else the latest that
    was not replaced (a revoked or withdrawn one), or else the latest."""
    shown: dict[uuid.UUID, Certificate] = {}
    rank = {"valid": 0, "revoked": 1, "withdrawn": 1, "superseded": 2}
    for certificate in of_learner(learner_id):  # newest first: the first of a rank wins
        kept = shown.get(certificate.enrolment_id)
        if kept is None or rank[certificate.status] < rank[kept.status]:
            shown[certificate.enrolment_id] = certificate
    return shown


SEARCH_LIMIT = 50
# Names are also matched without accents, which SQL cannot do with a frozen name and no normalised column: the
# names of this many most recent certificates are read and compared in Python. An older certificate is still found
# by its code, or by its name typed with the same accents.
NAME_SCAN_LIMIT = 5000


def _name_has(name: str, words: list[str]) -> bool:
    """Every word is in the name, in any order: `nguyen thi` and `ThiNguyen` find Nguyễn Thị Hương."""
    key = "".join(matching.search_words(name))
    return all(word in key for word in words)


def search(actor: User, text: str) -> list[Certificate]:
    """Admins: certificates by code (any case, with or without dashes or spaces) or by the name on them, which
    matches as the residents' search does: no case, accents, spaces or apostrophes, the words in any order.

    SQL finds names that hold every word in the same letters (lower + LIKE per word); the names of the latest
    NAME_SCAN_LIMIT certificates are also compared without accents in Python (Nguyen finds Nguyễn)."""
    policy.require(actor, FIND_CERTIFICATES)
    text = text.strip()
    if not text:
        return []
    words = matching.search_words(text)
    conditions = []
    if typed := [word.casefold() for word in text.split()]:
        conditions.append(and_(*[func.lower(Certificate.learner_name).contains(word, autoescape=True)
                                 for word in typed]))
    normal = codes.normalise(text)
    if len(normal) >= 4 and codes.is_well_formed(normal, len(normal)):
        conditions.append(Certificate.code.startswith(normal, autoescape=True))
    if words:
        recent = db.session.execute(select(Certificate.id, Certificate.learner_name)
                                    .order_by(Certificate.awarded_at.desc(), Certificate.code)
                                    .limit(NAME_SCAN_LIMIT)).all()
        ids = [row.id for row in recent if _name_has(row.learner_name, words)][:SEARCH_LIMIT]
        if ids:
            conditions.append(Certificate.id.in_(ids))
    if not conditions:
        return []
    return list(db.session.scalars(select(Certificate).where(or_(*conditions))
                                   .order_by(Certificate.awarded_at.desc(), Certificate.code).limit(SEARCH_LIMIT)))


def keys_of_valid_credentials() -> list[str]:
    return list(db.session.scalars(select(Certificate.signing_key).where(
        Certificate.status == "valid", Certificate.signing_key.is_not(None)).distinct()))


def change_status(actor: User | None, certificate: Certificate, action: str, reason: str) -> None:
    """Revoke or reinstate, with the event and an audit entry (actor None: from the command line). The caller
    commits."""
    if actor is not None:
        policy.require(actor, CHANGE_CERTIFICATES)
    (revoke if action == "revoke" else reinstate)(actor, certificate, reason)
    status_list.give_status_entry(certificate)  # a certificate issued before the list gets its bit now
    audit.record(f"certificate.{'revoked' if action == 'revoke' else 'reinstated'}", certificate.learner_id,
                 actor_id=actor.id if actor else None, code=certificate.code)


def fold_enrolment(gone_enrolment_id: uuid.UUID, kept_enrolment_id: uuid.UUID) -> None:
    """Two records of one resident are merged and their enrolments on a course fold into one: the certificates
    move with them, and only one stays valid (the other stays on record, superseded). Flushes, never commits."""
    kept_valid = db.session.scalar(select(Certificate.id).where(Certificate.enrolment_id == kept_enrolment_id,
                                                                Certificate.status == "valid"))
    for certificate in db.session.scalars(select(Certificate).where(Certificate.enrolment_id == gone_enrolment_id)):
        if kept_valid is not None and certificate.status == "valid":
            certificate.status = "superseded"
        certificate.enrolment_id = kept_enrolment_id


PACK_LIMIT = 200


def issued_between(learners_query, start: datetime, end: datetime) -> list[Certificate]:
    """Valid certificates of these learners awarded in [start, end), oldest first, for a print pack."""
    learner_ids = learners_query.with_only_columns(User.id).order_by(None)
    return list(db.session.scalars(select(Certificate).where(
        Certificate.learner_id.in_(learner_ids), Certificate.status == "valid", Certificate.awarded_at >= start,
        Certificate.awarded_at < end).order_by(Certificate.awarded_at, Certificate.code).limit(PACK_LIMIT + 1)))


def failed_renders(learners_query) -> list[tuple[Certificate, str | None]]:
    """Certificates of these learners whose PDF could not be made after every retry (shown to staff), each with
    the reason when it is one staff can act on (no font for a character of the name), else None."""
    from skills_hub.jobs.models import Job, JobStatus
    from skills_hub.storage import StoredFile

    errors = {uuid.UUID(job.payload["certificate_id"]): job.last_error for job in db.session.scalars(
        select(Job).where(Job.kind == pdf.RENDER_JOB, Job.status == JobStatus.FAILED))}
    if not errors:
        return []
    learner_ids = learners_query.with_only_columns(User.id).order_by(None)
    candidates = list(db.session.scalars(select(Certificate).where(Certificate.id.in_(errors),
                                                                   Certificate.learner_id.in_(learner_ids))))
    rendered = set(db.session.scalars(select(StoredFile.key).where(
        StoredFile.key.in_([pdf.storage_key(c) for c in candidates]))))
    return [(c, _readable_render_error(errors[c.id])) for c in candidates if pdf.storage_key(c) not in rendered]


def _readable_render_error(error: str | None) -> str | None:
    """A missing font is said in words meant for people; any other error is for admins' eyes only."""
    prefix = f"{MissingGlyph.__name__}: "
    return error.removeprefix(prefix) if error and error.startswith(prefix) else None


def unprintable(certificates) -> set[uuid.UUID]:
    """Of these certificates, the valid ones whose PDF could not be made (their latest render job failed), for
    pages listing them: two queries however many there are."""
    from skills_hub.jobs.models import Job, JobStatus
    from skills_hub.storage import StoredFile

    valid = {pdf.storage_key(c): c.id for c in certificates if c.status == "valid"}
    rendered = set(db.session.scalars(select(StoredFile.key).where(StoredFile.key.in_(valid))))
    waiting = [str(certificate_id) for key, certificate_id in valid.items() if key not in rendered]
    if not waiting:
        return set()
    latest: dict[str, JobStatus] = {}
    for certificate_id, status in db.session.execute(
            select(Job.payload["certificate_id"].as_string(), Job.status).where(
                Job.kind == pdf.RENDER_JOB, Job.payload["certificate_id"].as_string().in_(waiting))
            .order_by(Job.created_at)):
        latest[certificate_id] = status  # oldest first: the latest job's status stays
    return {uuid.UUID(certificate_id) for certificate_id, status in latest.items() if status == JobStatus.FAILED}


def render_failure(certificate: Certificate) -> str | None:
    """Why the PDF could not be made, in plain words for the holder, when the latest render job for it failed
    after every retry; None while it is being prepared (or was made)."""
    from skills_hub.jobs.models import Job, JobStatus

    job = db.session.scalars(select(Job).where(
        Job.kind == pdf.RENDER_JOB, Job.payload["certificate_id"].as_string() == str(certificate.id))
        .order_by(Job.created_at.desc()).limit(1)).first()
    if job is None or job.status != JobStatus.FAILED:
        return None
    readable = _readable_render_error(job.last_error)
    if readable and readable.startswith("No font for ") and " on this server" in readable:
        characters = readable.removeprefix("No font for ").split(" on this server")[0]
        return gettext("We cannot print %(characters)s in the name.", characters=characters)
    return gettext("Something went wrong on our side.")


def credential(certificate: Certificate) -> bytes | None:
    """The stored credential; one signed before credentials carried a status entry and a salted name is signed
    again first (the caller commits). None while the render job has not signed it."""
    stored = storage.load(pdf.credential_key(certificate))
    if stored is None and render_failure(certificate) is not None:
        stored = pdf.store_credential(certificate)  # the badge does not wait for a PDF that could not be made
    elif stored is not None and needs_signing_again(stored):
        stored = pdf.store_credential(certificate)
    return stored


def needs_signing_again(stored: bytes) -> bool:
    credential = json.loads(stored)
    return "credentialStatus" not in credential or not all(
        identifier.get("hashed") for identifier in credential["credentialSubject"].get("identifier", []))


def sign_again() -> int:
    """Sign again, with a status entry and a salted name, every stored credential that has neither. Flushes."""
    signed = 0
    for certificate in db.session.scalars(select(Certificate).where(Certificate.status != "withdrawn")
                                          .order_by(Certificate.awarded_at)):
        stored = storage.load(pdf.credential_key(certificate))
        if stored is not None and needs_signing_again(stored):
            pdf.store_credential(certificate)
            signed += 1
    return signed
