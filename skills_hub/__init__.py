"""Skills Hub: digital-skills courses, progress, certificates and referrals for a city's residents."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from skills_hub.config import PROJECT_ROOT, Config


def create_app(config: Config | None = None, env: Mapping[str, str] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → error handlers → CLI."""
    from skills_hub import cli, codes, errors, logs, security
    from skills_hub.accounts import api as accounts_api
    from skills_hub.accounts import sessions
    from skills_hub.accounts import views as accounts_views
    from skills_hub.admin import views as admin_views
    from skills_hub.certificates import api as certificates_api
    from skills_hub.certificates import views as certificates_views
    from skills_hub.courses import api as courses_api
    from skills_hub.courses import views as courses_views
    from skills_hub.dataprotection import api as dataprotection_api
    from skills_hub.dataprotection import views as dataprotection_views
    from skills_hub.directory import api as directory_api
    from skills_hub.directory import views as directory_views
    from skills_hub.extensions import csrf, db, limiter, login_manager
    from skills_hub.health import views as health_views
    from skills_hub.imports import api as imports_api
    from skills_hub.imports import views as imports_views
    from skills_hub.jobs import services as jobs
    from skills_hub.learning import api as learning_api
    from skills_hub.learning import views as learning_views
    from skills_hub.openapi import views as openapi_views
    from skills_hub.outreach import api as outreach_api
    from skills_hub.outreach import views as outreach_views
    from skills_hub.pages import views as pages_views
    from skills_hub.referrals import api as referrals_api
    from skills_hub.referrals import views as referrals_views
    from skills_hub.reports import api as reports_api
    from skills_hub.reports import views as reports_views
    from skills_hub.staff import views as staff_views

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
    limiter._storage_dead = False
    security.init_app(app)
    jobs.init_app(app)

    app.register_blueprint(health_views.bp)
    app.register_blueprint(pages_views.bp)
    app.register_blueprint(courses_views.bp)
    app.register_blueprint(accounts_views.bp)
    app.register_blueprint(staff_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(accounts_api.bp)
    app.register_blueprint(learning_views.bp)
    app.register_blueprint(learning_api.bp)
    app.register_blueprint(certificates_views.bp)
    app.register_blueprint(certificates_api.bp)
    app.register_blueprint(courses_api.bp)
    app.register_blueprint(directory_views.bp)
    app.register_blueprint(directory_api.bp)
    app.register_blueprint(referrals_views.bp)
    app.register_blueprint(referrals_api.bp)
    app.register_blueprint(outreach_views.bp)
    app.register_blueprint(outreach_api.bp)
    app.register_blueprint(imports_views.bp)
    app.register_blueprint(imports_api.bp)
    app.register_blueprint(reports_views.bp)
    app.register_blueprint(reports_api.bp)
    app.register_blueprint(dataprotection_views.bp)
    app.register_blueprint(dataprotection_api.bp)
    app.register_blueprint(openapi_views.bp)

    app.jinja_env.filters["grouped"] = codes.grouped  # learner numbers, references: ABCD-1234
    errors.init_app(app)
    cli.init_app(app)
    return app


def _create_sqlite_folder(database_url: str) -> None:
    """The embedded default keeps its SQLite file under instance/, which a fresh clone does not have yet."""
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
