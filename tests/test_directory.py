"""The directory: postcodes and distances, the ranked search, Open Referral UK import and export, provider edits."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from skills_hub import geo
from skills_hub.accounts.models import Role
from skills_hub.config import PROJECT_ROOT
from skills_hub.directory import hsds
from skills_hub.directory.models import Location, Service
from skills_hub.extensions import db
from tests.conftest import csrf_token_from

FIXTURES = Path(__file__).parent / "fixtures" / "openreferral"
DEMO_FILE = PROJECT_ROOT / "content" / "directory" / "demo-providers.json"
# Great-circle distances worked out separately (spherical law of cosines, R = 6371.0088 km) from the centroids
# in skills_hub/outcodes.csv: M1 53.47749,-2.23620 · M13 53.46048,-2.21550 · OL1 53.54986,-2.10697 ·
# SK1 53.40764,-2.15158.
FROM_M13 = {"M13": 0.0, "M1": 2.336, "SK1": 7.242, "OL1": 12.259}
FROM_M1 = {"M1": 0.0, "M13": 2.336, "SK1": 9.578, "OL1": 11.738}


def _schema(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((FIXTURES / name).read_text()),
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _import(app, data, demo=False) -> hsds.ImportReport:
    with app.app_context():
        report = hsds.import_records(data, demo=demo)
        db.session.commit()
        return report


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# Postcodes ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "postcode", "outcode"), [
    ("M13 9PL", "M13 9PL", "M13"), ("m139pl", "M13 9PL", "M13"), ("  m13   9pl ", "M13 9PL", "M13"),
    ("M13", "M13", "M13"), ("ol1", "OL1", "OL1"), ("SK1 3TA", "SK1 3TA", "SK1"), ("EC1A 1BB", "EC1A 1BB", "EC1A"),
])
def test_full_postcodes_and_outcodes_are_read_in_any_case_and_spacing(text, postcode, outcode):
    place = geo.place(text)
    assert (place.postcode, place.outcode) == (postcode, outcode)


@pytest.mark.parametrize(("text", "words"), [
    ("", "Enter a postcode"), ("hello", "is not a UK postcode"), ("ABC 1234", "is not a UK postcode"),
    ("M13 9P", "is not a UK postcode"), ("ZZ99 9ZZ", "cannot find the postcode area ZZ99"),
    ("BT1 1AA", "cannot find the postcode area BT1"),
])
def test_a_malformed_or_unknown_postcode_gets_a_clear_message(text, words):
    with pytest.raises(geo.PostcodeProblem, match=words):
        geo.place(text)


def test_the_centroids_file_holds_every_district_of_great_britain_with_its_attribution():
    assert len(geo.centroids()) == 2863
    assert geo.centroids()["M13"] == (53.46048, -2.21550)
    notes = (PROJECT_ROOT / "skills_hub" / "OUTCODES.md").read_text()
    assert all(line in notes for line in geo.ATTRIBUTION)


# The ranked search ----------------------------------------------------------------------------------------------

@pytest.fixture
def four_districts(make_service):
    return {outcode: make_service(outcode=outcode, name=f"Class in {outcode}") for outcode in FROM_M13}


@pytest.mark.parametrize(("near", "expected"), [("M13 9PL", FROM_M13), ("m1", FROM_M1)])
def test_distances_match_hand_computed_ones_and_nearer_ranks_first(client, four_districts, near, expected):
    response = client.get(f"/api/v1/services?near={near}")
    assert response.status_code == 200
    items = response.json["items"]
    got = {item["location"]["postcode"].split()[0]: item["distance_km"] for item in items}
    assert got == pytest.approx(expected, abs=0.01)
    assert [item["location"]["postcode"].split()[0] for item in items] == sorted(expected, key=expected.get)
    assert items[0]["reasons"][0].startswith("0.0 km from")


def test_the_score_adds_the_documented_points(client, make_service):
    """At 0 km: distance 40, skill 20, language 15, step-free 5, free 10, places 10 = 100."""
    make_service(eds_areas=["being-safe-online"], languages=["ur", "en"], accessibility=["step_free"])
    response = client.get("/api/v1/services?near=M13&skill=being-safe-online&language=ur&access=step_free")
    [item] = response.json["items"]
    assert item["score"] == 100
    assert item["reasons"] == ["0.0 km from M13", "Teaches being safe and legal online", "Taught in Urdu",
                               "Step-free access", "Free", "Places available"]


def test_free_with_places_outranks_paid_with_a_waiting_list_at_the_same_place(client, make_service):
    make_service(name="Paid", is_free=False, cost_amount=25, capacity="waitlist")
    make_service(name="Free")
    names = [item["name"] for item in client.get("/api/v1/services?near=M13").json["items"]]
    assert names == ["Free", "Paid"]


def test_every_filter_given_must_match(client, make_service):
    make_service(name="Urdu, Tuesday, free", languages=["ur"], outcode="M13")
    make_service(name="Polish, paid, online", languages=["pl"], is_free=False, cost_amount=10,
                 delivery_modes=["online"], eds_areas=["transacting"])
    closed = make_service(name="Closed", languages=["ur"], status="temporarily closed")

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/services?{query}")
        assert response.status_code == 200, response.json
        return sorted(item["name"] for item in response.json["items"])

    assert names("language=ur") == ["Urdu, Tuesday, free"]
    assert names("free=true") == ["Urdu, Tuesday, free"]
    assert names("free=false") == ["Polish, paid, online"]
    assert names("mode=online") == ["Polish, paid, online"]
    assert names("skill=transacting") == ["Polish, paid, online"]
    assert names("access=step_free") == []
    assert closed.name not in names("")


def test_a_service_runs_on_its_schedule_days(app, client, make_service):
    from skills_hub.directory.models import Schedule

    service = make_service(name="Tuesdays")
    make_service(name="No schedule")
    with app.app_context():
        db.session.add(Schedule(service_id=service.id, days=["tuesday", "thursday"], opens_at="10:00",
                                closes_at="12:00"))
        db.session.commit()
    assert [i["name"] for i in client.get("/api/v1/services?day=Tuesday").json["items"]] == ["Tuesdays"]
    assert client.get("/api/v1/services?day=sunday").json["items"] == []


def test_an_online_only_service_has_no_distance_and_scores_as_no_travel(app, client, make_service):
    service = make_service(name="Online", delivery_modes=["online"])
    with app.app_context():
        db.session.get(Service, service.id).locations = []
        db.session.commit()
    [item] = client.get("/api/v1/services?near=OL1").json["items"]
    assert item["distance_km"] is None and item["location"] is None
    assert "Online: no travel needed" in item["reasons"]


@pytest.mark.parametrize(("query", "field", "words"), [
    ("near=ZZ99", "near", "cannot find the postcode area ZZ99"),
    ("near=hello", "near", "is not a UK postcode"),
    ("skill=cooking", "skill", "Choose a skill area"),
    ("language=xx", "language", "two-letter language code"),
    ("free=maybe", "free", "true or false"),
    ("mode=post", "mode", "how it is taught"),
    ("day=someday", "day", "a day of the week"),
    ("per_page=500", "per_page", "between 1 and 200"),
    ("colour=blue", "colour", "Unknown field"),
])
def test_bad_search_input_is_422_naming_the_field(client, query, field, words):
    response = client.get(f"/api/v1/services?{query}")
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert any(words in message for message in response.json["errors"][field])


def test_the_search_runs_the_same_number_of_queries_for_2_or_12_services(app, client, make_service,
                                                                         count_queries):
    def queries() -> int:
        before = len(count_queries())
        assert client.get("/api/v1/services?near=M13").status_code == 200
        return len(count_queries()) - before

    for _ in range(2):
        make_service()
    few = queries()
    for _ in range(10):
        make_service()
    assert queries() == few


def test_the_search_page_shows_results_distances_attribution_and_the_scoring(client, four_districts):
    page = client.get("/services?near=m13&searched=1").get_data(as_text=True)
    assert "4 services found near M13" in page
    assert "2.3 km" in page and "12.3 km" in page
    assert "Contains OS data © Crown copyright and database right 2025" in page
    assert "Contains Royal Mail data" in page and "Contains National Statistics data" in page
    assert "How results are ordered" in page


def test_the_search_page_names_a_bad_postcode_in_an_error_summary(client, four_districts):
    response = client.get("/services?near=ZZ99+9ZZ&searched=1")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="#near"' in page and "cannot find the postcode area ZZ99" in page
    assert "services found" not in page  # a clear message, not an empty result


def test_a_learner_starts_from_their_postcode_and_preferred_language(client, make_user, login_as, make_service):
    make_service(name="Urdu class", languages=["ur", "en"])
    make_service(name="English class", languages=["en"])
    login_as(make_user(Role.LEARNER, postcode="M13 9GH", preferred_language="ur"))
    page = client.get("/services").get_data(as_text=True)
    assert '<option value="ur" selected>' in page and 'value="M13 9GH"' in page
    assert "Urdu class" in page and "English class" not in page
    page = client.get("/services?searched=1").get_data(as_text=True)  # cleared by the resident: no default
    assert "English class" in page


def test_staff_search_for_a_resident_of_their_branch_only(client, make_branch, make_user, staff_in, login_as,
                                                         make_service):
    home, other = make_branch(), make_branch()
    make_service(name="Urdu class", languages=["ur"])
    resident = make_user(Role.LEARNER, branches=[home], postcode="M13 9GH", preferred_language="ur")
    login_as(staff_in(home))
    page = client.get(f"/services?learner={resident.id}").get_data(as_text=True)
    assert "You are searching for" in page and "Urdu class" in page
    login_as(staff_in(other))
    assert client.get(f"/services?learner={resident.id}").status_code == 404


def test_skills_profile_gaps_link_to_a_filtered_search(app, client, make_user, login_as, catalogue):
    login_as(make_user(Role.LEARNER))
    from skills_hub.learning import skills

    with app.app_context():
        answers = {f"skill-{s.id}": "1" for s in skills.statements()}
    client.post("/skills-check", data={"csrf_token": csrf_token_from(client.get("/skills-check").text), **answers})
    page = client.get("/skills-check").get_data(as_text=True)
    assert 'href="/services?skill=being-safe-online"' in page


# Open Referral UK import ----------------------------------------------------------------------------------------

def test_the_demo_file_imports_whole_and_is_marked_as_demo(app):
    data = json.loads(DEMO_FILE.read_text())
    assert 6 <= len(data) <= 10
    report = _import(app, data, demo=True)
    assert report.errors == [] and len(report.imported) == len(data)
    with app.app_context():
        services = db.session.scalars(select(Service)).all()
        assert len(services) == len(data) and all(s.is_demo for s in services)
        assert all(s.organisation.name.endswith("(demo)") for s in services)
        urdu = [s for s in services if "ur" in s.languages]
        assert urdu and urdu[0].locations[0].outcode == "M13"


def test_importing_the_same_file_twice_updates_rather_than_duplicates(app):
    data = json.loads(DEMO_FILE.read_text())
    _import(app, data)
    counts = (_count(app, Service), _count(app, Location))
    data[0]["name"] = "Renamed"
    report = _import(app, data)
    assert report.errors == []
    assert (_count(app, Service), _count(app, Location)) == counts
    with app.app_context():
        renamed = db.session.get(Service, uuid.UUID(data[0]["id"]))
        assert renamed.name == "Renamed" and renamed.version == 2


@pytest.mark.parametrize("example", ["uk_service_full.example.json", "hsds3_service_full.example.json"])
def test_the_specification_examples_pass_the_schema_but_their_placeholders_are_reported_by_path(app, example):
    record = json.loads((FIXTURES / example).read_text())
    assert list(_schema("uk_profile_service.schema.json").iter_errors(record)) == []
    report = _import(app, record)
    paths = {path for path, _ in report.errors}
    where = "[0].service_at_locations[0].location"
    assert {f"{where}.latitude", f"{where}.longitude", f"{where}.addresses[0].country",
            f"{where}.addresses[0].postal_code"} <= paths
    assert any(path.startswith("[0].attributes[0].taxonomy_term") for path in paths)
    assert report.imported == [] and _count(app, Service) == 0
    messages = dict(report.errors)
    assert "not in Great Britain" in messages[f"{where}.latitude"]
    assert "UK only" in messages[f"{where}.addresses[0].country"]


def test_broken_records_are_reported_and_the_good_ones_still_go_in(app):
    good = json.loads(DEMO_FILE.read_text())[:2]
    no_name = {**good[0], "id": str(uuid.uuid4())}
    del no_name["name"]
    bad_email = {**good[1], "id": str(uuid.uuid4()), "email": "not an email"}
    unknown_term = {**good[1], "id": str(uuid.uuid4()), "attributes": [
        {"id": str(uuid.uuid4()), "taxonomy_term": {"id": str(uuid.uuid4()), "taxonomy": "skills-hub-level",
                                                    "term": "expert"}}]}
    report = _import(app, [good[0], no_name, bad_email, good[1], unknown_term, "a string", {}])
    assert len(report.imported) == 2 and _count(app, Service) == 2
    messages = dict(report.errors)
    assert messages["[1].name"] == "This is required."
    assert messages["[2].email"] == "Give a real email address."
    assert "is not a term of skills-hub-level" in messages["[4].attributes[0].taxonomy_term.term"]
    assert "[5]" in messages and "[6].id" in messages and "[6].organization" in messages
    assert report.rejected == 5


@pytest.mark.parametrize(("raw", "words"), [
    (b"", "not a JSON file"), (b"{not json", "not a JSON file"), ("[\"caf\xe9\"]".encode("cp1252"), "UTF-8"),
    (b"42", "JSON list of services"),
])
def test_files_that_are_not_open_referral_json_get_a_clear_answer(app, raw, words):
    with app.app_context():
        report = hsds.import_file(raw)
    assert report.imported == [] and words in report.errors[0][1]


def test_flask_directory_import_reports_each_problem_with_its_path(app):
    runner = app.test_cli_runner()
    good = runner.invoke(args=["directory", "import", str(DEMO_FILE), "--demo"])
    assert good.exit_code == 0 and "Imported 8 of 8 services; 0 with problems." in good.output
    bad = runner.invoke(args=["directory", "import", str(FIXTURES / "uk_service_full.example.json")])
    assert bad.exit_code == 1
    assert "[0].service_at_locations[0].location.latitude: Latitude 100.0 is not in Great Britain" in bad.output


def test_an_admin_uploads_a_file_and_sees_the_problems(client, make_user, login_as):
    login_as(make_user(Role.ADMIN))
    token = csrf_token_from(client.get("/admin/directory").text)
    example = (FIXTURES / "uk_service_full.example.json").read_bytes()
    import io

    response = client.post("/admin/directory", data={"csrf_token": token, "file": (io.BytesIO(example), "x.json")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Imported 0 of 1 services. 1 with problems." in page
    assert "[0].service_at_locations[0].location.latitude" in page
    missing = client.post("/admin/directory", data={"csrf_token": token})
    assert missing.status_code == 422 and 'href="#file"' in missing.get_data(as_text=True)


# Open Referral UK export ----------------------------------------------------------------------------------------

def test_the_export_validates_against_the_uk_profile_schemas(app, client):
    _import(app, json.loads(DEMO_FILE.read_text()), demo=True)
    listing = client.get("/api/v1/hsds/services?per_page=200").json
    assert {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty",
            "contents"} <= set(listing)
    assert listing["total_items"] == len(listing["contents"]) == 8
    list_schema, full_schema = _schema("uk_profile_service_list.schema.json"), _schema("uk_profile_service.schema.json")
    for item in listing["contents"]:
        assert [e.message for e in list_schema.iter_errors(item)] == []
        full = client.get(f"/api/v1/hsds/services/{item['id']}").json
        assert [f"{list(e.path)}: {e.message}" for e in full_schema.iter_errors(full)] == []
        assert full["organization"]["name"].endswith("(demo)")


def test_the_export_round_trips_through_the_import(app, client):
    data = json.loads(DEMO_FILE.read_text())
    _import(app, data)
    exported = [client.get(f"/api/v1/hsds/services/{record['id']}").json for record in data]
    before = client.get("/api/v1/services?near=M13").json["items"]
    report = _import(app, exported)
    assert report.errors == [] and _count(app, Service) == len(data)
    assert client.get("/api/v1/services?near=M13").json["items"] == before


def test_hsds_paging(app, client):
    _import(app, json.loads(DEMO_FILE.read_text()))
    pages = [client.get(f"/api/v1/hsds/services?page={n}&per_page=3").json for n in (1, 2, 3, 4)]
    assert [p["total_pages"] for p in pages] == [3, 3, 3, 3]
    assert [len(p["contents"]) for p in pages] == [3, 3, 2, 0]
    assert [p["first_page"] for p in pages] == [True, False, False, False]
    assert [p["last_page"] for p in pages] == [False, False, True, True]
    assert [p["empty"] for p in pages] == [False, False, False, True]
    assert client.get(f"/api/v1/hsds/services/{uuid.uuid4()}").status_code == 404
    assert client.get("/api/v1/hsds/services/not-a-uuid").status_code == 404


# Providers edit their own services ------------------------------------------------------------------------------

def _edit_form(client, service_id, **changes) -> dict:
    page = client.get(f"/provider/services/{service_id}/edit")
    assert page.status_code == 200
    form = {"csrf_token": csrf_token_from(page.text), "version": "1", "name": "Phone help", "status": "active",
            "delivery_modes": ["in_person"], "is_free": "true", "capacity": "waitlist", "takes_referrals": "true",
            "response_days": "5", "languages": "en ur", "eds_areas": ["communicating", "transacting"]}
    form.update(changes)
    return form


def test_a_provider_edits_their_own_service_and_the_search_shows_it(app, client, make_user, login_as,
                                                                  make_service):
    service = make_service()
    login_as(make_user(Role.PROVIDER, organisation_id=service.organisation_id))
    response = client.post(f"/provider/services/{service.id}/edit", data=_edit_form(client, service.id))
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Service, service.id)
        assert (saved.name, saved.languages, saved.capacity, saved.version) == ("Phone help", ["en", "ur"],
                                                                                 "waitlist", 2)
        assert saved.eds_areas == ["communicating", "transacting"]
    assert client.get("/api/v1/services?language=ur").json["items"][0]["name"] == "Phone help"


def test_another_organisations_service_is_404_to_a_provider(client, make_user, login_as, make_service):
    service = make_service()
    login_as(make_user(Role.PROVIDER))
    assert client.get(f"/provider/services/{service.id}/edit").status_code == 404


def test_a_stale_edit_is_409_and_loses_nothing_already_saved(app, client, make_user, login_as, make_service):
    service = make_service()
    login_as(make_user(Role.PROVIDER, organisation_id=service.organisation_id))
    form = _edit_form(client, service.id)
    assert client.post(f"/provider/services/{service.id}/edit", data=form).status_code == 302
    stale = client.post(f"/provider/services/{service.id}/edit", data={**form, "name": "Older name"})
    assert stale.status_code == 409 and "Someone else changed this service" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Service, service.id).name == "Phone help"


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"delivery_modes": []}, "delivery_modes", "Tick in person, online, or both."),
    ({"is_free": "false", "cost_amount": "abc"}, "cost_amount", "Give an amount in pounds"),
    ({"languages": "en zz"}, "languages", "two-letter language code"),
    ({"name": ""}, "name", "Give a name of up to 200 characters."),
    ({"response_days": "a week"}, "response_days", "whole number of working days"),
    ({"capacity": "lots"}, "capacity", "Choose the capacity"),
    ({"surprise": "x"}, "surprise", "Unknown field."),
])
def test_bad_service_edits_are_422_with_the_field_named(client, make_user, login_as, make_service, changes, field,
                                                        words):
    service = make_service(name="Siobhán's O'Brien محمد class")
    login_as(make_user(Role.PROVIDER, organisation_id=service.organisation_id))
    response = client.post(f"/provider/services/{service.id}/edit", data=_edit_form(client, service.id, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'href="#{field}"' in page and words in page


def test_importing_the_list_export_leaves_what_it_does_not_carry_unchanged(app, client):
    _import(app, json.loads(DEMO_FILE.read_text()))
    before = client.get("/api/v1/services?near=M13").json["items"]
    listing = client.get("/api/v1/hsds/services?per_page=200").json  # no locations, languages or terms
    report = _import(app, listing)
    assert report.errors == [] and len(report.imported) == 8
    after = client.get("/api/v1/services?near=M13").json["items"]
    assert after == before


def test_one_capacity_term_and_one_record_per_id(app):
    record = json.loads(DEMO_FILE.read_text())[0]
    two_capacities = {**record, "attributes": record["attributes"] + [
        {"id": str(uuid.uuid4()), "taxonomy_term": {"id": str(uuid.uuid4()), "taxonomy": "skills-hub-capacity",
                                                    "term": "full"}}]}
    report = _import(app, [two_capacities, record, record])
    messages = dict(report.errors)
    assert "Give one skills-hub-capacity term" in messages["[0].attributes"]
    assert "same id" in messages["[2].id"] and len(report.imported) == 1


def test_a_provider_changes_when_and_where_the_service_runs(app, client, make_user, login_as, make_service):
    service = make_service(outcode="M13")
    login_as(make_user(Role.PROVIDER, organisation_id=service.organisation_id))
    form = _edit_form(client, service.id, schedule_days=["monday", "thursday"], opens_at="09:30",
                      closes_at="11:00", location_name="Moss Side Library", address_1="1 Quay Street",
                      city="Manchester", postcode="m14 5lt")
    assert client.post(f"/provider/services/{service.id}/edit", data=form).status_code == 302
    with app.app_context():
        saved = db.session.get(Service, service.id)
        assert saved.days == ["monday", "thursday"] and saved.schedules[0].opens_at == "09:30"
        assert (saved.locations[0].name, saved.locations[0].postcode, saved.locations[0].outcode) == (
            "Moss Side Library", "M14 5LT", "M14")
    near = client.get("/api/v1/services?near=M14&day=thursday").json["items"]
    assert near[0]["distance_km"] == 0.0
    bad = client.post(f"/provider/services/{service.id}/edit",
                      data=_edit_form(client, service.id, version="2", opens_at="9.30", postcode="ZZ99 9ZZ"))
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'href="#opens_at"' in page and "cannot find the postcode area ZZ99" in page


@pytest.mark.parametrize(("days", "opens", "closes", "description", "words"), [
    (["tuesday"], "10:00", "12:00", "", "Tuesdays, 10am to 12 noon"),
    (["wednesday", "monday"], "13:30", "15:00", "", "Mondays and Wednesdays, 1:30pm to 3pm"),
    (["monday", "tuesday", "wednesday", "thursday", "friday"], "09:00", "00:00", "",
     "Monday to Friday, 9am to 12 midnight"),
    (["friday"], "18:00", "", "", "Fridays, from 6pm"),
    (["tuesday"], "10:00", "12:00", "Tuesdays 10am to 12 noon at the volunteer centre",
     "Tuesdays 10am to 12 noon at the volunteer centre"),
    (["tuesday"], "10:00", "12:00", "Term time only", "Tuesdays, 10am to 12 noon. Term time only"),
    ([], "", "", "By appointment", "By appointment"),
])
def test_a_service_page_says_when_it_runs_once_in_plain_words(app, client, make_service, days, opens, closes,
                                                              description, words):
    from skills_hub.directory.models import Schedule

    service = make_service()
    with app.app_context():
        db.session.add(Schedule(service_id=service.id, days=days, opens_at=opens, closes_at=closes,
                                description=description))
        db.session.commit()
    page = client.get(f"/services/{service.id}").get_data(as_text=True)
    when = page.split("<h2>When</h2>")[1].split("<h2>")[0]
    assert f"<p>{words}</p>" in when
    assert ":00" not in when  # never the times again as a clock shows them
