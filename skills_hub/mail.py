"""Email: queued as a job in the sender's transaction; delivered by SMTP, or written as .eml in development.

Every email is written in its reader's language: compose the subject and body inside `with written_for(person):`
with flask_babel's `gettext` (whole sentences, named placeholders), then queue it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from skills_hub import residents
from skills_hub.extensions import db
from skills_hub.jobs.models import Job, JobStatus
from skills_hub.jobs.services import enqueue, job_handler
from skills_hub.languages import ENGLISH, PAGE_LANGUAGES, PageLanguage, resident_language

log = logging.getLogger("skills_hub.mail")


def language_for(person) -> PageLanguage:
    """The language to write to this person in: a resident's (languages.resident_language); English for nobody
    known (an address with no account) and for staff, provider and admin users, whose pages are English too
    (i18n)."""
    role = getattr(getattr(person, "role", None), "value", "learner")
    return PAGE_LANGUAGES[ENGLISH] if person is None or role != "learner" else resident_language(person)


@contextmanager
def written_for(person) -> Iterator[PageLanguage]:
    """Inside this, gettext (and the dates of i18n) write in `person`'s language: compose an email's subject and
    body here. Also for an address that is not yet, or no longer, the person's (a new address to confirm, an old
    one told of a change): it is still that person who reads it."""
    language = language_for(person)
    with force_locale(language.locale):
        yield language


def queue_email(to: str, subject: str, body: str) -> None:
    """Send an email once the current transaction commits. Flushes, never commits."""
    enqueue("send_email", {"to": to, "subject": subject, "body": body, "message_id": make_msgid(domain="skillshub")})


@job_handler("send_email")
def deliver_email(payload: dict) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Message-ID"] = payload["message_id"]  # the same id on a retry, so receivers can drop repeats
    message.set_content(payload["body"])
    if config["SMTP_HOST"]:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(message)
        log.info("email sent by SMTP")  # never the address or the subject: they are personal data
    else:
        folder = config["MAIL_DIR"]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(message))
        log.info("email written", extra={"fields": {"file": path.name}})


residents.leave_out_of_export(Job.payload, "emails waiting to be sent; what they say is exported with the referral "
                                           "or certificate they are about")
residents.claim("merge", Job.payload, reason="an email already queued goes to the address it was written for")


@residents.after_erasure(Job.payload)
def drop_queued_email(learner, erasure: residents.Erasure) -> None:
    """Emails to the resident's addresses, waiting, failed or sent, go with their address and text (after every
    domain has erased its rows, so the notices erasure itself queued go too)."""
    if erasure.emails:
        for job in db.session.scalars(select(Job).where(Job.kind == "send_email",
                                                        Job.status != JobStatus.RUNNING)).all():
            if (job.payload or {}).get("to") in erasure.emails:
                db.session.delete(job)
    erasure.anonymised("queued_emails")
