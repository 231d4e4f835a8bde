"""The public check page of a revoked certificate, as a PNG 640 px wide, for docs/staff.md.

    .venv/bin/python scripts/verify_screenshot.py [docs/images/verify-revoked.png]

It runs the app on a throwaway SQLite database on a free local port, issues and revokes one certificate, and
photographs /verify/<code> with Debian's Chromium driven by Playwright, as the browser tests do. Nothing is
downloaded.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("SKILLS_HUB_CHROMIUM", "/usr/bin/chromium")


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "images" / "verify-revoked.png").resolve()
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from skills_hub import codes, create_app, migrate
    from skills_hub.accounts import services as accounts
    from skills_hub.accounts.models import Role
    from skills_hub.certificates import services as certificates
    from skills_hub.config import TestConfig
    from skills_hub.courses import services as courses
    from skills_hub.courses.files import read_catalogue
    from skills_hub.extensions import db, utcnow
    from skills_hub.learning import services as learning

    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "SKILLS_HUB_TEST_DATABASE_URL": f"sqlite:///{scratch}/screenshot.sqlite3",
               "SKILLS_HUB_MAIL_DIR": f"{scratch}/mail", "SKILLS_HUB_TEST_REDIS_URL": ""}
        app = create_app(TestConfig(env, instance_path=Path(scratch)))
        with app.app_context():
            migrate.upgrade()
            files, _ = read_catalogue(ROOT / "content" / "courses")
            courses.sync_courses(files)
            learner = accounts.create_user(role=Role.LEARNER, given_name="Amina", family_name="Yusuf",
                                           email="amina@example.test")
            course = courses.get_course("using-email")
            enrolment, _ = learning.enrol(learner, course)
            certificate = certificates.issue(learner=learner, course=course, enrolment_id=enrolment.id,
                                             awarded_at=utcnow(), assisted=False)
            certificates.change_status(None, certificate, "revoke",
                                       "The knowledge check was done by someone else.")
            db.session.commit()
            code = codes.grouped(certificate.code)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                     args=["--headless=new", "--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 640, "height": 900})
                page.goto(f"http://127.0.0.1:{server.server_port}/verify/{code}")
                page.screenshot(path=str(target), full_page=True)
                browser.close()
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    print(f"{target}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
