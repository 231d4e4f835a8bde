"""Lesson Markdown to safe HTML: raw HTML is shown as text, links to other sites are marked as such."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

EXTERNAL_LINK_NOTE = " (another website)"


def _parser(html: bool) -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": html, "linkify": False, "typographer": False}).enable("table")


_RENDERER = _parser(html=False)
_INSPECTOR = _parser(html=True)  # only to find raw HTML and images when validating


def is_external(href: str) -> bool:
    parts = urlsplit(href)
    return bool(parts.scheme or parts.netloc)


def _mark_external_links(children: list[Token]) -> list[Token]:
    marked: list[Token] = []
    external = False
    for token in children:
        if token.type == "link_open":
            external = is_external(token.attrGet("href") or "")
            if external:
                token.attrSet("class", "external")
                token.attrSet("rel", "noopener noreferrer")
        if token.type == "link_close" and external:
            note = Token("text", "", 0)
            note.content = EXTERNAL_LINK_NOTE
            marked.append(note)
            external = False
        marked.append(token)
    return marked


@lru_cache(maxsize=512)
def render(markdown: str, image_base: str) -> Markup:
    """Render a lesson body. `image_base` is the URL folder that relative image paths resolve against."""
    tokens = _RENDERER.parse(markdown)
    for token in tokens:
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "image":
                    src = child.attrGet("src") or ""
                    if not is_external(src) and not src.startswith("/"):
                        child.attrSet("src", f"{image_base.rstrip('/')}/{src.removeprefix('images/')}")
            token.children = _mark_external_links(token.children)
    return Markup(_RENDERER.renderer.render(tokens, _RENDERER.options, {}))  # noqa: S704 (escaped by markdown-it)


def inspect(markdown: str) -> tuple[list[str], list[str]]:
    """What a lesson file must not contain, in plain words for the writer; and the images it shows."""
    problems: list[str] = []
    images: list[str] = []
    for token in _INSPECTOR.parse(markdown):
        if token.type == "html_block" or (token.type == "inline" and any(
                c.type == "html_inline" for c in token.children or [])):
            problems.append("contains raw HTML, which is shown as text: write it in Markdown instead")
        if token.type == "heading_open" and token.tag == "h1":
            problems.append("starts a section with `#`: use `##` (the page shows the lesson title as its heading)")
        for child in token.children or []:
            if child.type == "image":
                images.append(child.attrGet("src") or "")
                if not child.content.strip():
                    problems.append(f"image {child.attrGet('src')} has no alt text: describe what it shows")
                elif is_external(child.attrGet("src") or ""):
                    problems.append(f"image {child.attrGet('src')} is on another site: put it in images/")
            if child.type == "link_open" and (child.attrGet("href") or "").lower().startswith(("javascript:", "data:")):
                problems.append("has a link that runs code: link to a web address instead")
    return sorted(set(problems)), images
