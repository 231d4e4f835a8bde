"""Migrations: one head; base → head → base → head works; the models and migrations agree."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from skills_hub import migrate
from skills_hub.extensions import db


def test_there_is_exactly_one_head():
    assert len(ScriptDirectory.from_config(migrate.alembic_config()).get_heads()) == 1


def test_upgrade_downgrade_upgrade_and_no_drift(app):
    with app.app_context():
        migrate.downgrade("base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade("head")
        with db.engine.connect() as connection:
            assert migrate.current_revision(connection) == migrate.head_revision()
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                    db.metadata)
        assert diff == [], f"the models and the migrations disagree: {diff}"
        assert {"users", "courses", "lessons", "jobs"} <= set(inspect(db.engine).get_table_names())


def test_migration_file_names_start_with_a_date():
    versions = (migrate.MIGRATIONS_DIR / "versions").glob("*.py")
    for path in versions:
        assert path.name[:8].isdigit(), f"{path.name} should start with YYYYMMDD"
