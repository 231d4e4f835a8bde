"""Programme reports: what is counted, small numbers suppressed, who sees which branches, CSV and the page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from skills_hub.accounts.models import Role, User
from skills_hub.courses.services import get_course
from skills_hub.extensions import db
from skills_hub.learning import services as learning
from skills_hub.learning.models import Enrolment, SkillsCheck
from skills_hub.outreach.models import Attendance
from skills_hub.reports import charts
from skills_hub.reports.views import COMPLETED, completed_alone

MARCH, APRIL = datetime(2026, 3, 10, 12, tzinfo=UTC), datetime(2026, 4, 10, 12, tzinfo=UTC)
PERIOD = "from=2026-01-01&to=2026-12-31"
SVG = "{http://www.w3.org/2000/svg}"


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


# The page in words, and its charts ----------------------------------------------------------------------------

def _page(client, query: str = PERIOD) -> str:
    response = client.get(f"/reports?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(page: str, heading_id: str) -> str:
    return page.split(f'id="{heading_id}"')[1].split("</section>")[0]


def _table_rows(section: str) -> list[list[str]]:
    """The table's rows, each cell's text (the header row first)."""
    table = section.split("<table>")[1].split("</table>")[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]


def _svg_texts(svg: str) -> tuple[float, float, list[tuple[float, float, str]]]:
    root = ElementTree.fromstring(svg)  # noqa: S314 (a chart drawn by the test, not input)
    _, _, width, height = (float(n) for n in root.get("viewBox").split())
    return width, height, [(float(t.get("x")), float(t.get("y")), t.text or "") for t in root.iter(f"{SVG}text")]


def test_a_chart_label_is_never_cut_and_every_text_fits_the_picture():
    labels = ["Handling information and content", "A library with a very long name indeed, far too long to "
              "fit on one line of the chart, even a wide one", "Ffffffffffffffffffffffffffffffffffffffffffffffffff"
              "fffffffffffff", "Llyfrgell Ganolog Pen-y-bont ar Ogwr â'r Gymuned"]
    rows = [{"key": label, "completions_assisted": 140, "completions_alone": "<5"} for label in labels]
    svg = str(charts.bar_chart("Courses completed", rows, COMPLETED))
    width, height, texts = _svg_texts(svg)
    drawn = [text for _, _, text in texts]
    assert "Handling information and content" in drawn  # one line: the whole label
    long_label = labels[1]
    lines = [text for text in drawn if text and text in long_label]
    assert len(lines) >= 2 and " ".join(lines) == long_label, "a long label wraps, and every word is drawn"
    assert "".join(text for text in drawn if text.startswith("F") or set(text) == {"f"}) == labels[2]
    assert labels[3] in drawn
    for x, y, text in texts:
        assert x >= charts.LEFT and x + charts.text_width(text) <= width, f"{text!r} goes past the right edge"
        assert y <= height, f"{text!r} goes past the bottom"
    assert charts.text_width("W" * 10) > charts.text_width("i" * 10)
    assert charts.text_width("Nguyễn") == charts.text_width("Nguyen")


def test_a_count_under_5_draws_no_bar_and_says_fewer_than_5_where_the_bar_would_be():
    rows = [{"key": "Central", "referrals": 12}, {"key": "East", "referrals": "<5"}, {"key": "West", "referrals": 0}]
    svg = str(charts.bar_chart("Referrals", rows, [charts.Series("referrals", "Referrals")]))
    root = ElementTree.fromstring(svg)  # noqa: S314 (a chart drawn by the test, not input)
    bars = list(root.iter(f"{SVG}rect"))
    assert len(bars) == 1, "only the count of 12 has a bar"
    _, _, texts = _svg_texts(svg)
    east = next(y for _, y, text in texts if text == "East")
    beside_east = [(x, text) for x, y, text in texts if east < y <= east + charts.LINE_HEIGHT + charts.BAR_HEIGHT]
    assert beside_east == [(charts.LEFT, "fewer than 5")], "said at the start of the line, where the bar would be"
    assert "A count of 1 to 4 has no bar: it says fewer than 5." in svg
    two = str(charts.bar_chart("Completed", [{"key": "June 2026", "completions_assisted": 6,
                                             "completions_alone": "<5"}], COMPLETED))
    assert ">6 with a helper, fewer than 5 alone</text>" in two


@pytest.mark.parametrize(("done", "helped", "alone"), [(9, 5, "<5"), (14, 9, 5), (9, "<5", "5 to 8"),
                                                       (7, "<5", "3 to 6"), (5, "<5", "<5"), ("<5", "<5", "<5"),
                                                       ("<5", 0, "<5"), (0, 0, 0), (12, 0, 12), (6, 6, 0)])
def test_completed_alone_never_gives_away_a_hidden_count(done, helped, alone):
    assert completed_alone(done, helped) == alone


def test_months_show_as_words_on_the_page_and_stay_iso_in_the_csv(client, login_as, make_branch, make_user,
                                                                    seed):
    seed(make_branch("Central"), 6, when=datetime(2026, 6, 3, 12, tzinfo=UTC), completed=5)
    login_as(make_user(Role.ADMIN))
    by_month = _section(_page(client), "by_month-heading")
    assert _table_rows(by_month)[1][0] == "June 2026" and "2026-06" not in by_month
    assert ">June 2026</text>" in by_month, "the chart's label too"
    csv_rows = list(csv.reader(io.StringIO(client.get(f"/reports/by_month.csv?{PERIOD}")
                                           .get_data(as_text=True).lstrip("\ufeff"))))
    assert csv_rows[1][0] == "2026-06"


def test_hidden_counts_say_fewer_than_5_and_the_reason_is_given_once(client, login_as, make_branch, make_user,
                                                                     seed):
    seed(make_branch("Big"), 21, completed=7)
    seed(make_branch("Small"), 3, completed=1)
    login_as(make_user(Role.ADMIN))
    page = _page(client)
    assert page.count("To keep people private, we never show a number from 1 to 4.") == 1
    assert "&lt;5" not in page.split("<main")[1]
    rows = {row[0]: row for row in _table_rows(_section(page, "by_branch-heading"))}
    assert rows["Library"][1:] == ["Residents registered", "Courses started", "Courses completed",
                                   "Completed with a helper", "Completed alone", "Certificates",
                                   "Visits to outreach sessions"]
    assert rows["Small"][1:4] == ["fewer than 5", "fewer than 5", "fewer than 5"]
    assert rows["Big"][1:4] == ["21", "21", "7"]
    assert "<dt>Residents registered</dt><dd>25 (rounded to the nearest 5)</dd>" in page
    assert "A resident who belongs to two libraries counts in both." in page


def test_the_skill_area_table_counts_residents_once_and_has_no_outreach_column(app, client, login_as, make_branch,
                                                                              make_user, seed):
    people = seed(make_branch("Central"), 6, course="using-email")  # communicating, being safe online
    with app.app_context():
        video_calls = get_course("video-calls")  # communicating, problem solving
        for person in people:
            enrolment, _ = learning.enrol(db.session.get(User, person.id), video_calls)
            enrolment.enrolled_at = MARCH
        db.session.commit()
    login_as(make_user(Role.ADMIN))
    section = _section(_page(client), "by_eds_area-heading")
    rows = {row[0]: row for row in _table_rows(section)}
    assert rows["Skill area"][1:] == ["Residents who started a course", "Courses started", "Courses completed",
                                      "Completed with a helper", "Completed alone", "Certificates"]
    assert rows["Communicating"][1:3] == ["6", "12"], "6 residents started 12 courses in the area"
    assert rows["Problem solving"][1:3] == ["6", "6"]
    assert "outreach sessions are not in this table" in section.lower()
    header = next(csv.reader(io.StringIO(client.get(f"/reports/by_eds_area.csv?{PERIOD}")
                                         .get_data(as_text=True).lstrip("\ufeff"))))
    assert header == ["Skill area", "Residents who started a course", "Courses started", "Courses completed",
                      "Completed with a helper", "Certificates"]


def test_with_no_skills_checks_to_compare_the_page_says_so_once(client, login_as, make_branch, make_user, seed):
    seed(make_branch("Central"), 6)
    login_as(make_user(Role.ADMIN))
    section = _section(_page(client), "skills-heading")
    assert "No resident took the skills check for a second time in this period, so there is nothing to compare " \
           "yet." in section
    assert "<table>" not in section and "Too few to show" not in section


def test_skills_checks_show_averages_and_hide_only_areas_with_fewer_than_5_residents(app, client, login_as,
                                                                                     make_branch, make_user):
    branch = make_branch("Central")
    with app.app_context():
        for number in range(7):
            learner = make_user(Role.LEARNER, branches=[branch])
            first = {"send-email": 1, "video-call": 2}
            latest = {"send-email": 3, "video-call": 4}
            if number < 2:  # only two of them answered about searching
                first["search-and-check"], latest["search-and-check"] = 1, 4
            db.session.add_all([SkillsCheck(learner_id=learner.id, answers=first, taken_at=MARCH),
                                SkillsCheck(learner_id=learner.id, answers=latest, taken_at=APRIL)])
        db.session.commit()
    login_as(make_user(Role.ADMIN))
    section = _section(_page(client), "skills-heading")
    rows = {row[0]: row for row in _table_rows(section)}
    assert rows["Skill area"] == ["Skill area", "Residents compared", "First check", "Latest check"]
    assert rows["Communicating"] == ["Communicating", "7", "1.5", "3.5"]
    assert rows["Handling information and content"] == ["Handling information and content", "fewer than 5",
                                                        "not shown", "not shown"]
    assert rows["Transacting"] == ["Transacting", "0", "nobody yet", "nobody yet"]
    assert "An average of fewer than 5 residents is not shown." in section
