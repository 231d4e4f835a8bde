"""The pictures lessons show: light (a picture is fetched on a phone paying for data), sharp at any zoom, and
safe to serve. Drawings are SVG files in the course's images/ folder (docs/writing-courses.md, "Pictures")."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

MAX_BYTES = 10 * 1024
KINDS = (".svg", ".png", ".jpg", ".jpeg", ".webp")
# What an SVG may not hold: it could run code, fetch from elsewhere, or carry words a translation cannot change.
_REFUSED_ELEMENTS = {"script", "foreignObject", "image", "text", "iframe", "object", "embed", "audio", "video"}
_REFERENCE = re.compile(r"^\s*#")


def problems(path: Path) -> list[str]:
    """What is wrong with a picture file, each said so that the writer knows what to do (none when it is fine)."""
    if path.suffix.lower() not in KINDS:
        return [f"is a {path.suffix or 'file without a type'}: draw it as .svg (or use .png, .jpg or .webp)"]
    size = path.stat().st_size
    found = [] if size <= MAX_BYTES else [f"is {size:,} bytes: keep a picture under {MAX_BYTES:,} (simplify the "
                                          "drawing, round its numbers, drop editor metadata)"]
    if path.suffix.lower() == ".svg":
        found.extend(_svg_problems(path))
    return found


def _svg_problems(path: Path) -> list[str]:
    try:
        root = ElementTree.parse(path).getroot()  # noqa: S314 (our own files; entities are refused below)
    except ElementTree.ParseError as error:
        return [f"is not well-formed SVG ({error}): fix it in an editor"]
    if "<!ENTITY" in path.read_text(encoding="utf-8", errors="replace"):
        return ["declares XML entities: take them out"]
    found = set()
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name in _REFUSED_ELEMENTS:
            found.add(f"has a <{name}> element: draw shapes only (no words, no scripts, nothing fetched)")
        for attribute, value in element.attrib.items():
            attribute_name = attribute.rsplit("}", 1)[-1]
            if attribute_name.lower().startswith("on"):
                found.add(f"has an {attribute_name} attribute, which runs code: take it out")
            if attribute_name == "href" and not _REFERENCE.match(value):
                found.add(f"links to {value!r}: refer only to shapes inside the same file (#id)")
        if name == "style" and element.text and ("@import" in element.text or "url(" in element.text):
            found.add("has a style that fetches from elsewhere: take out @import and url()")
    if not root.get("viewBox"):
        found.add("has no viewBox: give it one, so that it stays sharp at any size")
    return sorted(found)
