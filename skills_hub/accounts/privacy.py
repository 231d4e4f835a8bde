"""The privacy notice: one Markdown file per version in content/privacy/, named by version (`2026-11.md`).

Every consent record names the version that was shown. The newest version is the current one.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app

from skills_hub.markdown import render


def _folder() -> Path:
    return current_app.config["PRIVACY_DIR"]


@cache
def _versions(folder: Path) -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in folder.glob("*.md")))


def versions() -> tuple[str, ...]:
    return _versions(_folder())


def current_version() -> str:
    return versions()[-1]


def notice_html(version: str) -> str:
    return render((_folder() / f"{version}.md").read_text(encoding="utf-8"), image_base="/static")


def notice_text(version: str) -> str:
    """The notice's Markdown source, as written."""
    return (_folder() / f"{version}.md").read_text(encoding="utf-8")
