"""The outreach page (works offline), its service worker, attendance, and reviewing suspected duplicates."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outreach", __name__)
