"""Alembic environment: the app's engine and metadata (run through `flask db ...`)."""

from alembic import context
from flask import current_app

from skills_hub import models  # noqa: F401  (imports every domain's models)
from skills_hub.extensions import db

target_metadata = db.metadata


def run_migrations_online() -> None:
    connectable = db.engine
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `flask db upgrade` against a database.")
with current_app.app_context():
    run_migrations_online()
