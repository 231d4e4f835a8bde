"""The DomainError family, and the one place that turns errors into HTTP answers."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, SecurityError

from skills_hub.i18n import N_


def _on_page(message: str) -> str:
    """A title or message on an error page, in the page's language when the catalogue has it."""
    return gettext(message) if message else message


class DomainError(Exception):
    """A broken rule, with the HTTP status that reports it."""

    status = 400
    title = N_("Bad request")
    slug = "bad-request"

    def __init__(self, detail: str, errors: dict[str, Any] | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra or {}  # more members of the problem details, like a duplicate's candidates


class Unauthorized(DomainError):
    status, title, slug = 401, N_("Not signed in"), "unauthorized"


class NotFound(DomainError):
    status, title, slug = 404, N_("Not found"), "not-found"


class Forbidden(DomainError):
    status, title, slug = 403, N_("Not allowed"), "forbidden"


class Conflict(DomainError):
    status, title, slug = 409, N_("Conflict"), "conflict"


class ValidationFailed(DomainError):
    status, title, slug = 422, N_("Validation failed"), "validation-failed"


class MalformedInput(DomainError):
    """A body that cannot be read at all (not JSON, nested too deeply, a number too long), or an address with a
    hidden character in it."""

    status, title, slug = 400, N_("Bad request"), "malformed-body"


class UnsupportedMediaType(DomainError):
    status, title, slug = 415, N_("Unsupported media type"), "unsupported-media-type"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, title: str, detail: str, slug: str, errors: dict[str, Any] | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = _first_errors(errors)
    body.update(extra or {})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


MAX_LISTED_ERRORS = 50


def _first_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """At most MAX_LISTED_ERRORS fields, and how many more: a body of 200,000 unknown keys is not echoed back."""
    if len(errors) <= MAX_LISTED_ERRORS:
        return errors
    listed = dict(list(errors.items())[:MAX_LISTED_ERRORS])
    listed["_more"] = [f"{len(errors) - MAX_LISTED_ERRORS:,} more fields have problems. Fix these first."]
    return listed


_HTTP_DETAILS = {
    400: N_("The request could not be read. Check that the body is well-formed JSON."),
    401: N_("Sign in first."),
    403: N_("You are not allowed to do this."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not accept that method."),
    413: N_("The request is too large."),
    429: N_("Too many attempts. Wait a minute, then try again."),
}
# Werkzeug's names for those statuses (error.name, the title): marked here so error pages can show them translated.
_HTTP_TITLES = (N_("Bad Request"), N_("Unauthorized"), N_("Forbidden"), N_("Not Found"), N_("Method Not Allowed"),
                N_("Request Entity Too Large"), N_("Too Many Requests"))


def _handle_domain_error(error: DomainError):
    if is_api_request():
        response = problem(error.status, error.title, error.detail, error.slug, error.errors, error.extra)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return render_template("errors/error.html", title=_on_page(error.title), detail=_on_page(error.detail)), \
        error.status


def _handle_http_exception(error: HTTPException):
    status = error.code or 500
    if isinstance(error, SecurityError):  # a Host header not in TRUSTED_HOSTS: no page links can be built for it
        return Response("Bad request: this host name is not served here.\n", 400, mimetype="text/plain")
    if isinstance(error, CSRFError) and is_api_request():
        return problem(403, "CSRF token missing", "A write with a session cookie needs the page's CSRF token in "
                       "an X-CSRFToken header. API clients should send Authorization: Bearer <token> instead.",
                       "csrf-token-missing")
    if isinstance(error, CSRFError):
        detail = N_("The form had expired. Go back, reload the page and try again.")
    else:
        detail = _HTTP_DETAILS.get(status, error.description or "")
    title = error.name
    if is_api_request():
        response = problem(status, title, detail, title.lower().replace(" ", "-"))
        if error.response is None and status == 405 and hasattr(error, "valid_methods"):
            response.headers["Allow"] = ", ".join(error.valid_methods or [])
        if status == 429:
            response.headers["Retry-After"] = "60"
        return response
    if error.response is not None and not isinstance(error, CSRFError):
        return error
    return render_template("errors/error.html", title=_on_page(title), detail=_on_page(detail)), status


def _handle_unexpected(error: Exception):
    from flask import current_app

    current_app.logger.exception("Unhandled error")
    from skills_hub.extensions import db

    with contextlib.suppress(Exception):  # nothing half-done is committed by a later step of the request
        db.session.rollback()
    title, detail = N_("Something went wrong"), N_("Sorry, something went wrong on our side. Please try again later.")
    if is_api_request():
        return problem(500, title, detail, "internal-error")
    return render_template("errors/error.html", title=_on_page(title), detail=_on_page(detail)), 500


# The database stopped, is restarting or cannot be reached, or every pooled connection is busy.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
UNAVAILABLE_TITLE = N_("Service unavailable")
UNAVAILABLE_DETAIL = N_("Skills Hub cannot reach its database just now. Please try again in a few minutes. If you "
                        "were sending a form, go back and send it again.")


def _unreachable(error: Exception) -> bool:
    """The database is away (stopped, restarting, out of connections), not a query that is wrong."""
    original = getattr(error, "orig", None)
    if type(original).__module__.startswith("sqlite3"):
        return any(words in str(original).lower() for words in ("unable to open", "locked", "disk i/o"))
    return True


def _handle_database_unavailable(error: Exception):
    """503 with Retry-After, never a stack trace or a 500. The page is drawn as for someone not signed in, because
    finding out who is signed in needs the database."""
    from flask import current_app, g

    from skills_hub.extensions import db, login_manager

    if not _unreachable(error):  # a mistake in a query (SQLite reports those as OperationalError too): a bug, 500
        return _handle_unexpected(error)
    current_app.logger.error("The database does not answer (%s)", type(error).__name__)
    with contextlib.suppress(Exception):  # the connection is gone already; the session ends with the request
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()  # noqa: SLF001  (flask-login's per-request slot for current_user)
    if is_api_request():
        response = problem(503, UNAVAILABLE_TITLE, UNAVAILABLE_DETAIL, "service-unavailable")
    else:
        try:
            response = current_app.make_response(
                (render_template("errors/error.html", title=_on_page(UNAVAILABLE_TITLE),
                                 detail=_on_page(UNAVAILABLE_DETAIL)), 503))
        except Exception:  # whatever the page needs, the answer is still a plain 503
            response = Response(f'<!DOCTYPE html><html lang="en-GB"><meta charset="utf-8">'
                                f"<title>{UNAVAILABLE_TITLE}: Skills Hub</title><h1>{UNAVAILABLE_TITLE}</h1>"
                                f"<p>{UNAVAILABLE_DETAIL}</p></html>", 503, mimetype="text/html")
    response.headers["Retry-After"] = "30"
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _handle_domain_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, _handle_database_unavailable)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
