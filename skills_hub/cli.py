"""The `flask` commands that belong to no domain: migrations and demo data (each domain adds its own group)."""

from __future__ import annotations

from flask import Flask

from skills_hub import migrate
from skills_hub.demo import demo_cli


def init_app(app: Flask) -> None:
    migrate.init_app(app)
    app.cli.add_command(demo_cli)
