"""Programme reports: what is counted, small numbers suppressed, who sees which branches, CSV and the page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from skills_hub.accounts.models import Role, User
from skills_hub.courses.services import get_course
from skills_hub.extensions import db
from skills_hub.learning import services as learning
from skills_hub.learning.models import Enrolment
from skills_hub.outreach.models import Attendance

MARCH, APRIL = datetime(2026, 3, 10, 12, tzinfo=UTC), datetime(2026, 4, 10, 12, tzinfo=UTC)
PERIOD = "from=2026-01-01&to=2026-12-31"


@pytest.fixture
def seed(app, make_user, catalogue):
    """`people` residents of `branch` in `postcode`, registered at `when`, each starting a course; `completed` of
    them complete it (helped when `assisted`), and each came to an outreach session."""

    def add(branch, people: int, postcode: str = "M13 9PL", when: datetime = MARCH, completed: int = 0,
            assisted: bool = False, course: str = "using-email"):
        made = [make_user(Role.LEARNER, branches=[branch], postcode=postcode) for _ in range(people)]
        with app.app_context():
            the_course = get_course(course)
            for number, person in enumerate(made):
                learner = db.session.get(User, person.id)
                learner.created_at = when
                enrolment, _ = learning.enrol(learner, the_course)
                enrolment.enrolled_at = when
                if number < completed:
                    enrolment.completed_at = when
                    learning.lesson_done(learner.id, the_course.current_lessons[0], assisted=assisted, when=when)
                db.session.add(Attendance(learner_id=learner.id, branch_id=branch.id, session_date=when.date(),
                                          venue="Hall", recorded_by_id=learner.id))
            db.session.commit()
        return made

    return add


def _summary(client, bearer, user, query: str = PERIOD):
    response = client.get(f"/api/v1/reports/summary?{query}", headers=bearer(user))
    assert response.status_code == 200, response.json
    return response.json


def test_the_summary_counts_each_kind_by_month_branch_district_and_area(app, client, bearer, make_branch,
                                                                        make_user, seed):
    central, east = make_branch("Central"), make_branch("East")
    seed(central, 12, completed=6, assisted=True)
    seed(east, 7, postcode="OL1 3BE", when=APRIL, completed=5)
    report = _summary(client, bearer, make_user(Role.ADMIN))
    assert report["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    totals = report["totals"]
    assert (totals["learners"], totals["enrolments"], totals["completions"], totals["attendances"]) == (19, 19, 11,
                                                                                                       19)
    assert totals["completions_assisted"] == 6 and report["rounded_totals"] == []
    by_branch = {row["key"]: row for row in report["breakdowns"]["by_branch"]}
    assert by_branch["Central"]["learners"] == 12 and by_branch["East"]["completions"] == 5
    assert by_branch["East"]["completions_assisted"] == 0
    assert [row["key"] for row in report["breakdowns"]["by_month"]] == ["2026-03", "2026-04"]
    assert {row["key"]: row["learners"] for row in report["breakdowns"]["by_district"]} == {"M13": 12, "OL1": 7}
    areas = {row["key"]: row for row in report["breakdowns"]["by_eds_area"]}
    with app.app_context():
        expected = set(get_course("using-email").eds_areas)
    assert set(areas) == expected and all(row["enrolments"] == row["learners"] == 19 for row in areas.values())
    assert set(report["breakdowns"]["by_month"][0]) == {"key", "learners", "enrolments", "completions",
                                                        "completions_assisted", "certificates", "attendances"}


def test_counts_of_1_to_4_are_suppressed_and_their_totals_rounded(client, bearer, make_branch, make_user, seed):
    big, small = make_branch("Big"), make_branch("Small")
    seed(big, 21, completed=7)
    seed(small, 3, completed=1)
    report = _summary(client, bearer, make_user(Role.ADMIN))
    rows = {row["key"]: row for row in report["breakdowns"]["by_branch"]}
    assert rows["Small"]["learners"] == "<5" and rows["Small"]["completions"] == "<5"
    assert rows["Big"]["learners"] == 21
    assert report["totals"]["learners"] == 25 and report["totals"]["completions"] == 10  # 24 and 8, rounded
    assert {"learners", "completions"} <= set(report["rounded_totals"])
    assert report["totals"]["certificates"] == 0  # nothing suppressed, nothing rounded


def test_a_tiny_total_is_suppressed_itself(client, bearer, make_branch, make_user, seed):
    seed(make_branch(), 2)
    assert _summary(client, bearer, make_user(Role.ADMIN))["totals"]["learners"] == "<5"


def test_the_period_limits_every_count(client, bearer, make_branch, make_user, seed):
    branch = make_branch()
    seed(branch, 6, when=MARCH)
    seed(branch, 8, when=APRIL)
    report = _summary(client, bearer, make_user(Role.ADMIN), "from=2026-04-01&to=2026-04-30")
    assert report["totals"]["learners"] == 8 and report["totals"]["attendances"] == 8


def test_staff_see_their_own_branches_only(client, bearer, make_branch, staff_in, make_user, seed):
    central, east = make_branch("Central"), make_branch("East")
    seed(central, 6)
    seed(east, 9)
    staff = staff_in(central)
    report = _summary(client, bearer, staff)
    assert [row["key"] for row in report["breakdowns"]["by_branch"]] == ["Central"]
    assert report["totals"]["learners"] == 6
    assert client.get(f"/api/v1/reports/summary?branch={east.id}", headers=bearer(staff)).status_code == 404
    assert _summary(client, bearer, make_user(Role.ADMIN), f"{PERIOD}&branch={east.id}")["totals"]["learners"] == 9


@pytest.mark.parametrize("role", [Role.LEARNER, Role.PROVIDER])
def test_learners_and_providers_get_no_reports(client, bearer, make_user, login_as, role):
    user = make_user(role)
    assert client.get("/api/v1/reports/summary", headers=bearer(user)).status_code == 403
    login_as(user)
    assert client.get("/reports").status_code == 404


@pytest.mark.parametrize(("query", "field"), [("from=yesterday", "from"), ("to=2026-13-01", "to"),
                                              ("from=2026-05-01&to=2026-04-01", "from"), ("branch=main", "branch"),
                                              ("colour=red", "colour")])
def test_bad_report_queries_are_422(client, bearer, make_user, query, field):
    response = client.get(f"/api/v1/reports/summary?{query}", headers=bearer(make_user(Role.ADMIN)))
    assert response.status_code == 422 and field in response.json["errors"]


def test_referrals_by_status(client, bearer, make_branch, staff_in, make_user, make_service, make_referral):
    branch = make_branch()
    staff = staff_in(branch)
    service = make_service()
    for _ in range(6):
        make_referral(staff, make_user(Role.LEARNER, branches=[branch]), service)
    report = _summary(client, bearer, make_user(Role.ADMIN), "")
    assert report["breakdowns"]["referrals_by_status"] == [{"key": "submitted", "referrals": 6}]
    assert report["totals"]["referrals"] == 6


def test_the_csv_download_is_suppressed_and_safe_from_formulas(client, login_as, make_branch, make_user, seed):
    seed(make_branch("=HYPERLINK(\"http://x.test\")"), 3)
    seed(make_branch("Central"), 5)
    login_as(make_user(Role.ADMIN))
    response = client.get(f"/reports/by_branch.csv?{PERIOD}")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Library", "Residents registered"]
    by_key = {row[0]: row for row in rows[1:]}
    assert by_key["Central"][1] == "5"
    assert by_key["'=HYPERLINK(\"http://x.test\")"][1] == "<5"
    assert not any(cell.startswith("=") for row in rows for cell in row)
    assert client.get("/reports/nothing.csv").status_code == 404


def test_the_reports_page_draws_charts_with_tables_beside_them(client, login_as, make_branch, make_user, seed):
    seed(make_branch("Central"), 7, completed=5, assisted=True)
    login_as(make_user(Role.ADMIN))
    response = client.get(f"/reports?{PERIOD}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count("<h1>") == 1
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') >= 4
    assert "<title id=\"chart-" in page and "Completed with a helper" in page and "Completed alone" in page
    assert "<caption>By library</caption>" in page and "<script" not in page.split("<main")[1].split("</main>")[0]
    assert client.get("/reports?from=nonsense").status_code == 422


def test_the_summary_runs_the_same_number_of_queries_for_5_or_40_residents(client, bearer, make_branch, make_user,
                                                                          seed, count_queries):
    admin, branch = make_user(Role.ADMIN), make_branch()
    headers = bearer(admin)

    def queries() -> int:
        before = len(count_queries())
        assert client.get(f"/api/v1/reports/summary?{PERIOD}", headers=headers).status_code == 200
        return len(count_queries()) - before

    seed(branch, 5, completed=2)
    few = queries()
    seed(branch, 35, completed=20, when=APRIL)
    assert queries() == few


def test_merged_and_held_records_are_not_counted_twice(app, client, bearer, make_branch, make_user, seed):
    branch = make_branch()
    people = seed(branch, 6)
    with app.app_context():
        db.session.get(User, people[0].id).merged_into_id = people[1].id
        db.session.get(User, people[2].id).held_for_review = True
        db.session.commit()
        assert db.session.scalar(select(Enrolment.id).where(Enrolment.learner_id == people[0].id)) is not None
    assert _summary(client, bearer, make_user(Role.ADMIN))["totals"]["learners"] == "<5"  # 6 - 2 = 4


def test_empty_query_values_mean_the_defaults(client, bearer, make_user):
    response = client.get("/api/v1/reports/summary?from=&to=&branch=", headers=bearer(make_user(Role.ADMIN)))
    assert response.status_code == 200 and response.json["period"]["to"] == datetime.now(UTC).date().isoformat()
