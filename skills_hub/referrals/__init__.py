"""Referrals to local providers: permission to share, the lifecycle, deadlines and outcomes."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"), cli="cli:referrals_cli", handlers=("lifecycle", "permissions"),
                models="models")
