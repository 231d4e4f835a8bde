"""Skills Hub: digital-skills courses, progress, certificates and referrals for a city's residents."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from skills_hub.config import PROJECT_ROOT, Config


def create_app(config: Config | None = None, env: Mapping[str, str] | None = None) -> Flask:
    """Build the app: config → extensions → each domain (blueprints, commands, handlers) → error handlers → CLI."""
    from skills_hub import cli, codes, domains, endpoints, errors, i18n, logs, security
    from skills_hub.accounts import sessions
    from skills_hub.extensions import csrf, db, limiter, login_manager
    from skills_hub.jobs import services as jobs

    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    config = config or Config(env, instance_path=Path(app.instance_path))
    app.config.update(config.as_dict())
    _create_sqlite_folder(config.SQLALCHEMY_DATABASE_URI)

    logs.init_app(app)
    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    sessions.init_app(app)
    limiter.init_app(app)
    # Flask-Limiter keeps "the storage is down, use memory" on the limiter object, not the app: a new app (the
    # tests build many, some on a Redis they stop) starts on its own storage, healthy until it says otherwise.
    limiter._storage_dead = False  # noqa: SLF001  (Flask-Limiter has no public way to say so)
    security.init_app(app)
    i18n.init_app(app)
    endpoints.init_app(app)  # safe JSON bodies; no hidden characters in addresses, queries or forms
    jobs.init_app(app)

    for domain in domains.all_domains():
        for blueprint in domain.blueprint_objects():
            app.register_blueprint(blueprint)
        if domain.command_group() is not None:
            app.cli.add_command(domain.command_group())

    app.jinja_env.filters["grouped"] = codes.grouped  # learner numbers, references: ABCD-1234
    errors.init_app(app)
    cli.init_app(app)
    return app


def _create_sqlite_folder(database_url: str) -> None:
    """The embedded default keeps its SQLite file under instance/, which a fresh clone does not have yet."""
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
