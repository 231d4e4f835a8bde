"""`GET /api/v1/reports/summary`: the programme's figures, small numbers suppressed."""

from __future__ import annotations

from flask import Blueprint
from marshmallow import Schema, fields

from skills_hub.accounts.api import signed_in
from skills_hub.accounts.models import Role
from skills_hub.endpoints import api_endpoint
from skills_hub.errors import Forbidden, NotFound
from skills_hub.reports import services
from skills_hub.reports.schemas import ReportQuery

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")


class SummaryOut(Schema):
    period = fields.Dict()
    totals = fields.Dict(metadata={"description": "learners, enrolments, completions, certificates, referrals, "
                                                 "attendances: an integer, or \"<5\" for 1 to 4"})
    rounded_totals = fields.List(fields.String(), metadata={"description": "Totals rounded to the nearest 5 "
                                                                           "because a count in a breakdown is "
                                                                           "suppressed"})
    breakdowns = fields.Dict(metadata={"description": "by_month, by_branch, by_district, by_eds_area, "
                                                      "referrals_by_status"})


def scope_of(query: dict) -> services.Scope:
    actor = signed_in()
    if actor.role not in (Role.STAFF, Role.ADMIN):
        raise Forbidden("Reports are for library staff and the programme team.")
    try:
        return services.scope_for(actor, query["start"], query["end"], query["branch"])
    except LookupError:
        raise NotFound("There is no branch with this id that you can report on.") from None


@api_endpoint(bp, "/reports/summary", summary="The programme's figures for a period: totals and breakdowns by "
              "month, branch, postcode district, skill area and referral status. Counts of 1 to 4 show as \"<5\".",
              query=ReportQuery(), response=SummaryOut(), errors=(401, 403, 404, 422))
def summary(query: dict):
    return services.summary(scope_of(query))
