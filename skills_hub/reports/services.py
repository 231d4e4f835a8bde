"""The programme's figures: SQL aggregates over a period, by month, branch, postcode district and skill area.

Every figure is a GROUP BY in the database (one query per kind and breakdown, whatever the number of residents).
Small numbers are suppressed before anything leaves this module: a count of 1 to 4 becomes "<5", and where any
count of a kind is suppressed in a breakdown, that kind's total is rounded to the nearest 5 (so the hidden value
cannot be worked out by subtraction) and named in `rounded_totals`.

What is counted in a period (dates inclusive, UTC):
- learners: residents registered (not merged into another record, not waiting as a suspected duplicate);
- enrolments: courses started; completions: courses completed, and completions_assisted those where a helper
  recorded or helped with at least one lesson;
- certificates: certificates earned and still standing: valid ones, and those withdrawn when their holder's
  data was erased (erasure changes no figure); not revoked ones, and a re-issue counts once, as its valid copy;
- attendances: residents at outreach sessions; referrals: referrals made, and by their status now.
A resident registered with two libraries counts in each library's row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, String, Uuid, case, distinct, exists, func, literal, select, union_all

from skills_hub.accounts import policy
from skills_hub.accounts.models import Branch, BranchMember, Role, User
from skills_hub.certificates.models import Certificate
from skills_hub.courses.models import Course
from skills_hub.eds import EDS_AREAS
from skills_hub.extensions import db
from skills_hub.learning import skills
from skills_hub.learning.models import Enrolment, LessonProgress, SkillsCheck
from skills_hub.outreach.models import Attendance
from skills_hub.referrals.models import Referral

KINDS = ("learners", "enrolments", "completions", "completions_assisted", "certificates", "attendances")
BREAKDOWNS = ("by_month", "by_branch", "by_district", "by_eds_area")
SUPPRESS_BELOW = 5
COUNTED_CERTIFICATES = ("valid", "withdrawn")


@dataclass(frozen=True)
class Scope:
    start: date
    end: date  # inclusive
    branch_ids: tuple[uuid.UUID, ...] | None  # None: every branch, and residents with none (admins only)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, UTC)

    @property
    def before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)


def scope_for(actor: User, start: date, end: date, branch_id: uuid.UUID | None) -> Scope:
    """Admins see the whole programme or one branch; staff their own branches (or one of them). A branch the
    actor may not report on is treated as unknown (404 in the caller)."""
    if actor.role == Role.ADMIN:
        if branch_id is not None and db.session.get(Branch, branch_id) is None:
            raise LookupError(branch_id)
        return Scope(start, end, (branch_id,) if branch_id else None)
    own = tuple(policy.branch_ids_of(actor))
    if branch_id is not None:
        if branch_id not in own:
            raise LookupError(branch_id)
        return Scope(start, end, (branch_id,))
    return Scope(start, end, own)


# The rows each kind counts: (learner id, when, course id or None) ------------------------------------------------

def _assisted(learner_id, course_id):
    return exists().where(LessonProgress.learner_id == learner_id, LessonProgress.course_id == course_id,
                          LessonProgress.assisted.is_(True))


def _rows(kind: str, scope: Scope) -> Select:
    if kind == "learners":
        query = select(User.id.label("learner_id"), User.created_at.label("at"), literal(None).label("course_id")) \
            .where(User.role == Role.LEARNER, User.merged_into_id.is_(None), User.held_for_review.is_(False),
                   User.created_at >= scope.since, User.created_at < scope.before)
    elif kind == "enrolments":
        query = select(Enrolment.learner_id, Enrolment.enrolled_at.label("at"), Enrolment.course_id) \
            .where(Enrolment.enrolled_at >= scope.since, Enrolment.enrolled_at < scope.before)
    elif kind in ("completions", "completions_assisted"):
        query = select(Enrolment.learner_id, Enrolment.completed_at.label("at"), Enrolment.course_id) \
            .where(Enrolment.completed_at >= scope.since, Enrolment.completed_at < scope.before)
        if kind == "completions_assisted":
            query = query.where(_assisted(Enrolment.learner_id, Enrolment.course_id))
    elif kind == "certificates":
        query = select(Certificate.learner_id, Certificate.awarded_at.label("at"), Certificate.course_id) \
            .where(Certificate.status.in_(COUNTED_CERTIFICATES), Certificate.awarded_at >= scope.since,
                   Certificate.awarded_at < scope.before)
    elif kind == "attendances":
        query = select(Attendance.learner_id, Attendance.session_date.label("at"), literal(None).label("course_id")) \
            .where(Attendance.session_date >= scope.start, Attendance.session_date <= scope.end)
    elif kind == "referrals":
        query = select(Referral.learner_id, Referral.created_at.label("at"), literal(None).label("course_id"),
                       Referral.status) \
            .where(Referral.created_at >= scope.since, Referral.created_at < scope.before)
    else:
        raise ValueError(kind)
    if scope.branch_ids is not None:
        learner = query.selected_columns[0]
        query = query.where(exists().where(BranchMember.user_id == learner,
                                           BranchMember.branch_id.in_(scope.branch_ids)))
    return query


def _month(column) -> Any:
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _district(postcode) -> Any:
    """The outcode: what is before the space in a stored postcode ("M13 9PL" → "M13"; an erased "M13" stays)."""
    if db.engine.dialect.name == "postgresql":
        return func.split_part(postcode, " ", 1)
    position = func.instr(postcode, " ")
    return case((position > 0, func.substr(postcode, 1, position - 1)), else_=postcode)


def _counts(kind: str, scope: Scope) -> dict[str, dict[str, int]]:
    """One kind's counts by month, district, course and in total, from one GROUP BY over (month, district,
    course); and by branch from a second (a resident of two libraries counts in each, so branches are apart)."""
    rows = _rows(kind, scope).subquery()
    month, district = _month(rows.c.at), func.coalesce(_district(User.postcode), "Not given")
    fine = select(month, district, rows.c.course_id, func.count()).select_from(rows) \
        .join(User, User.id == rows.c.learner_id).group_by(month, district, rows.c.course_id)
    out: dict[str, dict[str, int]] = {"by_month": defaultdict(int), "by_district": defaultdict(int),
                                      "by_course": defaultdict(int), "total": defaultdict(int)}
    for month_key, district_key, course_id, count in db.session.execute(fine):
        out["by_month"][month_key] += count
        out["by_district"][district_key or "Not given"] += count
        if course_id is not None:
            out["by_course"][str(course_id)] += count
        out["total"]["total"] += count
    by_branch = select(Branch.name, func.count()).select_from(rows) \
        .join(BranchMember, BranchMember.user_id == rows.c.learner_id) \
        .join(Branch, Branch.id == BranchMember.branch_id).group_by(Branch.name)
    if scope.branch_ids is not None:
        by_branch = by_branch.where(BranchMember.branch_id.in_(scope.branch_ids))
    out["by_branch"] = dict(db.session.execute(by_branch).all())
    return out


def _by_status(scope: Scope) -> dict[str, int]:
    rows = _rows("referrals", scope).subquery()
    return dict(db.session.execute(select(rows.c.status, func.count()).group_by(rows.c.status)).all())


def _by_eds_area(kind: str, scope: Scope, counts: dict[str, dict[str, int]],
                 areas_of: dict[str, list[str]]) -> dict[str, int]:
    """Per skill area: counts of the courses in that area (a course in two areas counts in both). Learners are
    counted once per area (those who started a course in it), in one query; attendances belong to no area."""
    if kind == "attendances":
        return {}
    if kind == "learners":
        pairs = [(course_id, area) for course_id, areas in areas_of.items() for area in areas]
        if not pairs:
            return {}
        area_of = union_all(*[select(literal(uuid.UUID(course_id), Uuid).label("course_id"),
                                     literal(area, String).label("area")) for course_id, area in pairs]) \
            .subquery("area_of")
        rows = _rows("enrolments", scope).subquery()
        query = select(area_of.c.area, func.count(distinct(rows.c.learner_id))) \
            .join(area_of, area_of.c.course_id == rows.c.course_id).group_by(area_of.c.area)
        return dict(db.session.execute(query).all())
    totals: dict[str, int] = defaultdict(int)
    for course_id, count in counts[kind]["by_course"].items():
        for area in areas_of.get(course_id, []):
            totals[area] += count
    return dict(totals)


# Suppression ----------------------------------------------------------------------------------------------------

def shown(count: int) -> int | str:
    return "<5" if 0 < count < SUPPRESS_BELOW else count


def rounded(count: int) -> int:
    return int(count / 5 + 0.5) * 5


def summary(scope: Scope) -> dict:
    """The figures of `GET /api/v1/reports/summary`, already suppressed."""
    areas_of = {str(course.id): list(course.eds_areas) for course in db.session.scalars(select(Course))}
    counts = {kind: _counts(kind, scope) for kind in KINDS}
    statuses = _by_status(scope)
    raw_totals = {kind: counts[kind]["total"].get("total", 0) for kind in KINDS}
    raw_totals["referrals"] = sum(statuses.values())
    breakdowns: dict[str, list[dict]] = {}
    suppressed_kinds: set[str] = set()
    for breakdown in BREAKDOWNS:
        per_kind = {kind: (_by_eds_area(kind, scope, counts, areas_of) if breakdown == "by_eds_area"
                           else counts[kind][breakdown]) for kind in KINDS}
        keys = {key for found in per_kind.values() for key in found}
        if breakdown == "by_eds_area":
            ordered = [area for area in EDS_AREAS if area in keys] + sorted(keys - set(EDS_AREAS))
        else:
            ordered = sorted(keys)
        rows = []
        for key in ordered:
            row: dict[str, Any] = {"key": key}
            for kind in KINDS:
                row[kind] = shown(per_kind[kind].get(key, 0))
                if row[kind] == "<5":
                    suppressed_kinds.add(kind)
            rows.append(row)
        breakdowns[breakdown] = rows
    breakdowns["referrals_by_status"] = [{"key": status, "referrals": shown(count)}
                                         for status, count in sorted(statuses.items())]
    if any(row["referrals"] == "<5" for row in breakdowns["referrals_by_status"]):
        suppressed_kinds.add("referrals")
    totals: dict[str, int | str] = {}
    rounded_totals = []
    for kind, count in raw_totals.items():
        if 0 < count < SUPPRESS_BELOW:
            totals[kind] = "<5"
        elif kind in suppressed_kinds:
            totals[kind] = rounded(count)
            rounded_totals.append(kind)
        else:
            totals[kind] = count
    return {"period": {"from": scope.start.isoformat(), "to": scope.end.isoformat()}, "totals": totals,
            "rounded_totals": rounded_totals, "breakdowns": breakdowns}


def skills_change(scope: Scope) -> list[dict]:
    """Per skill area: the average confidence (1 to 4) at residents' first and latest skills checks, for residents
    whose latest check falls in the period and who took at least two; fewer than 5 people shows nothing."""
    checks = select(SkillsCheck.learner_id, SkillsCheck.answers, SkillsCheck.taken_at)
    if scope.branch_ids is not None:
        checks = checks.where(exists().where(BranchMember.user_id == SkillsCheck.learner_id,
                                             BranchMember.branch_id.in_(scope.branch_ids)))
    first: dict[uuid.UUID, tuple] = {}
    latest: dict[uuid.UUID, tuple] = {}
    for learner_id, answers, taken_at in db.session.execute(checks.order_by(SkillsCheck.taken_at)):
        first.setdefault(learner_id, (taken_at, answers))
        latest[learner_id] = (taken_at, answers)
    people = [learner for learner in latest if latest[learner][0] != first[learner][0]
              and scope.since <= _aware(latest[learner][0]) < scope.before]
    rows = []
    for area, label in EDS_AREAS.items():
        before = [skills.area_scores(first[p][1]).get(area) for p in people]
        after = [skills.area_scores(latest[p][1]).get(area) for p in people]
        pairs = [(b, a) for b, a in zip(before, after, strict=True) if b is not None and a is not None]
        if len(pairs) < SUPPRESS_BELOW:
            rows.append({"area": area, "label": label, "people": shown(len(pairs)), "before": None, "after": None})
        else:
            rows.append({"area": area, "label": label, "people": len(pairs),
                         "before": round(sum(b for b, _ in pairs) / len(pairs), 1),
                         "after": round(sum(a for _, a in pairs) / len(pairs), 1)})
    return rows


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def referral_outcomes(scope: Scope) -> list[dict]:
    """Closed referrals by outcome and reason (declined or not completed, and why), suppressed."""
    query = _rows("referrals", scope).with_only_columns(Referral.status, Referral.reason_code, func.count()) \
        .where(Referral.status.in_(("completed", "not_completed", "declined", "expired", "withdrawn"))) \
        .group_by(Referral.status, Referral.reason_code)
    return [{"status": status, "reason": reason or "", "referrals": shown(count)}
            for status, reason, count in sorted(db.session.execute(query).all(), key=lambda r: (r[0], r[1] or ""))]
