"""Accounts: residents, staff, providers and admins; branches and organisations; signing in."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"), cli="cli:users_cli", handlers=("lifecycle", "sessions"),
                models="models")
