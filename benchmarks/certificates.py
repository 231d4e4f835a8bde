"""Certificate PDF rendering against a floor measured in the same run.

(a) the floor: a bare WeasyPrint render of the same HTML, with the same fonts, no app around it;
(b) the project's render path (pdf.render: template, QR code, fetcher, shared FontConfiguration);
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

from weasyprint import HTML  # noqa: E402

from skills_hub import create_app, migrate  # noqa: E402
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
            floor = median_seconds(lambda: HTML(string=html, base_url=base).write_pdf(pdf_variant="pdf/ua-1"))
            project = median_seconds(lambda: pdf.render(certificate(1)))
            print(f"{'render':<48} {'median ms':>10} {'x floor':>8}")
            print(f"{'bare WeasyPrint, same HTML (floor)':<48} {floor * 1000:>10.1f} {1:>8.2f}")
            print(f"{'project render path (pdf.render)':<48} {project * 1000:>10.1f} {project / floor:>8.2f}")
            before = rss_mb()
            for n in range(MEMORY_RENDERS):
                pdf.render(certificate(n))
            print(f"peak memory growth over {MEMORY_RENDERS} renders: {rss_mb() - before:.1f} MB "
                  f"(peak {rss_mb():.0f} MB)")


if __name__ == "__main__":
    main()
