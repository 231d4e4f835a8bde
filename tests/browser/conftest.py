"""Browser fixtures: the app served on a free local port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from skills_hub.demo import load_demo_data
from skills_hub.extensions import db
from tests.conftest import free_port, require

CHROMIUM = os.environ.get("SKILLS_HUB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    app.config["WTF_CSRF_SSL_STRICT"] = False
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    require(Path(CHROMIUM).exists(), "Chromium", "install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def demo(app, catalogue) -> None:
    with app.app_context():
        load_demo_data()
        db.session.commit()


def _open_page(browser, live_server, **options):
    context = browser.new_context(base_url=live_server, **options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def page(browser, live_server, demo):
    """A page with JavaScript, where axe is injected (bypassing our CSP only for the test's own script)."""
    yield from _open_page(browser, live_server, bypass_csp=True)


@pytest.fixture
def page_without_javascript(browser, live_server, demo):
    yield from _open_page(browser, live_server, java_script_enabled=False)
