"""Health and readiness checks for load balancers and monitors."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views",))
