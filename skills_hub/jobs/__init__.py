"""Background work through one job table (an outbox), the email it sends, and periodic ticks."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, cli="cli:jobs_cli", handlers=("skills_hub.mail",), models="models")
