"""The reports summary at city scale, against a floor measured in the same run.

Seeds a scratch PostgreSQL database (SKILLS_HUB_BENCH_DATABASE_URL, default a new database `skills_hub_bench_
reports` on the local server, dropped afterwards) with 100,000 learners in 20 libraries, 400,000 enrolments,
2,000,000 lesson-progress records, certificates and outreach attendances, then times:
(a) the floor: the same figures written by hand as one raw SQL query (totals by month, by branch and by district,
    in one statement with UNION ALL);
(b) `reports.services.summary` for a year (every breakdown, suppression included);
and prints both and the ratio (aim 1.5x or better, and under 1 s for a year's figures). Run by hand with
`make bench` (never in CI); needs PostgreSQL.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from skills_hub import create_app, migrate  # noqa: E402
from skills_hub.config import TestConfig  # noqa: E402
from skills_hub.courses import services as courses  # noqa: E402
from skills_hub.extensions import db  # noqa: E402
from skills_hub.reports import services as reports  # noqa: E402

LEARNERS = int(os.environ.get("SKILLS_HUB_BENCH_LEARNERS", "100000"))
ROUNDS = 5
SERVER = os.environ.get("SKILLS_HUB_BENCH_SERVER_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NAME = "skills_hub_bench_reports"

SEED = [
    "INSERT INTO branches (id, name, is_demo, created_at) SELECT gen_random_uuid(), 'Library ' || n, false, now() "
    "FROM generate_series(1, 20) n",
    # 100,000 learners over two years, in 40 postcode districts and 20 libraries.
    f"""INSERT INTO users (id, role, given_name, family_name, name_key, postcode, session_version, version,
        failed_pin_attempts, is_demo, active, held_for_review, mfa_recovery_hashes, created_at)
        SELECT gen_random_uuid(), 'learner', 'Given' || n, 'Family' || n, 'given' || n || 'family' || n,
               'M' || (n % 40 + 1) || ' 1AA', 1, 1, 0, false, true, false, '[]',
               timestamptz '2025-01-01' + (n % 730) * interval '1 day'
        FROM generate_series(1, {LEARNERS}) n""",
    """INSERT INTO branch_members (user_id, branch_id, created_at)
        SELECT u.id, b.id, now() FROM (SELECT id, row_number() OVER () % 20 AS k FROM users
                                        WHERE role = 'learner') u
        JOIN (SELECT id, row_number() OVER (ORDER BY name) - 1 AS k FROM branches) b ON b.k = u.k""",
    # Four courses each; 40% completed.
    """INSERT INTO enrolments (id, learner_id, course_id, enrolled_at, last_active_at, completed_at)
        SELECT gen_random_uuid(), u.id, c.id, u.created_at, u.created_at + interval '7 days',
               CASE WHEN (abs(hashtext(u.id::text || c.id::text)) % 10) < 4 THEN u.created_at + interval '20 days'
               END
        FROM (SELECT id, created_at, row_number() OVER () AS n FROM users WHERE role = 'learner') u
        JOIN (SELECT id, row_number() OVER (ORDER BY slug) AS k FROM courses) c ON (c.k + u.n) % 2 = 0""",
    # Five lessons of each enrolment: about 2,000,000 progress records.
    """INSERT INTO lesson_progress (id, learner_id, course_id, lesson_id, started_at, done_at, assisted)
        SELECT gen_random_uuid(), e.learner_id, e.course_id, l.id, e.enrolled_at, e.enrolled_at + interval '1 day',
               (abs(hashtext(l.id::text || e.learner_id::text)) % 3) = 0
        FROM enrolments e
        JOIN LATERAL (SELECT id FROM lessons WHERE course_id = e.course_id ORDER BY position LIMIT 5) l ON true""",
    """INSERT INTO certificates (id, code, learner_id, course_id, enrolment_id, awarded_at, status, learner_name,
        course_slug, course_title, course_version, eds_areas, issuer_name, hide_name)
        SELECT gen_random_uuid(), upper(substr(md5(e.id::text), 1, 12)), e.learner_id, e.course_id, e.id,
               e.completed_at, 'valid', 'Learner', 'course', 'Course', 1, '[]', 'Skills Hub', false
        FROM enrolments e WHERE e.completed_at IS NOT NULL""",
    """INSERT INTO attendances (id, learner_id, branch_id, session_date, venue, recorded_by_id, recorded_at)
        SELECT gen_random_uuid(), m.user_id, m.branch_id, (u.created_at)::date, 'Hall', m.user_id, now()
        FROM branch_members m JOIN users u ON u.id = m.user_id WHERE abs(hashtext(u.id::text)) % 2 = 0""",
    "ANALYZE",
]

FLOOR = """
WITH scope AS (SELECT user_id FROM branch_members),
learners AS (SELECT u.id AS learner_id, u.created_at AS at, NULL::uuid AS course_id FROM users u
             WHERE u.role = 'learner' AND u.merged_into_id IS NULL AND NOT u.held_for_review
               AND u.created_at >= :since AND u.created_at < :before),
enrolled AS (SELECT learner_id, enrolled_at AS at, course_id FROM enrolments
             WHERE enrolled_at >= :since AND enrolled_at < :before),
completed AS (SELECT learner_id, completed_at AS at, course_id FROM enrolments
              WHERE completed_at >= :since AND completed_at < :before),
helped AS (SELECT c.* FROM completed c WHERE EXISTS (SELECT 1 FROM lesson_progress p WHERE p.learner_id =
           c.learner_id AND p.course_id = c.course_id AND p.assisted)),
certified AS (SELECT learner_id, awarded_at AS at, course_id FROM certificates
              WHERE status <> 'superseded' AND awarded_at >= :since AND awarded_at < :before),
attended AS (SELECT learner_id, session_date::timestamptz AS at, NULL::uuid AS course_id FROM attendances
             WHERE session_date >= CAST(:since AS date) AND session_date < CAST(:before AS date)),
rows AS (SELECT 'learners' AS kind, * FROM learners UNION ALL SELECT 'enrolments', * FROM enrolled
         UNION ALL SELECT 'completions', * FROM completed UNION ALL SELECT 'completions_assisted', * FROM helped
         UNION ALL SELECT 'certificates', * FROM certified UNION ALL SELECT 'attendances', * FROM attended)
SELECT 'month' AS dimension, kind, to_char(at, 'YYYY-MM') AS key, count(*) FROM rows GROUP BY kind, key
UNION ALL
SELECT 'branch', kind, b.name, count(*) FROM rows r JOIN branch_members m ON m.user_id = r.learner_id
    JOIN branches b ON b.id = m.branch_id GROUP BY kind, b.name
UNION ALL
SELECT 'district', kind, split_part(u.postcode, ' ', 1), count(*) FROM rows r JOIN users u ON u.id = r.learner_id
    GROUP BY kind, split_part(u.postcode, ' ', 1)
UNION ALL
SELECT 'course', kind, r.course_id::text, count(*) FROM rows r WHERE r.course_id IS NOT NULL
    GROUP BY kind, r.course_id
"""


def median(work) -> float:
    work()
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    url = os.environ.get("SKILLS_HUB_BENCH_DATABASE_URL")
    server = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    if not url:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {NAME}"))
            connection.execute(text(f"CREATE DATABASE {NAME}"))
        url = SERVER.rsplit("/", 1)[0] + f"/{NAME}"
    try:
        app = create_app(TestConfig({"SKILLS_HUB_TEST_DATABASE_URL": url, "SKILLS_HUB_LOG_LEVEL": "WARNING"}))
        with app.app_context():
            migrate.upgrade()
            courses.sync_catalogue(app.config["CONTENT_DIR"])
            db.session.commit()
            started = time.perf_counter()
            for statement in SEED:
                db.session.execute(text(statement))
                db.session.commit()
            counts = {table: db.session.scalar(text(f"SELECT count(*) FROM {table}"))
                      for table in ("users", "enrolments", "lesson_progress", "certificates", "attendances")}
            print(f"seeded in {time.perf_counter() - started:.0f} s: {counts}")
            scope = reports.Scope(date(2025, 6, 1), date(2026, 5, 31), None)
            params = {"since": scope.since, "before": scope.before}
            floor = median(lambda: db.session.execute(text(FLOOR), params).all())
            summary = median(lambda: reports.summary(scope))
        print(f"floor: the same figures as one raw SQL query: {floor * 1000:.0f} ms")
        print(f"reports.summary for a year (every breakdown, suppressed): {summary * 1000:.0f} ms "
              f"({summary / floor:.2f}x the floor; aim 1.5x, and under 1 s)")
    finally:
        if not os.environ.get("SKILLS_HUB_BENCH_DATABASE_URL"):
            with app.app_context():
                db.engine.dispose()
            with server.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {NAME}"))


if __name__ == "__main__":
    main()
