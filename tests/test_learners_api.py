"""Residents through the API: assisted registration, duplicates, lookup and linking, search, view and edit."""

import uuid

import pytest
from sqlalchemy import func, select

from skills_hub import codes
from skills_hub.accounts.models import Consent, Role, User
from skills_hub.audit.models import AuditEvent
from skills_hub.extensions import db
from tests.conftest import new_learner_body


@pytest.fixture
def branches(make_branch):
    return make_branch("Central Library"), make_branch("Northside Library")


@pytest.fixture
def staff(branches, staff_in):
    return staff_in(branches[0], email="staff-a@example.test")


def register(client, headers, **overrides):
    return client.post("/api/v1/learners", json=new_learner_body(**overrides), headers=headers)


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_staff_register_a_resident_with_no_email_and_get_a_number_and_a_pin_once(app, client, staff, bearer):
    response = register(client, bearer(staff))
    assert response.status_code == 201, response.json
    body = response.json
    number = codes.normalise(body["learner_number"])
    assert len(body["learner_number"]) == 9 and body["learner_number"][4] == "-" and codes.has_valid_check(number)
    assert body["pin"].isdigit() and len(body["pin"]) == 6
    assert body["postcode"] == "M13 9PL" and body["branch_ids"] and body["version"] == 1
    with app.app_context():
        learner = db.session.get(User, uuid.UUID(body["id"]))
        assert learner.role == Role.LEARNER and learner.email is None and body["pin"] not in learner.pin_hash
        [consent] = db.session.scalars(select(Consent).where(Consent.user_id == learner.id))
        assert (consent.notice_version, consent.given_by, consent.method) == ("2026-11", "staff_on_behalf",
                                                                              "in_person")
        assert consent.recorded_by_id == staff.id
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_id == learner.id)) \
            == "learner.registered"


def test_a_retried_create_answers_200_with_the_same_resident_and_never_the_pin_again(app, client, staff, bearer):
    headers = bearer(staff)
    body = new_learner_body()
    first = client.post("/api/v1/learners", json=body, headers=headers)
    again = client.post("/api/v1/learners", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"] and again.json["pin"] is None
    different = client.post("/api/v1/learners", json={**body, "given_name": "Someone"}, headers=headers)
    assert different.status_code == 422 and "client_id" in different.json["errors"]
    assert count(app, User, User.role == Role.LEARNER) == 1


def test_a_resident_with_email_gets_a_link_to_set_a_password_instead_of_a_pin(app, client, staff, bearer,
                                                                               drain_jobs, tmp_path):
    response = register(client, bearer(staff), email="Grace@Example.test")
    assert response.status_code == 201 and response.json["pin"] is None
    # The address counts only once its owner opens the invitation sent there.
    assert response.json["email"] is None and response.json["pending_email"] == "grace@example.test"
    drain_jobs()
    mail = list((app.config["MAIL_DIR"]).glob("*.eml"))
    assert any(b"/password-reset/" in path.read_bytes() for path in mail)


@pytest.mark.parametrize(("given", "family"), [("SIOBHAN", "o'brien"), ("Siobhán", "O' Brien"),
                                               ("Siobhan", "OBrien"), ("Siobhán", "O'Brian")])
def test_a_likely_duplicate_answers_409_with_the_candidate(client, staff, bearer, given, family):
    headers = bearer(staff)
    first = register(client, headers)
    again = register(client, headers, given_name=given, family_name=family)
    assert again.status_code == 409, again.json
    assert again.headers["Content-Type"] == "application/problem+json"
    assert [c["id"] for c in again.json["candidates"]] == [first.json["id"]]
    assert again.json["matches_elsewhere"] == 0
    confirmed = register(client, headers, given_name=given, family_name=family, confirm_not_duplicate=True)
    assert confirmed.status_code == 201


@pytest.mark.parametrize("change", [{"date_of_birth": "1961-04-13"}, {"postcode": "M14 9PL"},
                                    {"family_name": "O'Bryant"}, {"date_of_birth": None}])
def test_different_people_are_not_duplicates(client, staff, bearer, change):
    headers = bearer(staff)
    assert register(client, headers).status_code == 201
    assert register(client, headers, **change).status_code == 201


def test_duplicates_in_other_branches_are_counted_and_named_only_on_an_exact_match(client, branches, staff_in,
                                                                                   bearer):
    other = bearer(staff_in(branches[1]))
    register(client, other, given_name="Siobhan", family_name="O'Brian")  # one letter apart: counted
    register(client, other, confirm_not_duplicate=True)  # the exact name: named
    response = register(client, bearer(staff_in(branches[0])))
    assert response.status_code == 409
    assert [c["family_name"] for c in response.json["candidates"]] == ["O'Brien"]
    assert response.json["matches_elsewhere"] == 1
    assert "O'Brian" not in response.text


@pytest.mark.parametrize("name", ["Nguyễn Văn An", "محمد", "O'Brien", "Siobhán", "Zoë-Jane"])
def test_names_from_many_languages_are_kept_exactly(client, staff, bearer, name):
    response = register(client, bearer(staff), given_name=name, date_of_birth=None)
    assert response.status_code == 201 and response.json["given_name"] == name


@pytest.mark.parametrize(("change", "field"), [
    ({"given_name": None}, "given_name"),
    ({"given_name": ""}, "given_name"),
    ({"given_name": "x" * 101}, "given_name"),
    ({"given_name": 42}, "given_name"),
    ({"role": "admin"}, "role"),
    ({"branch_id": "not-a-uuid"}, "branch_id"),
    ({"postcode": "12345"}, "postcode"),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
    ({"date_of_birth": "12/04/1961"}, "date_of_birth"),
    ({"email": "not an email"}, "email"),
    ({"consent": None}, "consent"),
    ({"consent": {"privacy_notice_version": "2026-11", "given_by": "someone", "method": "in_person"}}, "consent"),
])
def test_bad_input_is_422_naming_the_field_and_creates_nothing(app, client, staff, bearer, change, field):
    response = register(client, bearer(staff), **change)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert count(app, User, User.role == Role.LEARNER) == 0


def test_missing_names_and_consent_are_each_named(client, staff, bearer):
    response = client.post("/api/v1/learners", json={}, headers=bearer(staff))
    assert response.status_code == 422
    assert {"given_name", "family_name", "consent"} <= response.json["errors"].keys()


def test_an_unknown_privacy_notice_version_is_refused(client, staff, bearer):
    consent = {"privacy_notice_version": "1999-01", "given_by": "learner", "method": "paper"}
    response = register(client, bearer(staff), consent=consent)
    assert response.status_code == 422 and "2026-11" in response.json["detail"]


def test_wrong_content_type_malformed_and_huge_bodies(client, staff, bearer):
    headers = bearer(staff)
    assert client.post("/api/v1/learners", data="given_name=x", headers=headers).status_code == 415
    malformed = client.post("/api/v1/learners", data="{not json", headers={**headers,
                                                                            "Content-Type": "application/json"})
    assert malformed.status_code == 400
    huge = client.post("/api/v1/learners", data='{"given_name": "' + "x" * (6 * 1024 * 1024) + '"}',
                       headers={**headers, "Content-Type": "application/json"})
    assert huge.status_code == 413


def test_staff_can_only_register_into_their_own_branch(client, branches, staff, bearer):
    response = register(client, bearer(staff), branch_id=str(branches[1].id))
    assert response.status_code == 422 and "branch_id" in response.json["errors"]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.PROVIDER])
def test_learners_and_providers_cannot_register_residents(client, make_user, bearer, role):
    assert register(client, bearer(make_user(role))).status_code == 403


def test_a_resident_is_visible_to_their_branch_and_admins_and_404_to_everyone_else(
        client, branches, staff, staff_in, make_user, bearer):
    learner_id = register(client, bearer(staff)).json["id"]
    assert client.get(f"/api/v1/learners/{learner_id}", headers=bearer(staff)).status_code == 200
    assert client.get(f"/api/v1/learners/{learner_id}", headers=bearer(make_user(Role.ADMIN))).status_code == 200
    for outsider in (staff_in(branches[1]), make_user(Role.PROVIDER), make_user(Role.LEARNER)):
        response = client.get(f"/api/v1/learners/{learner_id}", headers=bearer(outsider))
        assert response.status_code == 404
        assert response.json["detail"] == "There is no resident with this id."
    assert client.get("/api/v1/learners/not-a-uuid", headers=bearer(staff)).status_code == 404
    assert client.get(f"/api/v1/learners/{learner_id}").status_code == 401


def test_viewing_a_resident_is_audited(app, client, staff, bearer):
    learner_id = register(client, bearer(staff)).json["id"]
    client.get(f"/api/v1/learners/{learner_id}", headers=bearer(staff))
    with app.app_context():
        viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "learner.viewed")).one()
        assert viewed.actor_id == staff.id and str(viewed.subject_id) == learner_id


def test_patch_needs_the_current_version_and_refuses_protected_fields(app, client, staff, bearer):
    headers = bearer(staff)
    learner_id = register(client, headers).json["id"]
    url = f"/api/v1/learners/{learner_id}"
    changed = client.patch(url, json={"postcode": "B33 8TH", "version": 1}, headers=headers)
    assert changed.status_code == 200 and changed.json["postcode"] == "B33 8TH" and changed.json["version"] == 2
    stale = client.patch(url, json={"postcode": "M1 1AE", "version": 1}, headers=headers)
    assert stale.status_code == 409 and "version" in stale.json["errors"]
    no_version = client.patch(url, json={"postcode": "M1 1AE"}, headers=headers)
    assert no_version.status_code == 422
    for field, value in [("role", "admin"), ("branch_id", str(uuid.uuid4())),
                         ("organisation_id", str(uuid.uuid4())), ("id", str(uuid.uuid4()))]:
        response = client.patch(url, json={field: value, "version": 2}, headers=headers)
        assert response.status_code == 422 and field in response.json["errors"]
    current = client.get(url, headers=headers).json
    assert current["postcode"] == "B33 8TH" and current["version"] == 2
    with app.app_context():
        assert db.session.get(User, uuid.UUID(learner_id)).role == Role.LEARNER


def test_search_stays_within_the_callers_branches_and_ignores_accents(client, branches, staff, staff_in, bearer):
    register(client, bearer(staff), given_name="Siobhán")
    register(client, bearer(staff_in(branches[1])), given_name="Siobhan", family_name="Murphy")
    found = client.get("/api/v1/learners?q=siobhan", headers=bearer(staff)).json
    assert found["total"] == 1 and found["items"][0]["given_name"] == "Siobhán"
    assert set(found) == {"items", "page", "per_page", "total"}
    assert client.get("/api/v1/learners?q=murphy", headers=bearer(staff)).json["total"] == 0
    assert client.get("/api/v1/learners?per_page=500", headers=bearer(staff)).status_code == 422


@pytest.mark.parametrize(("given", "family", "typed"), [
    ("秀英", "王", "王秀英"), ("Siobhán", "O'Brien", "OBrien"), ("Siobhán", "O'Brien", "o brien"),
    ("Mohammed", "Khan", "Khan Mohammed"), ("Thị Hương", "Nguyễn", "Nguyen Thi Huong"),
])
def test_search_finds_a_name_typed_the_way_it_is_written_or_said(client, staff, bearer, given, family, typed):
    register(client, bearer(staff), given_name=given, family_name=family, date_of_birth="1970-01-02")
    register(client, bearer(staff), given_name="Grace", family_name="Mensah", date_of_birth="1971-03-04",
             postcode="M1 1AA")
    found = client.get("/api/v1/learners", query_string={"q": typed}, headers=bearer(staff)).json
    assert [item["family_name"] for item in found["items"]] == [family]
    assert client.get("/api/v1/learners", query_string={"q": f"{typed} Smith"},
                      headers=bearer(staff)).json["total"] == 0


def test_lookup_finds_a_resident_of_another_branch_only_by_exact_details_and_is_audited(
        app, client, branches, staff, staff_in, bearer):
    created = register(client, bearer(staff_in(branches[1]))).json
    headers = bearer(staff)
    by_number = client.get(f"/api/v1/learners/lookup?learner_number={created['learner_number'].lower()}",
                           headers=headers)
    assert by_number.status_code == 200
    assert by_number.json == {"id": created["id"], "learner_number": created["learner_number"],
                              "given_name": "Siobhán", "branch_ids": created["branch_ids"]}
    by_name = client.get("/api/v1/learners/lookup?given_name=siobhan&family_name=O'Brien&date_of_birth=1961-04-12",
                         headers=headers)
    assert by_name.status_code == 200 and by_name.json["id"] == created["id"]
    partial = client.get("/api/v1/learners/lookup?given_name=Sio&family_name=O'Brien&date_of_birth=1961-04-12",
                         headers=headers)
    assert partial.status_code == 404
    number = codes.normalise(created["learner_number"])
    typo = number[:-1] + ("0" if number[-1] != "0" else "1")
    mistyped = client.get(f"/api/v1/learners/lookup?learner_number={typo}", headers=headers)
    assert mistyped.status_code == 422 and "mistyped" in mistyped.json["errors"]["learner_number"][0]
    half = client.get("/api/v1/learners/lookup?given_name=Siobhán", headers=headers)
    assert half.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "learner.looked_up")) == 3


def test_linking_a_found_resident_lets_the_branch_see_them(app, client, branches, staff, staff_in, bearer):
    created = register(client, bearer(staff_in(branches[1]))).json
    headers = bearer(staff)
    assert client.get(f"/api/v1/learners/{created['id']}", headers=headers).status_code == 404
    not_mine = client.post(f"/api/v1/learners/{created['id']}/branches", json={"branch_id": str(branches[1].id)},
                           headers=headers)
    assert not_mine.status_code == 422
    linked = client.post(f"/api/v1/learners/{created['id']}/branches", json={"branch_id": str(branches[0].id)},
                         headers=headers)
    assert linked.status_code == 200 and str(branches[0].id) in linked.json["branch_ids"]
    assert client.get(f"/api/v1/learners/{created['id']}", headers=headers).status_code == 200
    unknown = client.post(f"/api/v1/learners/{uuid.uuid4()}/branches", json={"branch_id": str(branches[0].id)},
                          headers=headers)
    assert unknown.status_code == 404


@pytest.mark.parametrize("role", [Role.LEARNER, Role.PROVIDER])
def test_learners_and_providers_cannot_look_up_search_or_link(client, make_user, bearer, role):
    headers = bearer(make_user(role))
    assert client.get("/api/v1/learners/lookup?learner_number=DEM0001D", headers=headers).status_code == 403
    assert client.get("/api/v1/learners?q=a", headers=headers).status_code == 403
    assert client.post(f"/api/v1/learners/{uuid.uuid4()}/branches", json={"branch_id": str(uuid.uuid4())},
                       headers=headers).status_code == 403


def test_list_pages_run_the_same_number_of_queries_for_1_or_20_residents(client, staff, bearer, count_queries):
    headers = bearer(staff)
    register(client, headers, date_of_birth=None)
    client.get("/api/v1/learners?q=o", headers=headers)
    before = len(count_queries())
    client.get("/api/v1/learners?q=o", headers=headers)
    one = len(count_queries()) - before
    for i in range(19):
        register(client, headers, given_name=f"Person{i}", date_of_birth=None)
    before = len(count_queries())
    response = client.get("/api/v1/learners?q=o", headers=headers)
    assert response.json["total"] == 20
    assert len(count_queries()) - before == one


def test_an_idempotency_key_header_makes_a_retry_safe_without_a_client_id(app, client, staff, bearer):
    headers = {**bearer(staff), "Idempotency-Key": "register-grace-1"}
    body = new_learner_body(client_id=None)
    body.pop("client_id")
    first = client.post("/api/v1/learners", json=body, headers=headers)
    again = client.post("/api/v1/learners", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200) and first.json["id"] == again.json["id"]
    other = client.post("/api/v1/learners", json={**body, "given_name": "Else"}, headers=headers)
    assert other.status_code == 422
    assert count(app, User, User.role == Role.LEARNER) == 1


def test_an_empty_name_in_a_patch_says_to_enter_it(client, staff, bearer):
    headers = bearer(staff)
    learner_id = register(client, headers).json["id"]
    response = client.patch(f"/api/v1/learners/{learner_id}", json={"given_name": "", "version": 1},
                            headers=headers)
    assert response.status_code == 422 and response.json["errors"]["given_name"] == ["Enter the first name."]
