"""Flask extensions, created unbound and initialised in create_app()."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import JSON, DateTime, Engine, MetaData, TypeDecorator, Uuid, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Timestamps must carry a timezone.")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), uuid.UUID: Uuid(), dict: JSON(), list: JSON()},
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


# The embedded default: SQLite shared by the web process and `flask jobs run` ---------------------------------------

def configure_sqlite(engine: Engine, busy_timeout_seconds: float) -> None:
    """Make SQLite safe for two processes writing at once. Does nothing on other databases.

    - WAL journal mode: readers never wait for the writer, nor the writer for readers.
    - A busy timeout: a write waits (up to busy_timeout_seconds) for the other process's write to finish instead
      of failing at once with "database is locked".
    - A SAVEPOINT (each sync operation, each sheet row) takes the write lock first when no write has yet. Left to
      itself, SQLite would start a transaction at the SAVEPOINT that only reads at first; its first write then
      fails at once, without waiting, when the other process is writing (the busy timeout cannot help a
      transaction that has already read), and releasing that SAVEPOINT would commit early."""
    if engine.dialect.name != "sqlite":
        return
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_seconds * 1000)}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "savepoint")
    def _write_lock_before_savepoint(connection, _name) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if not dbapi_connection.in_transaction:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout for the lock
            except sqlite3.OperationalError as error:
                raise OperationalError("BEGIN IMMEDIATE", None, error) from error


def is_locked(error: BaseException) -> bool:
    """SQLite's "database is locked": another process held the write lock longer than the busy timeout."""
    original = getattr(error, "orig", error)
    return isinstance(original, sqlite3.OperationalError) and "locked" in str(original).lower()


T = TypeVar("T")


def retry_when_locked(work: Callable[[], T], *, attempts: int = 5, first_pause: float = 0.5) -> T:
    """Run `work` (which writes and commits); if SQLite stays locked past the busy timeout, roll back and run it
    again, waiting longer each time, rather than losing or refusing the work. Other errors, and the last locked
    attempt, are raised as they are."""
    for attempt in range(attempts):
        try:
            return work()
        except (OperationalError, sqlite3.OperationalError) as error:
            if not is_locked(error) or attempt == attempts - 1:
                raise
            db.session.rollback()
            time.sleep(first_pause * 2 ** attempt)
    raise AssertionError("unreachable")


class Database(SQLAlchemy):
    """Flask-SQLAlchemy, with SQLite set up for two processes (see configure_sqlite)."""

    def init_app(self, app) -> None:
        super().init_app(app)
        with app.app_context():
            for engine in self.engines.values():
                configure_sqlite(engine, app.config.get("SQLITE_BUSY_TIMEOUT_SECONDS", 15))


db = Database(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
