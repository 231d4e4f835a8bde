"""What the data-protection domain lets people do."""

from skills_hub.accounts.models import Role
from skills_hub.accounts.policy import action

ERASE_LEARNER = action("erase a resident's data", Role.ADMIN)
DECIDE_DELETIONS = action("decide requests to delete an account", Role.ADMIN)
