"""What the learning domain lets people do."""

from skills_hub.accounts.models import Role
from skills_hub.accounts.policy import action

RECORD_LEARNING = action("enrol this resident and record their progress", Role.STAFF, Role.ADMIN, Role.LEARNER,
                         changes_the_record=True)
RECORD_ON_PAPER = action("record a course completed on paper", Role.ADMIN, changes_the_record=True)
