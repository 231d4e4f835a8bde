"""`flask learners import FILE --branch …`."""

from __future__ import annotations

from flask.cli import AppGroup

learners_cli = AppGroup("learners", help="Residents in bulk: import a sign-up sheet (CSV).")
