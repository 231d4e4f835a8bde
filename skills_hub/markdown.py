"""Lesson Markdown to safe HTML: raw HTML is shown as text, links to other sites are marked as such."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

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


def explained_after(tokens: list[Token], words: tuple = (), language: str = "en") -> dict[int, list]:
    """Where each glossary word is explained: after the first paragraph (or list item's text) that uses it, never
    in a heading; as {index of that paragraph's closing token: [words]}. Each word once, where it first appears."""
    left, places = list(words), {}
    for index, token in enumerate(tokens):
        if not left or token.type != "inline" or index == 0 or tokens[index - 1].type != "paragraph_open":
            continue
        text = "".join(child.content for child in token.children or [] if child.type in ("text", "code_inline"))
        found = [word for word in left if word.pattern(language).search(text)]
        if found:
            close = next(i for i in range(index + 1, len(tokens)) if tokens[i].type == "paragraph_close")
            places.setdefault(close, []).extend(found)
            left = [word for word in left if word not in found]
    return places


def _explanation(word, label: str) -> Token:
    token = Token("html_block", "", 0)
    summary = escape(label.format(word=word.word))
    token.content = (f'<details class="word" id="word-{escape(word.id)}"><summary>{summary}</summary>'
                     f"<p>{escape(word.meaning)}</p></details>\n")
    return token


@lru_cache(maxsize=512)
def render(markdown: str, image_base: str, words: tuple = (), language: str = "en",
           label: str = "{word}") -> Markup:
    """Render a lesson body. `image_base` is the URL folder that relative image paths resolve against. Each of
    `words` (glossary.Word) is explained where the lesson first uses it, in a <details> after that paragraph,
    whose summary is `label` with the word in it (no JavaScript needed to open it)."""
    tokens = _RENDERER.parse(markdown)
    places = explained_after(tokens, words, language)
    if places:
        tokens = [added for index, token in enumerate(tokens)
                  for added in (token, *(_explanation(word, label) for word in places.get(index, ())))]
    for token in tokens:
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "image":
                    child.attrSet("loading", "lazy")  # fetched when scrolled to: most are below the fold
                    child.attrSet("decoding", "async")
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
