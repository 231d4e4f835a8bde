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


def test_every_domain_package_is_in_the_one_list_and_brings_all_its_blueprints(app):
    import importlib

    from skills_hub.domains import DOMAINS

    packages = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))
    assert sorted(DOMAINS) == packages, "add the package to skills_hub/domains.py DOMAINS"
    registered = set(app.blueprints)
    for name in packages:
        domain = importlib.import_module(f"skills_hub.{name}").DOMAIN
        for module_path in sorted((PACKAGE / name).glob("*.py")):
            source = module_path.read_text()
            if "\nbp = Blueprint(" in source:
                assert module_path.stem in domain.blueprints, f"{name}/{module_path.name} defines bp: list it"
        for blueprint in domain.blueprint_objects():
            assert blueprint.name in registered


def test_every_tick_and_job_handler_in_the_code_is_registered_by_the_domain_list(app):
    from skills_hub.jobs.services import HANDLERS, TICKS

    in_code = {"periodic": set(), "job_handler": set()}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in in_code \
                    and node.args and isinstance(node.args[0], ast.Constant):
                in_code[node.func.id].add(node.args[0].value)
    assert in_code["periodic"] <= set(TICKS) and in_code["periodic"]
    assert {kind for kind in in_code["job_handler"] if isinstance(kind, str)} <= set(HANDLERS)
