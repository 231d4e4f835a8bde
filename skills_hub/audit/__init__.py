"""The audit log: who saw or changed personal data."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, handlers=("lifecycle",), models="models")
