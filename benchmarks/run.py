"""Page and API timings against a floor measured in the same run: a bare Flask endpoint (`/healthz`).

Run by hand with `make bench` (never in CI). Uses a throwaway SQLite database with the real course catalogue.
Prints, per path, the median time of a request and its ratio to the floor's median.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from skills_hub import create_app, migrate
from skills_hub.config import TestConfig
from skills_hub.courses import services as courses
from skills_hub.extensions import db

ROUNDS = 200
PATHS = ["/courses", "/courses/using-email", "/courses/using-email/lessons/attachments", "/api/v1/courses",
         "/api/v1/courses/using-email"]


def median_seconds(client, path: str) -> float:
    for _ in range(10):  # warm up caches and connections
        client.get(path)
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(TestConfig({"SKILLS_HUB_DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                                     "SKILLS_HUB_LOG_LEVEL": "WARNING"}))
        with app.app_context():
            migrate.upgrade()
            courses.sync_catalogue(app.config["CONTENT_DIR"])
            db.session.commit()
        client = app.test_client()
        floor = median_seconds(client, "/healthz")
        print(f"{'path':<45} {'median ms':>10} {'x floor':>8}")
        print(f"{'/healthz (floor)':<45} {floor * 1000:>10.2f} {1:>8.1f}")
        for path in PATHS:
            seconds = median_seconds(client, path)
            print(f"{path:<45} {seconds * 1000:>10.2f} {seconds / floor:>8.1f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
