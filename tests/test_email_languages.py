"""Emails are written in the language of the person they are for (mail.written_for): a resident's saved page
language, else their preferred language read as a page language, else English; English for an unknown address and
for staff. The catalogues are not filled in yet, so these tests prove the locale each email is composed in, not
its words."""

from __future__ import annotations

import flask_babel
import pytest
from sqlalchemy import select

from skills_hub import mail
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import OneTimeLink, Role, User
from skills_hub.certificates import services as certificates
from skills_hub.certificates.models import Certificate
from skills_hub.extensions import db
from tests.test_certificates import complete_the_course
from tests.test_registration import emails

RESET_TEXT = ("Someone asked to reset the password for this email address on Skills Hub.\n\n"
              "To choose a new password, open this link within 30 minutes:\n")


def locale_inside(app, person) -> str:
    with app.app_context(), mail.written_for(person):
        return str(flask_babel.get_locale())


def test_written_for_forces_the_recipients_language(app, make_user):
    polish = make_user(Role.LEARNER, page_language="pl")
    cantonese = make_user(Role.LEARNER, preferred_language="yue")
    chose_urdu_reads_arabic = make_user(Role.LEARNER, page_language="ar", preferred_language="ur")
    english = make_user(Role.LEARNER)
    staff = make_user(Role.STAFF, preferred_language="pl")
    assert locale_inside(app, polish) == "pl"
    assert locale_inside(app, cantonese) == "zh_Hans", "Cantonese speakers read Chinese"
    assert locale_inside(app, chose_urdu_reads_arabic) == "ar", "the saved page language comes first"
    assert locale_inside(app, english) == "en_GB"
    assert locale_inside(app, None) == "en_GB", "an address with no account is written to in English"
    assert locale_inside(app, staff) == "en_GB", "staff pages and emails are English for now"


def test_written_for_beats_the_language_of_the_page_being_drawn(app, make_user):
    polish = make_user(Role.LEARNER, page_language="pl")
    with app.test_request_context("/", headers={"Accept-Language": "ar"}):
        assert str(flask_babel.get_locale()) == "ar", "the browser asking is Arabic"
        with mail.written_for(polish) as language:
            assert language.code == "pl" and str(flask_babel.get_locale()) == "pl"
        assert str(flask_babel.get_locale()) == "ar", "and the page goes on in its own language"


@pytest.fixture
def locales_used(monkeypatch):
    """The locale each message of an email was composed in (gettext as it is, seen on its way)."""
    seen: list[str] = []

    def watching(module):
        real = module.gettext

        def gettext(message, **variables):
            seen.append(str(flask_babel.get_locale()))
            return real(message, **variables)

        monkeypatch.setattr(module, "gettext", gettext)

    return seen, watching


def test_a_password_reset_is_written_in_the_residents_language_whoever_asks(app, make_user, locales_used,
                                                                             drain_jobs):
    seen, watch = locales_used
    watch(accounts)
    make_user(Role.LEARNER, email="ola@example.test", page_language="pl")
    with app.test_request_context("/password-reset", headers={"Accept-Language": "ar"}):  # asked from any browser
        accounts.request_password_reset("ola@example.test")
        db.session.commit()
    assert seen and set(seen) == {"pl"}, seen
    drain_jobs()
    [sent] = emails(app)
    assert "To: ola@example.test" in sent and "/password-reset/" in sent
    assert "Siobhán" not in sent and "O'Brien" not in sent, "no name, as before"


def test_an_english_residents_reset_reads_as_it_always_did(app, make_user, drain_jobs):
    make_user(Role.LEARNER, email="jo@example.test")
    with app.test_request_context("/password-reset", headers={"Accept-Language": "pl"}):
        accounts.request_password_reset("jo@example.test")
        db.session.commit()
    drain_jobs()
    [sent] = emails(app)
    assert "Subject: Reset your Skills Hub password" in sent and RESET_TEXT in sent
    assert "If this was not you, you can ignore this email. Your password has not changed." in sent


def test_an_old_address_told_of_a_change_is_written_in_the_residents_language(app, make_user, locales_used):
    seen, watch = locales_used
    watch(accounts)
    resident = make_user(Role.LEARNER, email="old@example.test", preferred_language="yue")
    with app.test_request_context("/"):
        accounts.change_email(db.session.get(User, resident.id), "new@example.test")  # the link to the new one
        assert set(seen) == {"zh_Hans"}, seen
        seen.clear()
        [link] = db.session.scalars(select(OneTimeLink)).all()
        accounts.confirm_email(link)  # and the notice to the old one
        db.session.commit()
    assert seen and set(seen) == {"zh_Hans"}, seen


def test_the_certificate_email_is_written_in_polish(app, client, catalogue, make_user, bearer, locales_used,
                                                   drain_jobs):
    seen, watch = locales_used
    watch(certificates)
    learner = make_user(Role.LEARNER, email="ola@example.test", page_language="pl")
    complete_the_course(app, client, bearer(learner))
    assert seen and set(seen) == {"pl"}, seen
    with app.app_context():
        certificate = db.session.scalars(select(Certificate)).one()
        title = certificate.course_title_translated or certificate.course_title
    drain_jobs()
    sent = [each for each in emails(app) if "To: ola@example.test" in each]
    assert len(sent) == 1 and title in sent[0], "the course named as on the certificate"
