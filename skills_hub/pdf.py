"""PDFs with WeasyPrint, from our templates, fetching nothing but our own static files and data: URIs."""

from __future__ import annotations

from pathlib import Path
from urllib.request import url2pathname

from flask import current_app
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher


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


def _html(html: str) -> HTML:
    static_folder = Path(current_app.static_folder)
    return HTML(string=html, base_url=static_folder.as_uri() + "/", url_fetcher=OwnAssetsFetcher(static_folder))


def render_pdf(html: str, **options) -> bytes:
    return _html(html).write_pdf(**options)


def render_pdf_pages(htmls: list[str], font_config=None, **options) -> bytes:
    """One PDF holding the pages of several documents, in order (a print pack)."""
    documents = [_html(html).render(font_config=font_config) for html in htmls]
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf(**options)
