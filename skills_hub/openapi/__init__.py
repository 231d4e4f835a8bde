"""The OpenAPI document of the JSON API, built from every endpoint's schemas."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views",))
