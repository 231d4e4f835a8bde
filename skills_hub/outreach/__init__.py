"""Outreach: the offline staff page, the sync API it sends through, attendance, and suspected duplicates."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"), handlers=("lifecycle",), models="models")
