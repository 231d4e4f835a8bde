"""The sync API for offline devices, and the suspected-duplicates queue."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outreach_api", __name__, url_prefix="/api/v1")
