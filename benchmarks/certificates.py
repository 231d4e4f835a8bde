"""Certificate PDF rendering against a floor measured in the same run.

(a) the floor: a bare WeasyPrint render of the same HTML, with the same fonts, no app around it;
(b) the project's render path (pdf.render: template, QR code, fetcher, shared FontConfiguration, the glyph check);
memory growth over 500 renders; and the time to render N certificates through the job table and workers.
Run by hand with `make bench` (never in CI).
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from skills_hub import create_app, fonts, migrate  # noqa: E402
from skills_hub.certificates import pdf  # noqa: E402
from skills_hub.certificates.models import Certificate  # noqa: E402
from skills_hub.config import Config  # noqa: E402
from skills_hub.extensions import utcnow  # noqa: E402

ROUNDS = int(os.environ.get("SKILLS_HUB_BENCH_ROUNDS", "40"))
MEMORY_RENDERS = int(os.environ.get("SKILLS_HUB_BENCH_MEMORY_RENDERS", "500"))


def certificate(n: int) -> Certificate:
    return Certificate(code="ABCDEFGHJKM0", learner_id=uuid.uuid4(), course_id=uuid.uuid4(),
                       enrolment_id=uuid.uuid4(), awarded_at=utcnow(), learner_name=f"Nguyễn Văn An {n}",
                       course_slug="using-email", course_title="Using email", course_version=1,
                       eds_areas=["communicating", "being-safe-online"], branch_name="Central Library",
                       issuer_name="Skills Hub")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_seconds(render) -> float:
    render()
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        render()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Config({"SKILLS_HUB_DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                                 "SKILLS_HUB_LOG_LEVEL": "WARNING", "SKILLS_HUB_MAIL_DIR": folder}))
        with app.test_request_context():
            migrate.upgrade()
            html = app.jinja_env.get_template("certificates/certificate.html").render(
                certificate=certificate(0), code="ABCD-EFGH-JKM0", verify_url="http://127.0.0.1:5000/verify/x",
                areas=["Communicating"], qr=pdf.segno.make("x").svg_data_uri())
            base = Path(app.static_folder).as_uri() + "/"
            font_config = FontConfiguration()  # our fonts (static/fonts/fonts.css), loaded once, as the app does
            our_fonts = CSS(filename=str(fonts.FONTS_CSS), font_config=font_config)
            floor = median_seconds(lambda: HTML(string=html, base_url=base).write_pdf(
                pdf_variant="pdf/ua-1", font_config=font_config, stylesheets=[our_fonts]))
            project = median_seconds(lambda: pdf.render(certificate(1)))
            print(f"{'render':<48} {'median ms':>10} {'x floor':>8}")
            print(f"{'bare WeasyPrint, same HTML (floor)':<48} {floor * 1000:>10.1f} {1:>8.2f}")
            print(f"{'project render path (pdf.render)':<48} {project * 1000:>10.1f} {project / floor:>8.2f}")
            before = rss_mb()
            for n in range(MEMORY_RENDERS):
                pdf.render(certificate(n))
            print(f"peak memory growth over {MEMORY_RENDERS} renders: {rss_mb() - before:.1f} MB "
                  f"(peak {rss_mb():.0f} MB)")
    render_many_with_workers()
    download_throughput()


JOBS = int(os.environ.get("SKILLS_HUB_BENCH_RENDER_JOBS", "1000"))
JOB_WORKERS = int(os.environ.get("SKILLS_HUB_BENCH_JOB_WORKERS", "2"))


def _env(folder: str) -> dict[str, str]:
    return {**os.environ, "SKILLS_HUB_DATABASE_URL": f"sqlite:///{Path(folder) / 'jobs.sqlite3'}",
            "SKILLS_HUB_LOG_LEVEL": "WARNING", "SKILLS_HUB_MAIL_DIR": folder, "SKILLS_HUB_REDIS_URL": "",
            "SKILLS_HUB_SIGNING_KEY": "ab" * 32, "SKILLS_HUB_JOB_POLL_SECONDS": "0.2"}


def _certificates_with_render_jobs(env: dict[str, str], count: int) -> None:
    """`count` certificates, each with its render job waiting, as completions would leave them."""
    from skills_hub.accounts.models import Role
    from skills_hub.accounts.services import create_user
    from skills_hub.certificates.services import new_code
    from skills_hub.courses import services as courses
    from skills_hub.extensions import db
    from skills_hub.jobs.services import enqueue
    from skills_hub.learning.models import Enrolment

    app = create_app(Config(env))
    with app.app_context():
        migrate.upgrade()
        courses.sync_catalogue(app.config["CONTENT_DIR"])
        course = courses.get_course("using-email")
        for n in range(count):
            learner = create_user(role=Role.LEARNER, given_name="Learner", family_name=str(n))
            enrolment = Enrolment(learner_id=learner.id, course_id=course.id, completed_at=utcnow())
            db.session.add(enrolment)
            db.session.flush()
            made = certificate(n)
            made.code, made.learner_id = new_code(), learner.id
            made.course_id, made.enrolment_id = course.id, enrolment.id
            db.session.add(made)
            db.session.flush()
            enqueue(pdf.RENDER_JOB, {"certificate_id": str(made.id)})
        db.session.commit()
        db.engine.dispose()


def render_many_with_workers() -> None:
    """Time for JOB_WORKERS `flask jobs run` processes to render JOBS certificates waiting in the job table."""
    import subprocess

    from sqlalchemy import create_engine, text

    with tempfile.TemporaryDirectory() as folder:
        env = _env(folder)
        _certificates_with_render_jobs(env, JOBS)
        engine = create_engine(env["SKILLS_HUB_DATABASE_URL"])
        started = time.perf_counter()
        workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi:app", "jobs", "run"], cwd=ROOT,
                                    env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(JOB_WORKERS)]
        try:
            while True:
                with engine.connect() as connection:
                    left = connection.scalar(text("SELECT count(*) FROM jobs WHERE status != 'done'"))
                if not left:
                    break
                time.sleep(0.5)
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait()
        seconds = time.perf_counter() - started
        print(f"{JOBS} certificates rendered and signed by {JOB_WORKERS} job runners: {seconds:.0f} s "
              f"({JOBS / seconds:.1f} a second)")


def download_throughput() -> None:
    """Cached PDF downloads against a static file served by the same app, with gunicorn."""
    from benchmarks.learning import free_port, load, serve

    with tempfile.TemporaryDirectory() as folder:
        env = _env(folder)
        _certificates_with_render_jobs(env, 1)
        app = create_app(Config(env))
        from skills_hub.accounts.models import User
        from skills_hub.certificates.models import Certificate as Model
        from skills_hub.extensions import db
        from skills_hub.jobs.services import dispatch_due

        with app.app_context():
            dispatch_due()
            certificate = db.session.query(Model).one()
            user = db.session.get(User, certificate.learner_id)
            cookie_value = app.session_interface.get_signing_serializer(app).dumps(
                {"_user_id": user.get_id(), "_fresh": True})
            code = pdf.codes.grouped(certificate.code)
            db.engine.dispose()
        port = free_port()
        server = serve("wsgi:app", port, env)
        try:
            cookie = {"Cookie": f"session={cookie_value}"}
            static_rps, static_failed = load(port, lambda: ("GET", "/static/site.css", None, {}))
            pdf_rps, pdf_failed = load(port, lambda: ("GET", f"/certificates/{code}.pdf", None, cookie))
        finally:
            server.terminate()
            server.wait()
        print(f"{'download':<48} {'req/s':>10} {'x floor':>8}")
        print(f"{'GET /static/site.css (floor)':<48} {static_rps:>10.0f} {1:>8.2f}")
        print(f"{'GET /certificates/<code>.pdf (stored)':<48} {pdf_rps:>10.0f} {pdf_rps / static_rps:>8.2f}"
              f"  failed: {static_failed + pdf_failed}")


if __name__ == "__main__":
    main()
