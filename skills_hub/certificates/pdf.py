"""The certificate PDF: rendered once by a job, tagged for screen readers (PDF/UA-1), stored by key.

Fonts: static/fonts/fonts.css (SIL OFL), which skills_hub.pdf gives every PDF: Noto Sans, Noto Naskh Arabic and
subsets of Noto Sans CJK for Chinese, Japanese and Korean (scripts/build_cjk_fonts.py). The name is tagged with its
language (fonts.language_of: the resident's preferred language when our face for it has every letter, else the
letters themselves) so the template picks the right CJK face. Characters beyond them come from the
system's fonts through fontconfig; a character no font has fails the render (fonts.MissingGlyph), so no PDF is
stored with an empty box, and admins see the reason on their failed jobs.
"""

from __future__ import annotations

import json
import uuid

import segno
from babel.lists import format_list
from flask import current_app, has_request_context, render_template
from flask_babel import force_locale, gettext
from sqlalchemy.exc import SQLAlchemyError

from skills_hub import codes, fonts, storage
from skills_hub.accounts.models import User
from skills_hub.certificates import credentials, status_list
from skills_hub.certificates.models import Certificate
from skills_hub.eds import EDS_AREAS
from skills_hub.extensions import db, utcnow
from skills_hub.i18n import long_date
from skills_hub.jobs.services import job_handler
from skills_hub.languages import ENGLISH, PAGE_LANGUAGES
from skills_hub.pdf import render_pdf, render_pdf_pages
from skills_hub.validation import without_hidden_characters

RENDER_JOB = "render_certificate"
# Raise when templates/certificates/certificate.html, or what it is given, changes: PDFs are then re-rendered.
# 4: a name is drawn in the face of its resident's Japanese, Korean or Chinese (fonts.language_of).
# 5: bilingual, in the resident's language first and English beside it (Certificate.language).
TEMPLATE_VERSION = 5


def storage_key(certificate: Certificate) -> str:
    return f"certificates/{certificate.code}-v{TEMPLATE_VERSION}.pdf"  # its language is frozen with it


def certificate_html(certificate: Certificate) -> str:
    code = codes.grouped(certificate.code)
    verify_url = f"{current_app.config['BASE_URL']}/verify/{code}"
    # Names are checked when typed; one frozen before that may still hold a character that reorders the line.
    learner_name = without_hidden_characters(certificate.learner_name)
    # The name is frozen; which face draws it is not: the resident's language today (none once they are erased).
    learner = db.session.get(User, certificate.learner_id)
    name_lang = fonts.language_of(learner_name, learner.preferred_language if learner else None)
    languages = [PAGE_LANGUAGES[ENGLISH]]
    if certificate.language in PAGE_LANGUAGES and certificate.language != ENGLISH:
        languages.insert(0, PAGE_LANGUAGES[certificate.language])
    return render_template(
        "certificates/certificate.html", certificate=certificate, code=code, verify_url=verify_url,
        learner_name=learner_name, name_lang=name_lang, texts=[_texts(certificate, language, verify_url)
                                                               for language in languages],
        qr=segno.make(verify_url, error="m").svg_data_uri(scale=4, border=2))


def isolated(text: str) -> str:
    """Text between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE: the plain-text <bdi>."""
    return "\u2068" + text + "\u2069"


def _listed(items: list[str], language) -> str:
    return ", ".join(items) if language.is_english else format_list(items, locale=language.locale)


def _texts(certificate: Certificate, language, verify_url: str) -> dict:
    """What the certificate says, in one language: the first is the resident's, English is beside it."""
    with force_locale(language.locale):
        title = certificate.course_title if language.is_english else (certificate.course_title_translated or "")
        return {
            "lang": "en-GB" if language.is_english else language.code, "dir": language.direction,
            "heading": gettext("Certificate of achievement"),
            "certify": gettext("This is to certify that"),
            "completed": gettext("has completed the course"),
            "course": title,
            "areas": gettext("Skill areas: %(areas)s", areas=_listed(
                [gettext(EDS_AREAS.get(area, area)) for area in certificate.eds_areas], language))
            if certificate.eds_areas else "",
            # One sentence per case, for translators; the branch's name is isolated (U+2068…U+2069, as <bdi>)
            # so that a name in another script never reorders the words around it.
            "awarded": gettext("Awarded on %(date)s, with help from %(branch)s", date=long_date(certificate.awarded_at),
                               branch=isolated(certificate.branch_name)) if certificate.branch_name
            else gettext("Awarded on %(date)s", date=long_date(certificate.awarded_at)),
            "check": gettext("Check this certificate at"),
            "qr": gettext("QR code that opens the page to check this certificate"),
            "footer": gettext("Anyone can check this certificate by typing its code at the address above."),
        }


def render(certificate: Certificate) -> bytes:
    """The PDF bytes. Jobs run outside any request, so one is made up for the template's context processors."""
    if not has_request_context():
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            return render(certificate)
    return render_pdf(certificate_html(certificate), pdf_variant="pdf/ua-1")


def render_pack(certificates: list[Certificate]) -> bytes:
    """All these certificates in one PDF, one page each, for printing at a branch."""
    return render_pdf_pages([certificate_html(c) for c in certificates], pdf_variant="pdf/ua-1")


@job_handler(RENDER_JOB)
def render_job(payload: dict) -> None:
    """Sign the Open Badges credential and render the PDF, once, after the certificate is committed. The
    credential does not depend on the PDF: when the PDF cannot be made (a name no font can print), the job
    fails but the credential it signed first is kept (skills_hub.jobs: keep_work_done), so the badge and the
    verify page work while staff sort out the PDF."""
    certificate = db.session.get(Certificate, uuid.UUID(payload["certificate_id"]))
    if certificate is None:
        return
    store_credential(certificate)
    db.session.flush()
    try:
        rendered = render(certificate)  # reads only: the session holds the signed credential, and nothing else
    except Exception as error:
        if not isinstance(error, SQLAlchemyError):
            error.keep_work_done = True  # type: ignore[attr-defined]
        raise
    storage.save(storage_key(certificate), rendered, "application/pdf")


def store_credential(certificate: Certificate) -> bytes:
    """Sign the Open Badges credential, with its revocation status entry, and store it (again, for one signed
    before the entry existed)."""
    status_list.give_status_entry(certificate)
    key = credentials.signing_key()
    credential = credentials.sign(credentials.credential_for(certificate, codes.grouped(certificate.code), EDS_AREAS),
                                  key, credentials.verification_method(key), utcnow())
    stored = json.dumps(credential, ensure_ascii=False).encode()
    storage.save(credential_key(certificate), stored, "application/vc+ld+json")
    certificate.signing_key = credentials.public_key_multibase(key.public_key())
    return stored


def credential_key(certificate: Certificate) -> str:
    return f"certificates/{certificate.code}.credential.json"


def ready_pdf(certificate: Certificate) -> str | None:
    """The stored PDF's SHA-256 (its ETag) when it has been rendered for this template version."""
    return storage.sha256_of(storage_key(certificate))
