"""Every domain's models, imported in one place for migrations and tests."""

from skills_hub.accounts.models import ApiToken, Branch, BranchMember, Consent, OneTimeLink, Organisation, User
from skills_hub.audit.models import AuditEvent
from skills_hub.certificates.models import Certificate, CertificateEvent
from skills_hub.courses.models import Course, Lesson
from skills_hub.dataprotection.models import DeletionRequest
from skills_hub.directory.models import Location, Schedule, Service, ServiceLocation
from skills_hub.imports.models import LearnerImport
from skills_hub.jobs.models import Job
from skills_hub.learning.models import CheckAttempt, Enrolment, LessonProgress, ProgressEvent, SkillsCheck
from skills_hub.outreach.models import Attendance, SuspectedDuplicate, SyncOperation
from skills_hub.referrals.models import Referral, ReferralEvent, SharingPermission
from skills_hub.storage import StoredFile

__all__ = ["ApiToken", "Attendance", "AuditEvent", "Branch", "BranchMember", "Certificate", "CertificateEvent",
           "CheckAttempt", "Consent", "Course", "DeletionRequest", "Enrolment", "Job", "LearnerImport", "Lesson",
           "LessonProgress", "Location", "OneTimeLink", "Organisation", "ProgressEvent", "Referral", "ReferralEvent",
           "Schedule", "Service", "ServiceLocation", "SharingPermission", "SkillsCheck", "StoredFile",
           "SuspectedDuplicate", "SyncOperation", "User"]
