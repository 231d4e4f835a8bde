"""Staff pages: the library's residents, one resident's page, print packs (composing several domains)."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views",))
