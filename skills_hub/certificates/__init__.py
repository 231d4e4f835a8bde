"""Certificates: issued on completion as PDFs and Open Badges credentials, verified by anyone."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"), cli="cli:certificates_cli", handlers=("lifecycle", "pdf"),
                models="models")
