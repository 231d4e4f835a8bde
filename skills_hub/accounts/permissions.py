"""What the accounts domain lets people do: register, find and change residents, and manage accounts."""

from skills_hub.accounts.models import Role
from skills_hub.accounts.policy import action

STAFF, ADMIN, LEARNER = Role.STAFF, Role.ADMIN, Role.LEARNER

REGISTER_LEARNER = action("register a resident", STAFF, ADMIN)
FIND_LEARNER = action("look up a resident by learner number, or by name and date of birth", STAFF, ADMIN)
SEARCH_LEARNERS = action("search residents", STAFF, ADMIN)
LINK_LEARNER = action("link a resident to your branch", STAFF, ADMIN, changes_the_record=True)
VIEW_LEARNER = action("see this resident's details", STAFF, ADMIN, LEARNER)
EDIT_LEARNER = action("change this resident's details", STAFF, ADMIN, changes_the_record=True)
RESET_PIN = action("reset this resident's PIN", STAFF, ADMIN, changes_the_record=True)
PRINT_CARD = action("print this resident's login card", STAFF, ADMIN, changes_the_record=True)
READ_AUDIT = action("read the audit log", ADMIN)
MANAGE_ACCOUNTS = action("manage branches, organisations and users", ADMIN)
