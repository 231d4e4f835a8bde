"""Staff pages for importing sign-up sheets."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("imports", __name__)
