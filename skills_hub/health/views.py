"""Liveness and readiness probes for load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from skills_hub import migrate
from skills_hub.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = migrate.current_revision(connection)
    except SQLAlchemyError as error:
        return jsonify(status="unavailable", reason=f"The database does not answer ({type(error).__name__})."), 503
    head = migrate.head_revision()
    if current != head:
        return jsonify(status="unavailable",
                       reason=f"The database is at migration {current or 'none'}, not at head {head}."), 503
    return jsonify(status="ok", migration=current)
