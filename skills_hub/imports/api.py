"""CSV import endpoints (see services.py)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports_api", __name__, url_prefix="/api/v1")
