"""The reports page (charts and tables, no JavaScript) and its CSV downloads."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from marshmallow import ValidationError

from skills_hub.accounts import policy
from skills_hub.accounts.models import Branch, Role
from skills_hub.eds import EDS_AREAS
from skills_hub.exports import csv_response
from skills_hub.extensions import db
from skills_hub.reports import charts, services
from skills_hub.reports.schemas import ReportQuery
from skills_hub.validation import flatten_errors

bp = Blueprint("reports", __name__)
reporting = policy.page_for(Role.STAFF, Role.ADMIN)
TITLES = {"by_month": "By month", "by_branch": "By library", "by_district": "By postcode area",
          "by_eds_area": "By skill area", "referrals_by_status": "Referrals by status"}
KEY_NAMES = {"by_month": "Month", "by_branch": "Library", "by_district": "Postcode area",
             "by_eds_area": "Skill area"}
COLUMNS = {"learners": "Residents registered", "enrolments": "Courses started", "completions": "Courses completed",
           "completions_assisted": "Completed with a helper", "certificates": "Certificates",
           "attendances": "Visits to outreach sessions"}
# By skill area, "learners" counts the residents who started a course in the area (each once, however many of
# its courses they started), and outreach visits belong to no area.
AREA_COLUMNS = {"learners": "Residents who started a course", "enrolments": "Courses started",
                "completions": "Courses completed", "completions_assisted": "Completed with a helper",
                "certificates": "Certificates"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
NOTES = {
    "by_month": "Each row counts what happened in that month.",
    "by_branch": "A resident who belongs to two libraries counts in both.",
    "by_district": "A postcode area is the first part of a resident's postcode, like M13.",
    "by_eds_area": "A course can cover more than one skill area, so it counts in each of them. A resident counts "
                   "once in an area, however many of its courses they started. Outreach sessions are not in "
                   "this table, because they are not about one skill area.",
}
COMPLETED = [charts.Series("completions_assisted", "Completed with a helper", "with a helper"),
             charts.Series("completions_alone", "Completed alone", "alone")]


def columns_of(breakdown: str) -> dict[str, str]:
    """The figures shown for a breakdown, with their headings (the page adds "Completed alone")."""
    return AREA_COLUMNS if breakdown == "by_eds_area" else COLUMNS


def month_name(key: str) -> str:
    """"2026-06" as "June 2026"."""
    year, month = key.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def _query() -> tuple[dict | None, list]:
    raw = {key: value for key, value in request.args.items() if value}
    try:
        return ReportQuery().load(raw), []
    except ValidationError as error:
        return None, flatten_errors(error.messages)


def _scope(query: dict) -> services.Scope:
    try:
        return services.scope_for(current_user, query["start"], query["end"], query["branch"])
    except LookupError:
        abort(404)


def _branches() -> list[Branch]:
    if current_user.role == Role.ADMIN:
        return list(db.session.scalars(db.select(Branch).order_by(Branch.name)))
    ids = policy.branch_ids_of(current_user)
    return list(db.session.scalars(db.select(Branch).where(Branch.id.in_(ids)).order_by(Branch.name)))


def completed_alone(done: int | str, helped: int | str) -> int | str:
    """Courses completed without a helper, from the two suppressed counts, without giving away a hidden one:
    when only the number with a helper is hidden (1 to 4), the number alone is shown as the range it must be in."""
    if isinstance(done, int) and isinstance(helped, int):
        return services.shown(done - helped)
    if done == 0:
        return 0
    if done == "<5" or done <= services.SUPPRESS_BELOW:
        return "<5"
    return f"{max(done - 4, 0)} to {done - 1}"


@bp.get("/reports")
@reporting
def reports_page():
    query, errors = _query()
    values = {key: value for key, value in request.args.items()}
    if errors:
        return render_template("reports/reports.html", errors=errors, values=values, figures=None,
                               branches=_branches()), 422
    scope = _scope(query)
    figures = services.summary(scope)
    for breakdown in services.BREAKDOWNS:
        for row in figures["breakdowns"][breakdown]:
            row["completions_alone"] = completed_alone(row["completions"], row["completions_assisted"])
            if breakdown == "by_eds_area":
                row["key"] = EDS_AREAS.get(row["key"], row["key"])
            elif breakdown == "by_month":
                row["key"] = month_name(row["key"])
    for row in figures["breakdowns"]["referrals_by_status"]:
        row["key"] = row["key"].replace("_", " ").capitalize()
    chart_rows = {name: charts.bar_chart(f"Courses completed, {TITLES[name].lower()}", figures["breakdowns"][name],
                                         COMPLETED) for name in services.BREAKDOWNS}
    chart_rows["referrals_by_status"] = charts.bar_chart("Referrals by status",
                                                         figures["breakdowns"]["referrals_by_status"],
                                                         [charts.Series("referrals", "Referrals")])
    skills = services.skills_change(scope)
    return render_template("reports/reports.html", errors=[], values=values, figures=figures, charts=chart_rows,
                           titles=TITLES, key_names=KEY_NAMES, columns={name: columns_of(name) for name in TITLES},
                           notes=NOTES, in_words=charts.shown, branches=_branches(), scope=scope, skills=skills,
                           skills_compared=any(row["people"] != 0 for row in skills),
                           outcomes=services.referral_outcomes(scope))


@bp.get("/reports/<breakdown>.csv")
@reporting
def report_csv(breakdown: str):
    if breakdown not in TITLES:
        abort(404)
    query, errors = _query()
    if errors:
        abort(422)
    figures = services.summary(_scope(query))
    rows = figures["breakdowns"][breakdown]
    if breakdown == "referrals_by_status":
        header, keys = ["Status", "Referrals"], ["key", "referrals"]
    else:
        columns = columns_of(breakdown)
        header, keys = [KEY_NAMES[breakdown], *columns.values()], ["key", *columns]
    name = f"skills-hub-{breakdown}-{figures['period']['from']}-to-{figures['period']['to']}.csv"
    return csv_response(header, [[row[key] for key in keys] for row in rows], name)
