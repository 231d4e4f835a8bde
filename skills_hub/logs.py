"""Structured logs with a request id: one JSON object a line in production. Never personal data."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object a line; extra fields passed as `extra={"fields": {...}}`."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        request_id = _current_request_id()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", {})
        return line + ("  " + " ".join(f"{k}={v}" for k, v in fields.items()) if fields else "")


def _current_request_id() -> str | None:
    try:
        return g.get("request_id")
    except RuntimeError:  # outside an app context
        return None


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler()
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("skills_hub")
    logger.handlers[:] = [handler]
    logger.setLevel(app.config["LOG_LEVEL"])
    logger.propagate = False
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(app.config["LOG_LEVEL"])
    # Werkzeug's access log prints query strings, which can hold names; our own request line replaces it.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    @app.before_request
    def _start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        duration_ms = round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1)
        # The path only: query strings and bodies may carry personal data.
        logging.getLogger("skills_hub.request").info(
            "request",
            extra={"fields": {"method": request.method, "path": request.path, "status": response.status_code,
                              "duration_ms": duration_ms}},
        )
        return response
