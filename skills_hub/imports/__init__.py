"""Bulk registration from sign-up sheets typed into a spreadsheet (CSV)."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"), cli="cli:learners_cli", handlers=("lifecycle",),
                models="models")
