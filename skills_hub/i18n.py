"""Which language a page is drawn in, and the helpers that draw it (Flask-Babel and the gettext catalogues in
skills_hub/translations, compiled by `make translations`).

The page language is chosen, in order: a signed-in resident's saved `page_language`; the language chosen with
the chooser on this browser (a cookie); the browser's `Accept-Language`; English. Staff, provider and admin pages
are English for now, so anyone signed in with one of those roles reads English. The JSON API is English too,
except a course's own texts where `?language=` asks for a translation (courses.translations).
"""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.lists import format_list
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale, gettext
from markupsafe import Markup, escape

from skills_hub.languages import (
    COMMON_LANGUAGES,
    ENGLISH,
    ENGLISH_NAMES,
    PAGE_LANGUAGES,
    PageLanguage,
    language_name,
    page_language,
)


def N_(message: str) -> str:
    """Marks a fixed English message for `pybabel extract`. It is kept in English (schemas, labels, the API) and
    translated where a page or an email is drawn (`gettext(message)`, `| translate`)."""
    return message


def say(message: str, **values) -> str:
    """A message with values (`%(name)s`), in the page's language while a page is being drawn; in English for the
    API and the command line. `pybabel extract` finds these through the keyword `say`."""
    if has_request_context() and not request.path.startswith("/api/"):
        return gettext(message, **values)
    return message % values if values else message


COOKIE = "language"
COOKIE_SECONDS = 365 * 24 * 3600
babel = Babel()


def current_language() -> PageLanguage:
    """The language of the page being drawn (English outside a request: jobs say which language they write in
    with `flask_babel.force_locale`)."""
    if not has_request_context():
        return _language_of_locale(str(get_locale() or "en_GB"))
    if "page_language" not in g:
        g.page_language = _choose()
    return g.page_language


def _language_of_locale(locale: str) -> PageLanguage:
    return next((language for language in PAGE_LANGUAGES.values() if language.locale == locale),
                PAGE_LANGUAGES[ENGLISH])


def _choose() -> PageLanguage:
    from flask_login import current_user

    if request.path.startswith("/api/"):
        return PAGE_LANGUAGES[ENGLISH]
    user = current_user if current_user and current_user.is_authenticated else None
    if user is not None and user.role.value != "learner":
        return PAGE_LANGUAGES[ENGLISH]
    if user is not None and (saved := page_language(user.page_language)):
        return saved
    if chosen := page_language(request.cookies.get(COOKIE)):
        return chosen
    for tag, _quality in request.accept_languages:
        if found := page_language(tag):
            return found
    return PAGE_LANGUAGES[ENGLISH]


def _select_locale() -> str:
    if has_request_context():
        return current_language().locale
    return "en_GB"


def translate(message: str) -> str:
    """A fixed English message (from a schema, a flash) in the page's language, when the catalogue has it."""
    return gettext(message) if message else message


def long_date(value: date | datetime | None) -> str:
    """3 December 2026, in the page's language: ٣ دسمبر ٢٠٢٦ is written 3 دسمبر 2026 here (Latin digits)."""
    if value is None:
        return ""
    return format_date(value, "long", locale=get_locale() or "en_GB")


def short_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return format_date(value, "medium", locale=get_locale() or "en_GB")


def date_and_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "medium", locale=get_locale() or "en_GB")


def listed(items) -> str | Markup:
    """Words in a list as the page's language writes one: "a, b, c" in English (as pages always have), "a، b و c"
    in Arabic, "a、b和c" in Chinese."""
    items = list(items)
    if any(isinstance(item, Markup) for item in items):  # markup in, markup out: the rest escaped first
        escaped = [str(escape(item)) for item in items]
        # Safe: every item is escaped, and the list pattern is the locale's own words and commas (CLDR).
        return Markup(", ".join(escaped) if current_language().is_english or not escaped  # noqa: S704
                      else format_list(escaped, locale=get_locale()))
    items = [str(item) for item in items]
    if current_language().is_english:
        return ", ".join(items)
    return format_list(items, locale=get_locale()) if items else ""


def language_tag(code: str, name: str) -> Markup:
    """A language's name in itself, tagged with its language for screen readers."""
    language = page_language(code)
    return Markup('<span lang="{}">{}</span>').format(
        "en-GB" if language is None or language.is_english else language.code, name)


def left_to_right(value) -> Markup:
    """A code, date-like version or number that must read left to right inside a right-to-left sentence."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(value)


def language_name_here(code: str | None) -> str:
    """A language code named in the page's language: `ur` → Urdu on an English page, اردو on an Urdu one."""
    if not code:
        return ""
    locale: Locale = get_locale() or Locale.parse("en_GB")
    if locale.language == "en" and code in ENGLISH_NAMES:
        return ENGLISH_NAMES[code]
    primary = code.replace("-", "_")
    return (locale.languages.get(primary) or locale.languages.get(primary.split("_")[0])
            or language_name(code))


def language_choices() -> list[tuple[str, str]]:
    """The languages forms offer, as (code, name in the page's language), by name."""
    return sorted(((code, language_name_here(code)) for code in COMMON_LANGUAGES), key=lambda pair: pair[1])


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=_select_locale, default_domain="messages",
                   default_translation_directories="translations")
    app.jinja_env.globals.update(page_language=current_language, page_languages=list(PAGE_LANGUAGES.values()),
                                 language_choices=language_choices, chooser_next=chooser_next,
                                 language_tag=language_tag)
    app.jinja_env.filters.update(long_date=long_date, short_date=short_date, date_and_time=date_and_time,
                                 language_name=language_name_here, translate=translate, listed=listed,
                                 ltr=left_to_right)

    @app.after_request
    def _say_what_the_page_varies_by(response):
        if g.get("forget_language"):
            response.delete_cookie(COOKIE, secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                                   httponly=True, samesite="Lax")
        if response.mimetype == "text/html" and "page_language" in g:
            response.vary.update(("Accept-Language", "Cookie"))
            response.headers["Content-Language"] = g.page_language.code
        return response


def chooser_next() -> str:
    """Where the chooser brings the reader back to: this page; after a form was sent, the form's page when it can
    be opened again (what was typed is lost without JavaScript, the page is not)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    rule = request.url_rule
    return request.path if rule is not None and "GET" in (rule.methods or ()) else ""


def forget_choice() -> None:
    """Forget this browser's chosen language with this response (signing out of a shared computer)."""
    g.forget_language = True


def remember_choice(response, language: PageLanguage) -> None:
    response.set_cookie(COOKIE, language.code, max_age=COOKIE_SECONDS, secure=current_app.config.get(
        "SESSION_COOKIE_SECURE", False), httponly=True, samesite="Lax")
