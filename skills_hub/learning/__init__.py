"""Learning: enrolments, lessons done, knowledge checks, completion, and skills checks."""

from skills_hub.domains import Domain

DOMAIN = Domain(__name__, blueprints=("views", "api"), handlers=("lifecycle", "permissions", "skills"),
                models="models")
