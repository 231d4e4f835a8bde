"""Health and readiness checks for load balancers and monitors, and `flask doctor` for people."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views",), cli="cli:doctor")
