"""Data protection (UK GDPR): subject-access export, erasure, deletion requests and retention."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"), cli="cli:data_cli", handlers=("lifecycle",), models="models")
