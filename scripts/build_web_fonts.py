"""Build the web font pages use for Urdu and Arabic: WOFF2 copies of the shipped Noto Naskh Arabic
(skills_hub/static/fonts/NotoNaskhArabic-*.ttf, SIL OFL, see LICENCE-Noto-fonts.txt) cut to the Arabic-script
blocks. A browser downloads one only for a page with Arabic letters and no local font for them (site.css says
which local fonts come first): about 57 KB instead of the 175 KB TrueType file the PDFs embed.

Run by `make fonts`; needs only fontTools and brotli, which WeasyPrint installs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FONTS = Path(__file__).resolve().parents[1] / "skills_hub" / "static" / "fonts"
# Basic Latin for the digits and punctuation inside Arabic text; Arabic, its supplements and presentation forms;
# the joiners and direction marks.
UNICODES = "U+0020-007E,U+00A0,U+0600-06FF,U+0750-077F,U+08A0-08FF,U+200C-200F,U+FB50-FDFF,U+FE70-FEFF"


def main() -> None:
    for weight in ("Regular", "Bold"):
        source = FONTS / f"NotoNaskhArabic-{weight}.ttf"
        target = FONTS / f"NotoNaskhArabic-{weight}.woff2"
        command = [sys.executable, "-m", "fontTools.subset", str(source), f"--unicodes={UNICODES}",
                   "--layout-features=*", "--flavor=woff2", f"--output-file={target}"]
        subprocess.run(command, check=True)  # noqa: S603 (our own arguments)
        print(f"{target.name}: {target.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
