"""PDFs with WeasyPrint, from our templates, fetching nothing but our own static files and data: URIs, and never
with an empty box where a letter should be (skills_hub.fonts)."""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.request import url2pathname

from flask import current_app
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from skills_hub import fonts
from skills_hub.fonts import MissingGlyph


class RefusedResource(ValueError):
    """A PDF template asked for something that is not one of our own assets."""


class MissingAsset(FatalURLFetchingError):
    """One of our own assets (a font, an image) is not there."""


class OwnAssetsFetcher(URLFetcher):
    """Serves data: URIs and files under the app's static folder; refuses the network and every other file."""

    def __init__(self, static_folder: Path):
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self.static_folder = static_folder.resolve()

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
            if not path.is_relative_to(self.static_folder):
                raise RefusedResource(f"Refused to fetch {url}: only our own static files are allowed.")
            if not path.is_file():  # our own asset is missing: fail the render loudly, never print without it
                raise MissingAsset(f"{path} is missing")
        elif not url.startswith("data:"):
            raise RefusedResource(f"Refused to fetch {url}: PDFs use no network resources.")
        return super().fetch(url, headers)


@cache
def font_config() -> FontConfiguration:
    """One per worker process: a fresh one per render leaks memory, and loads our fonts again."""
    return FontConfiguration()


# Free it while the font libraries are still loaded: left to interpreter shutdown, it crashes the process.
atexit.register(font_config.cache_clear)


def _fetcher() -> OwnAssetsFetcher:
    return OwnAssetsFetcher(Path(current_app.static_folder))


def _html(html: str) -> HTML:
    return HTML(string=html, base_url=Path(current_app.static_folder).as_uri() + "/", url_fetcher=_fetcher())


def _our_fonts(config: FontConfiguration) -> CSS:
    """static/fonts/fonts.css: every PDF may use our own fonts, so the glyph check knows which fonts it has."""
    return CSS(filename=str(fonts.FONTS_CSS), url_fetcher=_fetcher(), font_config=config)


def printed_text(document: HTML) -> str:
    """The text a document prints: its body's (the title and image descriptions are not drawn)."""
    body = document.etree_element.find("body")
    return "".join(body.itertext()) if body is not None else ""


class _EmptyBoxes(logging.Handler):
    """Collects the characters WeasyPrint drew as .notdef (an empty box) in this thread; it only logs them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.characters: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread and str(record.msg).startswith(".notdef glyph rendered"):
            self.characters.append(str(record.args[0]) if record.args else "\ufffd")


@contextmanager
def no_empty_boxes() -> Iterator[None]:
    """Raise MissingGlyph after the block when WeasyPrint drew a .notdef glyph during it."""
    handler = _EmptyBoxes()
    logger = logging.getLogger("weasyprint")
    if not logger.isEnabledFor(logging.WARNING):  # a quieter logging setup must not hide an empty box
        logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.characters:
        raise MissingGlyph(list(dict.fromkeys(handler.characters)))


def render_pdf(html: str, **options) -> bytes:
    return render_pdf_pages([html], **options)


def render_pdf_pages(htmls: list[str], **options) -> bytes:
    """One PDF holding the pages of several documents, in order (a print pack). Raises MissingGlyph, naming the
    characters, when any text would print as an empty box: checked before, and watched for while drawing."""
    config = font_config()
    documents = [_html(html) for html in htmls]
    for document in documents:
        fonts.check(printed_text(document))
    stylesheets = [_our_fonts(config)]
    with no_empty_boxes():
        rendered = [document.render(font_config=config, stylesheets=stylesheets, **options) for document in documents]
        pages = [page for document in rendered for page in document.pages]
        return rendered[0].copy(pages).write_pdf(**options)
