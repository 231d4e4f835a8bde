"""Programme reports: figures by month, branch, postcode district and skill area, with small numbers suppressed."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"))
