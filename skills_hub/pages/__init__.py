"""Pages that belong to no domain: the home page and the help pages."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views",))
