"""Every domain's models, imported in one place for migrations and tests."""

from skills_hub.accounts.models import Branch, BranchMember, Organisation, User
from skills_hub.courses.models import Course, Lesson
from skills_hub.jobs.models import Job

__all__ = ["Branch", "BranchMember", "Course", "Job", "Lesson", "Organisation", "User"]
