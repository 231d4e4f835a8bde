"""The DomainError family, and the one place that turns errors into HTTP answers."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A broken rule, with the HTTP status that reports it."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, errors: dict[str, Any] | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra or {}  # more members of the problem details, like a duplicate's candidates


class Unauthorized(DomainError):
    status, title, slug = 401, "Not signed in", "unauthorized"


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class Forbidden(DomainError):
    status, title, slug = 403, "Not allowed", "forbidden"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class ValidationFailed(DomainError):
    status, title, slug = 422, "Validation failed", "validation-failed"


class UnsupportedMediaType(DomainError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, title: str, detail: str, slug: str, errors: dict[str, Any] | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


_HTTP_DETAILS = {
    400: "The request could not be read. Check that the body is well-formed JSON.",
    401: "Sign in first.",
    403: "You are not allowed to do this.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request is too large.",
    429: "Too many attempts. Wait a minute, then try again.",
}


def _handle_domain_error(error: DomainError):
    if is_api_request():
        response = problem(error.status, error.title, error.detail, error.slug, error.errors, error.extra)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return render_template("errors/error.html", title=error.title, detail=error.detail), error.status


def _handle_http_exception(error: HTTPException):
    status = error.code or 500
    if isinstance(error, CSRFError) and is_api_request():
        return problem(403, "CSRF token missing", "A write with a session cookie needs the page's CSRF token in "
                       "an X-CSRFToken header. API clients should send Authorization: Bearer <token> instead.",
                       "csrf-token-missing")
    if isinstance(error, CSRFError):
        detail = "The form had expired. Go back, reload the page and try again."
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
    return render_template("errors/error.html", title=title, detail=detail), status


def _handle_unexpected(error: Exception):
    from flask import current_app

    current_app.logger.exception("Unhandled error")
    title, detail = "Something went wrong", "Sorry, something went wrong on our side. Please try again later."
    if is_api_request():
        return problem(500, title, detail, "internal-error")
    return render_template("errors/error.html", title=title, detail=detail), 500


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
