"""Files the app makes (certificate PDFs), kept in the database so app servers stay stateless.

A small interface — save, load — so that an object store can replace the table later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from skills_hub.extensions import db, utcnow


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Saved:
    key: str
    sha256: str


def save(key: str, data: bytes, content_type: str) -> Saved:
    """Store (or replace) the bytes under key. Flushes, never commits."""
    digest = hashlib.sha256(data).hexdigest()
    stored = db.session.get(StoredFile, key) or StoredFile(key=key)
    stored.content_type, stored.sha256, stored.size, stored.data = content_type, digest, len(data), data
    db.session.add(stored)
    db.session.flush()
    return Saved(key, digest)


def sha256_of(key: str) -> str | None:
    stored = db.session.get(StoredFile, key)
    return stored.sha256 if stored else None


def load(key: str) -> bytes | None:
    stored = db.session.get(StoredFile, key)
    return stored.data if stored else None


def response_for(key: str | None, *, cache_seconds: int = 86400):
    """A stored file as an HTTP response, with its ETag and byte ranges (206: audio players need them to show a
    length and to skip); 404 when there is none."""
    from flask import Response, abort, request

    stored = db.session.get(StoredFile, key) if key else None
    if stored is None:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.set_etag(stored.sha256)
    response.cache_control.max_age = cache_seconds
    return response.make_conditional(request, accept_ranges=True, complete_length=stored.size)
