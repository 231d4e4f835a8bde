"""The one list of domains. Each domain package says what it brings in its `__init__.py` (`DOMAIN = Domain(...)`):
its blueprints, its `flask` command group, the modules that connect its signal handlers, job handlers and ticks,
and its models. `create_app`, the migrations and the tests walk this list, so nothing is registered by hand
anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any

# In the order their blueprints are registered and their handlers connected (signal handlers run in this order).
DOMAINS = ("health", "pages", "accounts", "audit", "jobs", "courses", "learning", "certificates", "directory",
           "referrals", "outreach", "imports", "reports", "dataprotection", "staff", "admin", "openapi")


@dataclass(frozen=True)
class Domain:
    package: str  # the package's __name__
    blueprints: tuple[str, ...] = ()  # modules of the package that define `bp`
    cli: str | None = None  # "module:attribute" of its `flask` command group
    handlers: tuple[str, ...] = ()  # modules whose import connects signal and job handlers and ticks
    models: str | None = None  # the module holding its tables

    def module(self, name: str) -> ModuleType:
        return import_module(name if name.startswith("skills_hub.") else f"{self.package}.{name}")

    def load(self) -> None:
        """Import what registers itself: models, then handlers (signals, jobs, ticks), then the command group."""
        for name in ((self.models,) if self.models else ()) + self.handlers:
            self.module(name)
        self.command_group()

    def blueprint_objects(self) -> list[Any]:
        return [self.module(name).bp for name in self.blueprints]

    def command_group(self) -> Any | None:
        if self.cli is None:
            return None
        module, attribute = self.cli.split(":")
        return getattr(self.module(module), attribute)


def all_domains() -> list[Domain]:
    """Every domain, loaded (so its models, handlers and ticks are registered)."""
    found = []
    for name in DOMAINS:
        domain: Domain = import_module(f"skills_hub.{name}").DOMAIN
        domain.load()
        found.append(domain)
    return found


# Tables that belong to no one domain: stored files (certificate PDFs and credentials).
SHARED_MODELS = ("skills_hub.storage",)


def import_models() -> None:
    """Import every domain's models (for migrations and the tests that walk the tables)."""
    for name in SHARED_MODELS:
        import_module(name)
    all_domains()
