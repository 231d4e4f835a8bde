"""Every table, for migrations and tests: importing this module loads every domain's models (from the domain list)."""

from skills_hub.domains import import_models

import_models()
