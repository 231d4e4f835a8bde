"""Render certificates for names in six scripts on a "machine without fonts-noto-cjk", as PNGs of page 1.

    .venv/bin/python scripts/certificate_images.py [folder]     (default docs/images/certificates)

The renders run in a child process whose FONTCONFIG_FILE sees only DejaVu, so every Chinese, Japanese and Korean
glyph comes from the subsets committed in skills_hub/static/fonts. It prints, for each name, the render time and
the fonts embedded (pdffonts). Needs poppler-utils (pdftoppm, pdffonts).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = {
    "wang-xiuying": "王秀英",
    "chan-tai-man": "陳大文",
    "yamada-taro": "山田太郎",
    "kim-min-jun": "김민준",
    "nguyen-thi-huong": "Nguyễn Thị Hương",
    "muhammad-abd-allah": "محمد عبد الله",
}
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


def tool(name: str) -> str:
    return shutil.which(name) or sys.exit(f"{name} not found: install poppler-utils.")


def render_all(folder: Path) -> None:
    """In the child: render each name and turn page 1 into a PNG."""
    sys.path.insert(0, str(ROOT))
    from skills_hub import create_app
    from skills_hub.certificates import pdf
    from skills_hub.certificates.models import Certificate
    from skills_hub.config import TestConfig
    from skills_hub.extensions import utcnow

    with tempfile.TemporaryDirectory() as instance:
        app = create_app(TestConfig(instance_path=Path(instance)))
        with app.app_context():
            for slug, name in NAMES.items():
                certificate = Certificate(
                    code="ABCDEFGHJKM0", learner_id=uuid.uuid4(), course_id=uuid.uuid4(), enrolment_id=uuid.uuid4(),
                    awarded_at=utcnow(), learner_name=name, course_slug="using-email", course_title="Using email",
                    course_version=1, eds_areas=["communicating"], branch_name="Central Library",
                    issuer_name="Skills Hub")
                started = time.perf_counter()
                rendered = pdf.render(certificate)
                took = time.perf_counter() - started
                path = Path(instance) / f"{slug}.pdf"
                path.write_bytes(rendered)
                subprocess.run([tool("pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",  # noqa: S603
                                str(path), str(folder / slug)], check=True)
                fonts = subprocess.run([tool("pdffonts"), str(path)], check=True, capture_output=True,  # noqa: S603
                                       text=True).stdout.splitlines()[2:]
                print(f"{name}: {took:.2f} s, {(folder / f'{slug}.png').stat().st_size // 1024} KB, fonts: "
                      + ", ".join(sorted({line.split()[0].split("+")[-1] for line in fonts})))


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs" / "images" / "certificates").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if os.environ.get("SKILLS_HUB_FONTS_HIDDEN") == "1":
        render_all(folder)
        return
    with tempfile.TemporaryDirectory() as scratch:
        conf = Path(scratch) / "fonts.conf"
        conf.write_text(FONTS_CONF.format(cache=Path(scratch) / "cache"))
        env = {**os.environ, "FONTCONFIG_FILE": str(conf), "SKILLS_HUB_FONTS_HIDDEN": "1"}
        chinese = subprocess.run([tool("fc-list"), ":lang=zh-cn", "family"], env=env, capture_output=True,  # noqa: S603
                                 text=True).stdout.strip()
        print(f"System fonts with Chinese in the child process: {chinese or 'none'}")
        subprocess.run([sys.executable, __file__, str(folder)], env=env, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
