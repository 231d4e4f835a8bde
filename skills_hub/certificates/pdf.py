"""The certificate PDF: rendered once by a job, tagged for screen readers (PDF/UA-1), stored by key.

Fonts: Noto Sans and Noto Naskh Arabic ship in static/fonts (SIL OFL); Chinese, Japanese and Korean names use
the system's Noto CJK fonts (Debian's fonts-noto-cjk) through fontconfig.
"""

from __future__ import annotations

import atexit
import uuid
from functools import cache

import segno
from flask import current_app, render_template
from weasyprint.text.fonts import FontConfiguration

from skills_hub import codes, storage
from skills_hub.certificates.models import Certificate
from skills_hub.courses.models import EDS_AREAS
from skills_hub.extensions import db
from skills_hub.jobs.services import job_handler
from skills_hub.pdf import render_pdf

RENDER_JOB = "render_certificate"
TEMPLATE_VERSION = 1  # raise when templates/certificates/certificate.html changes: PDFs are then re-rendered


@cache
def font_config() -> FontConfiguration:
    """One per worker process: a fresh one per render leaks memory."""
    return FontConfiguration()


# Free it while the font libraries are still loaded: left to interpreter shutdown, it crashes the process.
atexit.register(font_config.cache_clear)


def storage_key(certificate: Certificate) -> str:
    return f"certificates/{certificate.code}-v{TEMPLATE_VERSION}.pdf"


def render(certificate: Certificate) -> bytes:
    code = codes.grouped(certificate.code)
    verify_url = f"{current_app.config['BASE_URL']}/verify/{code}"
    html = render_template(
        "certificates/certificate.html", certificate=certificate, code=code, verify_url=verify_url,
        areas=[EDS_AREAS.get(area, area) for area in certificate.eds_areas],
        qr=segno.make(verify_url, error="m").svg_data_uri(scale=4, border=2))
    return render_pdf(html, pdf_variant="pdf/ua-1", font_config=font_config())


@job_handler(RENDER_JOB)
def render_job(payload: dict) -> None:
    certificate = db.session.get(Certificate, uuid.UUID(payload["certificate_id"]))
    if certificate is None:
        return
    storage.save(storage_key(certificate), render(certificate), "application/pdf")


def ready_pdf(certificate: Certificate) -> str | None:
    """The stored PDF's SHA-256 (its ETag) when it has been rendered for this template version."""
    return storage.sha256_of(storage_key(certificate))
