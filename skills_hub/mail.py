"""Email: queued as a job in the sender's transaction; delivered by SMTP, or written as .eml in development."""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import select

from skills_hub import residents
from skills_hub.extensions import db
from skills_hub.jobs.models import Job, JobStatus
from skills_hub.jobs.services import enqueue, job_handler

log = logging.getLogger("skills_hub.mail")


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
