"""Build the committed Noto Sans CJK subsets in skills_hub/static/fonts from Debian's fonts-noto-cjk (`make fonts`).

Certificates and login cards must print Chinese, Japanese and Korean names on a machine with no CJK fonts, so we
commit four subsets of Noto Sans CJK Bold (SIL OFL 1.1, which allows subsetting and redistribution; the
licence and the package version are written beside them):

  NotoSansCJKsc-Bold-Subset.otf  the Simplified Chinese face, GB2312 (all of it: 6,763 hanzi and its symbols)
  NotoSansCJKtc-Bold-Subset.otf  the Traditional Chinese face, Big5 level 1 (5,401 frequent hanzi and its symbols)
  NotoSansCJKjp-Bold-Subset.otf  the Japanese face, JIS X 0208 rows 1-8 (kana, symbols) and level 1 (2,965 kanji)
  NotoSansCJKkr-Bold-Subset.otf  the Korean face, KS X 1001 rows 1-12 (symbols, jamo) and its 2,350 hangul syllables

The four faces draw some shared ideographs differently (骨 直 角 ...), so each set comes from the face its
readers expect. The page picks the face by the name's language: skills_hub.fonts.language_of() tags a name
ja (it has kana), ko (hangul), zh-Hans (all of its ideographs are in GB2312), zh-Hant (in Big5) or nothing,
and fonts.css lists the faces in that language's order (SC, TC, JP, KR by default), so a character missing from
the first face comes from the next. Beyond these sets, fontconfig's system fonts are used; beyond those, the
render fails (skills_hub.fonts.check). One weight only, Bold, which halves the size: WeasyPrint does not
synthesise bold, and what a certificate prints in these scripts is the name, in bold (a Regular face looked thin
beside the bold Latin and Arabic names); regular text, like a login card's name, is drawn in bold too.

The code-point lists come from Python's own codecs; nothing is downloaded. Run it after upgrading
fonts-noto-cjk; it needs pyftsubset (fontTools, installed with WeasyPrint) and dpkg-query.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fontTools.ttLib import TTCollection

from skills_hub import fonts

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")


# (file, face name in the TTC, code points)
SUBSETS = [
    ("NotoSansCJKsc-Bold-Subset.otf", "Noto Sans CJK SC", fonts.gb2312),
    ("NotoSansCJKtc-Bold-Subset.otf", "Noto Sans CJK TC", fonts.big5_level1),
    ("NotoSansCJKjp-Bold-Subset.otf", "Noto Sans CJK JP", fonts.jis_level1),
    ("NotoSansCJKkr-Bold-Subset.otf", "Noto Sans CJK KR", fonts.ksx1001_hangul),
]
# In every subset: ASCII and common punctuation, because text shaping keeps a space, a hyphen or a bracket between
# two ideographs in the ideographs' font (without them "王 秀英" printed an empty box for the space), and CJK
# punctuation with the ideographic space.
SHARED = {*range(0x20, 0x7F), 0xA0, 0xB7, *range(0x2010, 0x2028), *range(0x3000, 0x3040), *range(0xFF01, 0xFF5F)}


def faces_and_copyright(source: Path) -> tuple[dict[str, int], str]:
    """The number of each face in the collection, by family name, and the fonts' copyright notice."""
    collection = TTCollection(str(source), lazy=True)
    faces = {font["name"].getDebugName(1): number for number, font in enumerate(collection.fonts)}
    return faces, collection.fonts[0]["name"].getDebugName(0)


def package_version() -> str:
    dpkg_query = shutil.which("dpkg-query") or sys.exit("dpkg-query not found: build the fonts on Debian or Ubuntu.")
    return subprocess.run([dpkg_query, "-W", "-f=${Version}", "fonts-noto-cjk"], check=True,  # noqa: S603
                          capture_output=True, text=True).stdout.strip()


def ofl_text() -> str:
    """The SIL OFL 1.1 text from the package's copyright file, without Debian's indentation."""
    text = COPYRIGHT.read_text()
    match = re.search(r"^License: SIL-1\.1\n((?: .*\n?)+)", text, re.MULTILINE)
    if not match:
        sys.exit(f"No SIL-1.1 licence text in {COPYRIGHT}.")
    lines = [line[1:] for line in match.group(1).splitlines()]
    return "\n".join("" if line == "." else line for line in lines).strip() + "\n"


def build(source: Path = SOURCE, out: Path = fonts.FONTS_FOLDER) -> list[tuple[str, int, int]]:
    faces, copyright_notice = faces_and_copyright(source)
    built = []
    for filename, face, characters in SUBSETS:
        codepoints = sorted(characters() | SHARED)
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as unicodes:
            unicodes.write("\n".join(f"U+{point:04X}" for point in codepoints))
            unicodes.flush()
            command = [sys.executable, "-m", "fontTools.subset", str(source), f"--font-number={faces[face]}",
                       f"--unicodes-file={unicodes.name}", f"--output-file={out / filename}",
                       "--layout-features=*", "--no-hinting", "--name-IDs=*", "--name-languages=*"]
            subprocess.run(command, check=True)  # noqa: S603 (our own arguments)
        built.append((filename, len(codepoints), (out / filename).stat().st_size))
    version = package_version()
    (out / "NotoSansCJK-SOURCE.txt").write_text(
        f"The NotoSansCJK*-Bold-Subset.otf files were made by `make fonts` (scripts/build_cjk_fonts.py) from\n"
        f"{source} in Debian's fonts-noto-cjk {version}.\n\n"
        + "".join(f"{name}: {count} code points, {size} bytes\n" for name, count, size in built))
    (out / "LICENCE-Noto-CJK.txt").write_text(
        f"Noto Sans CJK (NotoSansCJK*-Bold-Subset.otf): {copyright_notice}\n"
        "The subsets are Modified Versions of the fonts, made by keeping only some of their characters, and are\n"
        "released under the same licence, the SIL Open Font License 1.1:\n\n" + ofl_text())
    return built


if __name__ == "__main__":
    for name, count, size in build():
        print(f"{name}: {count} code points, {size / 1e6:.2f} MB")
