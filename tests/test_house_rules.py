"""House rules that the linters do not check: only entry points commit.

A request, a command or a job is one transaction: services flush and the page, endpoint, command or job runner
that called them commits, so "complete the last lesson → issue the certificate → queue the email" happens
whole or not at all. (The module graph is checked by `lint-imports`, request context and private access by
ruff; `make lint` runs both.)
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "skills_hub"
# Entry points: pages, endpoints, commands, the job runner and worker, the sign-in layer, and the demo loader.
ENTRY_POINTS = {"views.py", "api.py", "cli.py"}
ENTRY_MODULES = {"jobs/services.py", "jobs/worker.py", "accounts/sessions.py", "demo.py"}


def commits_outside_entry_points(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if path.name in ENTRY_POINTS or relative in ENTRY_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
                receiver = ast.unparse(node.func.value)
                if receiver != "savepoint":  # a nested transaction's savepoint, not the request's transaction
                    found.append(f"{relative}:{node.lineno}: {receiver}.commit()")
    return found


def test_only_entry_points_commit():
    assert commits_outside_entry_points(PACKAGE) == []


def test_the_check_finds_a_commit_in_a_service(tmp_path):
    (tmp_path / "loans").mkdir()
    (tmp_path / "loans" / "services.py").write_text("def lend(db):\n    db.session.commit()\n")
    (tmp_path / "loans" / "views.py").write_text("def page(db):\n    db.session.commit()\n")
    assert commits_outside_entry_points(tmp_path) == ["loans/services.py:2: db.session.commit()"]
