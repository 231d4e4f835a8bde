"""The docs: a short README, links and paths that exist, nothing cited from outside the repository, and every
`make` target and `flask` command they name really there."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
from flask.cli import routes_command, run_command, shell_command

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_MAX_LINES = 130
DOCS_DIR = ROOT / "docs"
THIS_FILE = Path(__file__).resolve()

# Built from parts, so that this file does not name what it forbids.
DESIGN_FOLDER = "shared" + "/" + "design"
DESIGN_NOTES = r"(?<![\w/])(?:" + "API" + "|" + "CONTENT" + r")\.md"
OUTSIDE_THE_REPOSITORY = re.compile(re.escape(DESIGN_FOLDER) + "|" + DESIGN_NOTES)

FENCED_BLOCK = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
MAKE = re.compile(r"(?<![\w./-])make[ \t]+([a-z][\w-]*)")
FLASK = re.compile(r"(?<![\w.-])flask[ \t]+([a-z][\w-]*)(?:[ \t]+([a-z][\w-]*))?")
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")
MAKE_TARGET = re.compile(r"^([A-Za-z0-9_.-]+)[ \t]*:(?!=)", re.MULTILINE)
# A code span naming a file or folder of the repository, like `skills_hub/errors.py` or `tests/browser/`.
REPO_PATH = re.compile(r"^(?:skills_hub|tests|content|benchmarks|migrations|templates|docs|\.ci)/[\w./-]*$")


def markdown_read_by_people() -> list[Path]:
    return [README, *sorted(DOCS_DIR.glob("*.md")), ROOT / "content" / "courses" / "README.md"]


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT))


def without_code(text: str) -> str:
    """The text with fenced blocks and code spans blanked out (line breaks kept, so line numbers still count)."""

    def blank(match: re.Match) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    return CODE_SPAN.sub(blank, FENCED_BLOCK.sub(blank, text))


def code_snippets(text: str) -> Iterator[tuple[int, str, bool]]:
    """(line number, code, inline?) for every line of a fenced block and every code span."""
    for block in FENCED_BLOCK.finditer(text):
        first = text.count("\n", 0, block.start()) + 1
        for offset, line in enumerate(block.group(0).splitlines()[1:-1], start=1):
            yield first + offset, line, False
    for span in CODE_SPAN.finditer(FENCED_BLOCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)):
        yield text.count("\n", 0, span.start()) + 1, " ".join(span.group(2).split()), True


def line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def github_anchors(path: Path) -> set[str]:
    """The anchors GitHub makes for a Markdown file's headings: lower case, punctuation dropped, spaces to hyphens,
    a repeated heading numbered -1, -2, …"""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for heading in HEADING.finditer(FENCED_BLOCK.sub("", path.read_text(encoding="utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def test_the_readme_stays_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines (at most {README_MAX_LINES}): move the detail into docs/ and link it.")


def test_every_relative_link_in_the_docs_points_to_something_that_exists():
    broken = []
    for path in markdown_read_by_people():
        text = path.read_text(encoding="utf-8")
        for link in LINK.finditer(without_code(text)):
            target = link.group(1)
            if SCHEME.match(target):
                continue  # http:, https:, mailto:
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            where = f"{shown(path)}:{line_of(text, link.start())}: {target}"
            if not linked.exists():
                broken.append(f"{where} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in github_anchors(linked):
                broken.append(f"{where} (no heading with that anchor in {shown(linked)})")
    assert not broken, "Links to nothing:\n" + "\n".join(broken)


def test_paths_named_in_the_docs_exist():
    missing = []
    for path in markdown_read_by_people():
        for line, code, inline in code_snippets(path.read_text(encoding="utf-8")):
            if inline and REPO_PATH.match(code) and not (ROOT / code).exists():
                missing.append(f"{shown(path)}:{line}: {code}")
    assert not missing, "Paths in the docs that are not in the repository:\n" + "\n".join(missing)


def repository_files() -> list[Path]:
    """Files in git (tracked, and new ones not ignored), or the tree without the virtualenv and the like."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
        return sorted({ROOT / name for name in listed if name})
    except (OSError, subprocess.CalledProcessError):
        skipped = {".git", ".venv", "instance", "__pycache__", ".pytest_cache", ".ruff_cache", "node_modules"}
        return sorted(path for path in ROOT.rglob("*")
                      if path.is_file() and not skipped & set(path.relative_to(ROOT).parts))


def test_nothing_outside_docs_cites_the_design_notes_outside_the_repository():
    """The repository stands alone: the API contract and the writing rules are in docs/api.md and
    docs/writing-courses.md, so nothing else may point at a folder or a file that only exists beside it."""
    found = []
    for path in repository_files():
        if path == THIS_FILE or DOCS_DIR in path.parents or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue  # fonts, images
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE_THE_REPOSITORY.search(line):
                found.append(f"{shown(path)}:{number}: {line.strip()}")
    assert not found, ("These lines cite design notes from outside the repository; point them at docs/api.md or "
                       "docs/writing-courses.md instead:\n" + "\n".join(found))


def test_every_make_target_in_the_docs_is_in_the_makefile():
    targets = set(MAKE_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))
    unknown = []
    for path in markdown_read_by_people():
        for line, code, _ in code_snippets(path.read_text(encoding="utf-8")):
            unknown += [f"{shown(path)}:{line}: make {name}" for name in MAKE.findall(code) if name not in targets]
    assert not unknown, "`make` targets the Makefile does not have:\n" + "\n".join(unknown)


def option_names(command: click.Command) -> set[str]:
    names = {"--help"}
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts, param.secondary_opts)
    return names


def test_every_flask_command_in_the_docs_exists(app):
    commands: dict[str, click.Command] = {
        command.name: command for command in (run_command, shell_command, routes_command) if command.name}
    commands.update(app.cli.commands)
    wrong = []
    for path in markdown_read_by_people():
        for line, code, _ in code_snippets(path.read_text(encoding="utf-8")):
            for found in FLASK.finditer(code):
                first, second = found.groups()
                command = commands.get(first)
                said = f"flask {first}"
                if isinstance(command, click.Group):
                    said += f" {second or ''}".rstrip()
                    command = command.commands.get(second or "")
                if command is None:
                    wrong.append(f"{shown(path)}:{line}: {said} (no such command)")
                    continue
                rest = code[found.end():].split(" #")[0]
                end = re.search(r"\bflask[ \t]", rest)
                rest = rest[:end.start()] if end else rest
                wrong += [f"{shown(path)}:{line}: {said} {option} (no such option)"
                          for option in OPTION.findall(rest) if option not in option_names(command)]
    assert not wrong, "Commands in the docs that the app does not have:\n" + "\n".join(wrong)


def test_the_readme_shows_the_sign_ins_that_flask_demo_load_prints():
    from skills_hub.demo import sign_ins_text

    printed = sign_ins_text()
    readme = README.read_text(encoding="utf-8")
    wanted = re.findall(r"[\w.+-]+@[\w.-]+", printed)
    wanted += re.findall(r"password for all: ([\w-]+)", printed)
    wanted += [" ".join(pair) for pair in re.findall(r"learner number (\S+), PIN (\S+)", printed)]
    assert len(wanted) >= 3, f"cannot read the demo sign-ins from: {printed}"
    readme_words = " ".join(readme.replace("`", "").replace(", PIN", "").split())
    missing = [sign_in for sign_in in wanted if sign_in not in readme_words]
    assert not missing, f"README.md's demo sign-ins lack {missing}; `flask demo load` prints:\n{printed}"
