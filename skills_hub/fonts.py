"""Which characters this server can print, so that no PDF is ever stored with an empty box in place of a letter.

A PDF can use our own fonts (static/fonts, declared in static/fonts/fonts.css, which skills_hub.pdf gives every
PDF) and, through fontconfig, every font installed on the system (WeasyPrint falls back to them for a character
the listed fonts lack). `check` reads our fonts' character maps with fontTools and asks fontconfig (`fc-list`)
about anything else; WeasyPrint itself only logs ".notdef glyph rendered", which skills_hub.pdf treats as a
failure too. `language_of` tells the page which Chinese, Japanese or Korean face should draw a name.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from skills_hub.errors import DomainError

FONTS_FOLDER = Path(__file__).parent / "static" / "fonts"
FONTS_CSS = FONTS_FOLDER / "fonts.css"
INSTALL_HINT = "Chinese, Japanese and Korean need fonts-noto-cjk on Debian or Ubuntu"


class MissingGlyph(DomainError):
    """A character that no font on this server can draw: the PDF would show an empty box, so it is not made."""

    status, title, slug = 422, "Cannot print this", "missing-glyph"  # the text asks for what no font has
    retrying_cannot_help = True  # a job that raises it fails at once, and admins see why (skills_hub.jobs)

    def __init__(self, characters: list[str]):
        self.characters = characters
        named = " or ".join(f"{ch} (U+{ord(ch):04X})" for ch in characters[:5])
        super().__init__(f"No font for {named} on this server, so it cannot be printed without an empty box. "
                         f"Install a font that has it ({INSTALL_HINT}); `flask doctor` lists what this server "
                         f"can print.")


def _two_byte(encoding: str, rows, cells, lead: Callable[[int], int] = lambda row: row) -> frozenset[int]:
    """The code points of every two-byte sequence lead(row), cell that the codec decodes to one character."""
    points = set()
    for row in rows:
        for cell in cells:
            try:
                text = bytes([lead(row), cell]).decode(encoding)
            except UnicodeDecodeError:
                continue
            if len(text) == 1 and text != "\ufffd":
                points.add(ord(text))
    return frozenset(points)


def gb2312() -> frozenset[int]:
    """GB2312, all of it: symbols and the 6,763 hanzi of simplified Chinese."""
    return _two_byte("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF))


def big5_level1() -> frozenset[int]:
    """Big5's symbols (A140-A3BF) and its level 1, the 5,401 frequent hanzi of traditional Chinese (A440-C67E)."""
    trail = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    return _two_byte("big5", range(0xA1, 0xC6), trail) | _two_byte("big5", [0xC6], range(0x40, 0x7F))


def jis_level1() -> frozenset[int]:
    """JIS X 0208 rows 1-8 (kana, symbols) and rows 16-47, level 1: the 2,965 common kanji."""
    return _two_byte("euc_jp", [*range(1, 9), *range(16, 48)], range(0xA1, 0xFF), lead=lambda row: 0xA0 + row)


def ksx1001_hangul() -> frozenset[int]:
    """KS X 1001 rows 1-12 (symbols, jamo) and rows 16-40: the 2,350 hangul syllables."""
    return _two_byte("euc_kr", [*range(1, 13), *range(16, 41)], range(0xA1, 0xFF), lead=lambda row: 0xA0 + row)


def _letters(text: str) -> frozenset[int]:
    return frozenset(ord(ch) for ch in text if not ch.isspace())


@dataclass(frozen=True)
class Script:
    name: str
    characters: Callable[[], frozenset[int]]
    fontconfig_lang: str  # the orthography fontconfig checks a system font against


SCRIPTS = [
    Script("Latin (English, Welsh, Polish, Somali, …)", lambda: _letters(
        "".join(map(chr, range(0x21, 0x7F))) + "ÀÁÂÄÇÈÉÊËÌÍÎÏÑÒÓÔÖÙÚÛÜŴŶẀẂẄỲàáâäçèéêëìíîïñòóôöùúûüŵŷ"
        "ąćęłńóśźżĄĆĘŁŃŚŹŻ£€"), "en"),
    Script("Vietnamese", lambda: _letters("ĂÂĐÊÔƠƯăâđêôơưẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ"
                                          "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"), "vi"),
    Script("Cyrillic and Greek", lambda: _letters("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюя"
                                                  "ЇЄІҐїєіґΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρστυφχψω"), "ru"),
    Script("Arabic (Arabic, Urdu, Persian)", lambda: _letters("ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىيپچژکگیےںٹڈڑھ"
                                                              "٠١٢٣٤٥٦٧٨٩"), "ar"),
    Script("Chinese, simplified (GB2312)", gb2312, "zh-cn"),
    Script("Chinese, traditional (Big5 level 1)", big5_level1, "zh-tw"),
    Script("Japanese (JIS X 0208 level 1)", jis_level1, "ja"),
    Script("Korean (KS X 1001 hangul)", ksx1001_hangul, "ko"),
]


@cache
def own_fonts() -> dict[str, frozenset[int]]:
    """The characters of each of our own fonts, by file name."""
    fonts = {}
    for path in sorted(FONTS_FOLDER.glob("*.[ot]tf")):
        with TTFont(path, lazy=True) as font:
            fonts[path.name] = frozenset(font.getBestCmap())
    return fonts


@cache
def own_characters() -> frozenset[int]:
    return frozenset().union(*own_fonts().values())


def _fc_list(pattern: str) -> list[str]:
    """The families of installed fonts that match a fontconfig pattern (none when fontconfig's tools are absent)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    listed = subprocess.run([fc_list, "--format", "%{family[0]}\n", pattern],  # noqa: S603 (our own pattern)
                            capture_output=True, text=True, check=False).stdout
    return sorted({line for line in listed.splitlines() if line.strip()})


@cache
def system_font_for(character: str) -> str | None:
    """An installed font that has this character, as fontconfig sees it (FONTCONFIG_FILE included)."""
    return next(iter(_fc_list(f":charset={ord(character):x}")), None)


def system_fonts_for_language(lang: str) -> list[str]:
    """Installed families that cover fontconfig's orthography for this language."""
    return _fc_list(f":lang={lang}")


def _drawn(character: str) -> bool:
    """False for what takes no glyph: spaces, line breaks, controls, joiners and direction marks, selectors."""
    if character.isspace() or 0xFE00 <= ord(character) <= 0xFE0F or 0xE0100 <= ord(character) <= 0xE01EF:
        return False
    return unicodedata.category(character) not in ("Cc", "Cf", "Zl", "Zp")


def missing(text: str) -> list[str]:
    """The characters of text, in order of appearance, that neither our fonts nor the system's can draw."""
    ours = own_characters()
    gaps = []
    for character in dict.fromkeys(text):
        if _drawn(character) and ord(character) not in ours and system_font_for(character) is None:
            gaps.append(character)
    return gaps


def check(text: str) -> None:
    """Raise MissingGlyph, naming the characters, when any of text would print as an empty box."""
    if gaps := missing(text):
        raise MissingGlyph(gaps)


HIRAGANA_KATAKANA = [(0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F)]
HANGUL = [(0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF)]


def _any_in(text: str, ranges: list[tuple[int, int]]) -> bool:
    return any(start <= ord(ch) <= end for ch in text for start, end in ranges)


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


# Our face for each tag that language_of gives (static/fonts/fonts.css).
FACES = {"zh-Hans": "NotoSansCJKsc-Bold-Subset.otf", "zh-Hant": "NotoSansCJKtc-Bold-Subset.otf",
         "ja": "NotoSansCJKjp-Bold-Subset.otf", "ko": "NotoSansCJKkr-Bold-Subset.otf"}
_TRADITIONAL, _SIMPLIFIED = {"hant", "tw", "hk", "mo"}, {"hans", "cn", "sg", "my"}


def cjk_language(preferred: str | None) -> str | None:
    """The tag of the Chinese, Japanese or Korean face for a preferred language (ja, ko, zh-Hant, zh-TW, zh-HK,
    yue → traditional; zh, zh-Hans, zh-CN → simplified), or None for any other language."""
    if not preferred:
        return None
    primary, *rest = preferred.strip().lower().replace("_", "-").split("-")
    if primary in ("ja", "jpn"):
        return "ja"
    if primary in ("ko", "kor"):
        return "ko"
    if primary in ("zh", "zho", "chi", "cmn", "yue"):
        if _TRADITIONAL & set(rest):
            return "zh-Hant"
        if _SIMPLIFIED & set(rest):
            return "zh-Hans"
        return "zh-Hant" if primary == "yue" else "zh-Hans"
    return None


def _cjk_letters(name: str) -> list[str]:
    return [ch for ch in name if _any_in(ch, HIRAGANA_KATAKANA + HANGUL)
            or unicodedata.name(ch, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))]


def language_of(name: str, preferred: str | None = None) -> str | None:
    """The language tag that picks the right Chinese, Japanese or Korean face for a name, or None.

    A resident's preferred language decides first, when our face for it has every Chinese, Japanese or Korean
    letter of the name: 高橋直美 who reads Japanese is drawn with Japanese shapes. Otherwise (no such language, a
    face without one of the letters, or an erased resident) the letters decide: kana make it Japanese and hangul
    Korean. Ideographs alone are ambiguous: 王秀英 and 山田太郎 are both in GB2312, so they are drawn in the
    simplified Chinese face (the shapes of such common characters agree); a name GB2312 lacks but Big5 has
    (陳大文) is traditional Chinese; one only JIS has (渡辺) is Japanese.
    """
    letters = _cjk_letters(name)
    if letters and (lang := cjk_language(preferred)):
        face = own_fonts().get(FACES[lang], frozenset())
        if all(ord(ch) in face for ch in letters):
            return lang
    if _any_in(name, HIRAGANA_KATAKANA):
        return "ja"
    if _any_in(name, HANGUL):
        return "ko"
    ideographs = "".join(ch for ch in name if unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH"))
    if not ideographs:
        return None
    for encoding, lang in (("gb2312", "zh-Hans"), ("big5", "zh-Hant"), ("euc_jp", "ja")):
        if _encodes(ideographs, encoding):
            return lang
    return None


@dataclass(frozen=True)
class Coverage:
    script: str
    letters: int
    missing_from_ours: int  # letters of the script that none of our own fonts has
    ours: list[str]  # our font files that have them (as many as we have)
    system: list[str]  # installed families that cover the whole script (fontconfig's orthography)

    @property
    def printable(self) -> bool:
        return self.missing_from_ours == 0 or bool(self.system)


def _fewest_covering(characters: frozenset[int]) -> list[str]:
    """Our fonts that together have these characters, the one with most of them first."""
    chosen, left = [], set(characters)
    while left:
        name, cmap = max(own_fonts().items(), key=lambda font: len(left & font[1]))
        if not left & cmap:
            break
        chosen.append(name)
        left -= cmap
    return chosen


def coverage() -> list[Coverage]:
    """For each script: can this server print all of its letters, and with which fonts."""
    report = []
    for script in SCRIPTS:
        letters = frozenset(c for c in script.characters() if unicodedata.category(chr(c)).startswith("L"))
        gaps = letters - own_characters()
        report.append(Coverage(script.name, len(letters), len(gaps), _fewest_covering(letters),
                               system_fonts_for_language(script.fontconfig_lang) if gaps else []))
    return report
