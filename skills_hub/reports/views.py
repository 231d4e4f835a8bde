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
           "attendances": "At outreach sessions"}


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


def _alone(row: dict) -> int | str:
    done, helped = row["completions"], row["completions_assisted"]
    if isinstance(done, int) and isinstance(helped, int):
        return services.shown(done - helped)
    return "<5" if done != 0 else 0


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
            row["completions_alone"] = _alone(row)
            if breakdown == "by_eds_area":
                row["key"] = EDS_AREAS.get(row["key"], row["key"])
    chart_series = [("completions_assisted", "Completed with a helper"), ("completions_alone", "Completed alone")]
    chart_rows = {name: charts.bar_chart(f"Courses completed, {TITLES[name].lower()}", figures["breakdowns"][name],
                                         chart_series) for name in services.BREAKDOWNS}
    chart_rows["referrals_by_status"] = charts.bar_chart("Referrals by status",
                                                         figures["breakdowns"]["referrals_by_status"],
                                                         [("referrals", "Referrals")])
    return render_template("reports/reports.html", errors=[], values=values, figures=figures, charts=chart_rows,
                           titles=TITLES, columns=COLUMNS, branches=_branches(), scope=scope,
                           skills=services.skills_change(scope), outcomes=services.referral_outcomes(scope))


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
        header, keys = [KEY_NAMES[breakdown], *COLUMNS.values()], ["key", *COLUMNS]
    name = f"skills-hub-{breakdown}-{figures['period']['from']}-to-{figures['period']['to']}.csv"
    return csv_response(header, [[row[key] for key in keys] for row in rows], name)
