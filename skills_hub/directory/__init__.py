"""The directory of local training providers (Open Referral UK) and searching it."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"), cli="cli:directory_cli", models="models")
