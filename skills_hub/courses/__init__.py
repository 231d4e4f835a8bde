"""The course catalogue, from the files in content/courses/."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"), cli="cli:courses_cli", handlers=("audio",), models="models")
