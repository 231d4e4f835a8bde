"""Admin pages: users, places, the audit log, jobs (composing several domains)."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views",))
