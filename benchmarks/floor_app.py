"""The floor for write benchmarks: a bare Flask endpoint that inserts one row, with nothing else around it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache

from flask import Flask
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert

metadata = MetaData()
rows = Table("bench_floor_rows", metadata, Column("id", Integer, primary_key=True), Column("note", String(50)),
             Column("at", DateTime(timezone=True)))
app = Flask(__name__)


@cache
def engine():
    return create_engine(os.environ["SKILLS_HUB_DATABASE_URL"], pool_pre_ping=True)


@app.post("/floor")
def floor():
    with engine().begin() as connection:
        connection.execute(insert(rows).values(note="floor", at=datetime.now(UTC)))
    return {"ok": True}, 201
