"""What the certificates domain lets people do."""

from skills_hub.accounts.models import Role
from skills_hub.accounts.policy import action

CHANGE_CERTIFICATES = action("revoke, reinstate or re-issue certificates", Role.ADMIN)
FIND_CERTIFICATES = action("find certificates by code or name", Role.ADMIN)
