"""Importing a sign-up sheet of 10,000 rows against a floor measured in the same run.

(a) the floor: the same rows put into the users table with one plain SQLAlchemy bulk INSERT, no checks;
(b) the dry run (`check_sheet`): read the CSV, validate every row, look for earlier imports and duplicates;
(c) the import that confirms it: every row through `register_learner` in its own SAVEPOINT (learner number, PIN,
    branch, consent, audit entry).
Residents on paper sheets rarely have email, so every one gets a PIN. The PIN hash is the slow part on purpose
(scrypt in production); the import runs with SKILLS_HUB_BENCH_PIN_HASH (default: the test suite's fast hash) and
the cost of scrypt is measured on its own and added up, so both numbers are printed.

Run by hand (never in CI): `python benchmarks/imports.py`. A fresh SQLite file, or the PostgreSQL database named by
SKILLS_HUB_BENCH_DATABASE_URL (its public schema is DROPPED first: give it a throwaway database).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_login import login_user  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from skills_hub import create_app, migrate  # noqa: E402
from skills_hub.accounts import matching  # noqa: E402
from skills_hub.accounts import services as accounts  # noqa: E402
from skills_hub.accounts.models import Branch, Role, User  # noqa: E402
from skills_hub.config import Config  # noqa: E402
from skills_hub.extensions import db  # noqa: E402
from skills_hub.imports import services, sheets  # noqa: E402

ROWS = int(os.environ.get("SKILLS_HUB_BENCH_ROWS", "10000"))
PIN_HASH = os.environ.get("SKILLS_HUB_BENCH_PIN_HASH", "pbkdf2:sha256:1000")
DATABASE_URL = os.environ.get("SKILLS_HUB_BENCH_DATABASE_URL")
GIVEN = ["Siobhán", "Mohammed", "Grace", "Nguyễn", "Olu", "Aisha", "Tomasz", "Priya", "José", "Zoë", "Fatima",
         "Ben", "Hannah", "Chen", "Ada", "محمد", "Seán", "Mary", "Kwame", "Irina"]
FAMILY = ["O'Brien", "Khan", "Mensah", "Văn An", "Adeyemi", "Begum", "Nowak", "Patel", "Núñez", "Brontë", "Ali",
          "Jones", "Smith", "Wei", "Obi", "Hussain", "Ní Bhriain", "Okafor", "Boateng", "Popescu"]
OUTCODES = ["M1", "M4", "M8", "M9", "M11", "M12", "M13", "M14", "M15", "M16", "M18", "M19", "M20", "M21", "M22"]


def sign_up_sheet(rows: int) -> bytes:
    """A UK Excel-style sheet: UTF-8 with a byte order mark, CRLF, DD/MM/YYYY dates, postcodes in any spacing."""
    rng = random.Random(2026)
    lines = [",".join(sheets.COLUMNS.values())]
    for n in range(rows):
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(60 * 365))
        postcode = f"{rng.choice(OUTCODES)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
                   f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        lines.append(",".join([rng.choice(GIVEN), f"{rng.choice(FAMILY)}-{n}", born.strftime("%d/%m/%Y"),
                               postcode.lower() if n % 3 == 0 else postcode, "", f"07700 {900000 + n % 1000:06d}",
                               rng.choice(["en", "Urdu", "Polish", ""])]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def reset_postgresql(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def floor_rows(raw: bytes) -> list[dict]:
    """The rows as the users table takes them, made before the clock starts: the floor times only the INSERT."""
    rows = []
    for row in sheets.read_sheet(raw, max_rows=None).rows:
        values = row.values
        rows.append({"id": uuid.uuid4(), "role": Role.LEARNER, "given_name": values["given_name"],
                     "family_name": values["family_name"],
                     "name_key": matching.name_key(values["given_name"], values["family_name"]),
                     "date_of_birth": date.fromisoformat(sheets.iso_date(values["date_of_birth"])),
                     "postcode": matching.normalise_postcode(values["postcode"]), "phone": values.get("phone"),
                     "client_id": uuid.uuid4()})
    return rows


def seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    raw = sign_up_sheet(ROWS)
    with tempfile.TemporaryDirectory() as folder:
        url = DATABASE_URL or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        if DATABASE_URL:
            reset_postgresql(DATABASE_URL)
        app = create_app(Config({"SKILLS_HUB_DATABASE_URL": url, "SKILLS_HUB_LOG_LEVEL": "WARNING",
                                 "SKILLS_HUB_MAIL_DIR": folder, "SKILLS_HUB_REDIS_URL": ""}))
        app.config["PASSWORD_HASH_METHOD"] = PIN_HASH
        with app.test_request_context("/"):
            migrate.upgrade()
            branch = Branch(name="Central Library")
            db.session.add(branch)
            db.session.flush()
            staff = accounts.create_user(role=Role.STAFF, given_name="Bench", family_name="Staff",
                                         email="bench@example.test", password="bench mark password",
                                         branches=[branch])
            db.session.commit()
            login_user(staff)

            rows = floor_rows(raw)

            def bulk_insert():
                db.session.execute(insert(User), rows)
                db.session.commit()
            floor = seconds(bulk_insert)
            for start in range(0, len(rows), 500):
                db.session.execute(delete(User).where(User.id.in_([row["id"] for row in rows[start:start + 500]])))
            db.session.commit()

            consent = services.consent_for(None, "paper")
            checked = {}

            def dry_run():
                checked["result"] = services.check_sheet(staff, branch, raw, consent=consent, max_rows=None,
                                                         max_bytes=None)
                db.session.commit()
            check = seconds(dry_run)
            record = checked["result"].record
            done = {}

            def confirm():
                done["result"] = services.confirm(staff, services.import_for(staff, record.id, for_update=True))
                db.session.commit()
            imported = seconds(confirm)
            counts = done["result"].record.counts
            pins = sum(1 for row in done["result"].rows if row.pin)
            samples = [seconds(lambda: generate_password_hash("123456", method="scrypt")) for _ in range(5)]
            scrypt = statistics.median(samples) * pins
            pin_hash = statistics.median(
                [seconds(lambda: generate_password_hash("123456", method=PIN_HASH)) for _ in range(20)]) * pins
            db.engine.dispose()

    name = "PostgreSQL" if DATABASE_URL else "SQLite"
    print(f"{ROWS:,} rows on {name}; imported: {counts['created']:,} created, {counts['duplicates']:,} held as "
          f"suspected duplicates, {counts['errors']:,} errors; {pins:,} PINs made")
    print(f"{'step':<64} {'seconds':>8} {'x floor':>8}")
    lines = [
        ("floor: one bulk INSERT of the same rows into users", floor),
        ("dry run (check_sheet)", check),
        (f"import (confirm, PIN hash {PIN_HASH})", imported),
        ("import without hashing PINs", imported - pin_hash),
        ("import with scrypt PINs, as in production (hashing measured apart)", imported - pin_hash + scrypt),
    ]
    for label, value in lines:
        print(f"{label:<64} {value:>8.2f} {value / floor:>8.1f}")


if __name__ == "__main__":
    main()
