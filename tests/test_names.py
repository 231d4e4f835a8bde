"""Names as residents write them (issue 15): the full name shown and printed, its default in the order of the
script, correcting it (API, staff pages, the resident's own page), finding residents by it, natural order in staff
lists, and dates of birth typed as day, month and year."""

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from skills_hub.accounts.matching import sort_key
from skills_hub.accounts.models import Role, User, default_display_name
from skills_hub.accounts.schemas import RegisterResidentForm
from skills_hub.extensions import db
from tests.conftest import csrf_token_from, new_learner_body


@pytest.mark.parametrize(("given", "family", "shown"), [
    ("Siobhán", "O'Brien", "Siobhán O'Brien"),
    ("Thị Hương", "Nguyễn", "Thị Hương Nguyễn"),  # Latin letters: given first unless the resident writes it
    ("محمد", "عبد الله", "محمد عبد الله"),
    ("秀英", "王", "王秀英"),  # Han: family first, no space
    ("花子", "山田", "山田花子"),
    ("はなこ", "やまだ", "やまだはなこ"),  # Kana
    ("민준", "김", "김민준"),  # Hangul
])
def test_the_default_name_follows_the_order_of_the_script(given, family, shown):
    assert default_display_name(given, family) == shown
    assert User(given_name=given, family_name=family).display_name == shown


def test_the_name_as_written_wins_over_the_default():
    resident = User(given_name="Thị Hương", family_name="Nguyễn", name_as_written="Nguyễn Thị Hương")
    assert resident.display_name == "Nguyễn Thị Hương"


# The API ------------------------------------------------------------------------------------------------------------

@pytest.fixture
def staff(branch, staff_in):
    return staff_in(branch)


def test_the_api_takes_and_answers_the_name_as_written(client, staff, bearer):
    headers = bearer(staff)
    made = client.post("/api/v1/learners", headers=headers, json=new_learner_body(
        given_name="Thị Hương", family_name="Nguyễn", display_name="  Nguyễn Thị Hương "))
    assert made.status_code == 201, made.json
    assert made.json["display_name"] == "Nguyễn Thị Hương"
    learner_id = made.json["id"]
    assert client.get(f"/api/v1/learners/{learner_id}", headers=headers).json["display_name"] == "Nguyễn Thị Hương"
    [listed] = client.get("/api/v1/learners?q=Huong", headers=headers).json["items"]
    assert listed["display_name"] == "Nguyễn Thị Hương"

    changed = client.patch(f"/api/v1/learners/{learner_id}", headers=headers,
                           json={"display_name": "", "version": made.json["version"]})
    assert changed.status_code == 200 and changed.json["display_name"] == "Thị Hương Nguyễn", "blank: the default"


def test_the_default_name_is_answered_when_none_is_sent(client, staff, bearer):
    made = client.post("/api/v1/learners", headers=bearer(staff),
                       json=new_learner_body(given_name="秀英", family_name="王"))
    assert made.json["display_name"] == "王秀英"


@pytest.mark.parametrize(("name", "says"), [
    ("王" * 202, "Enter the full name in 201 characters or fewer."),
    ("Siobhán\u202eO'Brien", "hidden character"),
    ("Siobhán\x00", "hidden character"),
])
def test_a_bad_full_name_is_refused_naming_the_field(client, staff, bearer, name, says):
    response = client.post("/api/v1/learners", headers=bearer(staff), json=new_learner_body(display_name=name))
    assert response.status_code == 422
    assert says in " ".join(response.json["errors"]["display_name"])


def test_me_answers_the_name_as_written(client, make_user, bearer):
    resident = make_user(Role.LEARNER, given_name="秀英", family_name="王", name_as_written="王 秀英")
    assert client.get("/api/v1/me", headers=bearer(resident)).json["display_name"] == "王 秀英"


def test_a_sync_create_carries_the_name_as_written(app, client, staff, bearer):
    body = new_learner_body(given_name="Huong", family_name="Nguyen", display_name="Nguyễn Thị Hương")
    body.pop("branch_id", None)
    [result] = client.post("/api/v1/sync", headers=bearer(staff), json={"device_id": "d", "operations": [
        {"op_id": str(uuid.uuid4()), "type": "create_learner", "recorded_at": "2026-11-28T10:00:00+00:00",
         "payload": body}]}).json["results"]
    assert result["status"] == "applied", result
    with app.app_context():
        assert db.session.get(User, uuid.UUID(result["ref"])).display_name == "Nguyễn Thị Hương"


# Finding residents by the written name --------------------------------------------------------------------------

def test_search_finds_a_resident_by_the_name_as_written_whatever_names_were_entered(client, staff, bearer):
    headers = bearer(staff)
    client.post("/api/v1/learners", headers=headers, json=new_learner_body(
        given_name="Xiuying", family_name="Wang", display_name="王秀英"))
    found = client.get("/api/v1/learners?q=王秀英", headers=headers).json["items"]
    assert [item["display_name"] for item in found] == ["王秀英"]


def test_the_duplicate_matcher_knows_a_name_entered_in_the_other_order_or_as_written(client, staff, bearer):
    headers = bearer(staff)
    first = client.post("/api/v1/learners", headers=headers, json=new_learner_body(given_name="秀英", family_name="王"))
    assert first.status_code == 201
    swapped = client.post("/api/v1/learners", headers=headers,
                          json=new_learner_body(given_name="王", family_name="秀英"))
    assert swapped.status_code == 409, "given and family names typed the other way round"
    romanised = client.post("/api/v1/learners", headers=headers, json=new_learner_body(
        given_name="Xiuying", family_name="Wang", display_name="王秀英"))
    assert romanised.status_code == 409, "the same written name"
    assert romanised.json["candidates"][0]["display_name"] == "王秀英"


# Staff pages ----------------------------------------------------------------------------------------------------

@pytest.fixture
def staff_client(client, staff, login_as):
    login_as(staff)
    return client


RESIDENT = {"given_name": "Thị Hương", "family_name": "Nguyễn", "display_name": "Nguyễn Thị Hương",
            "date_of_birth-day": "27", "date_of_birth-month": "3", "date_of_birth-year": "1985",
            "postcode": "M13 9PL", "consent_method": "in_person", "privacy_notice_version": "2026-11"}


def register(client, **changes):
    page = client.get("/staff/residents/new")
    form = {k: v for k, v in {**RESIDENT, **changes}.items() if v is not None}
    return client.post("/staff/residents/new", data={"csrf_token": csrf_token_from(page.text), **form})


def test_the_register_form_asks_for_the_full_name_and_the_date_of_birth_in_three_boxes(staff_client):
    page = staff_client.get("/staff/residents/new").text
    assert 'name="display_name"' in page and "Full name, as you write it" in page
    assert 'type="date"' not in page
    for part in ("day", "month", "year"):
        assert f'name="date_of_birth-{part}"' in page
    assert page.count('inputmode="numeric"') == 3 and "For example, 27 3 1985" in page


def test_staff_register_a_resident_with_the_name_as_written_and_a_date_of_birth(app, staff_client):
    response = register(staff_client)
    assert response.status_code == 200, response.text
    assert "<bdi>Nguyễn Thị Hương</bdi> is registered" in response.text
    with app.app_context():
        learner = db.session.scalar(select(User).where(User.family_name == "Nguyễn"))
        assert learner.name_as_written == "Nguyễn Thị Hương" and learner.date_of_birth == date(1985, 3, 27)
    shown = staff_client.get(f"/staff/residents/{learner.id}").text
    assert "<h1><bdi>Nguyễn Thị Hương</bdi></h1>" in shown and "27 March 1985" in shown


@pytest.mark.parametrize(("day", "month", "year", "says"), [
    ("31", "2", "1985", "Enter a real date of birth, for example 27 3 1985."),
    ("27", "13", "1985", "Enter a real date of birth, for example 27 3 1985."),
    ("27", "3", "85", "Enter a real date of birth, for example 27 3 1985."),
    ("twenty", "3", "1985", "Enter a real date of birth, for example 27 3 1985."),
    ("", "3", "1985", "Enter a real date of birth, for example 27 3 1985."),
    ("1", "1", "2999", "Date of birth must be in the past."),
])
def test_a_date_of_birth_that_is_not_real_is_named_and_what_was_typed_is_kept(staff_client, day, month, year, says):
    response = register(staff_client, **{"date_of_birth-day": day, "date_of_birth-month": month,
                                         "date_of_birth-year": year})
    assert response.status_code == 422
    assert says in response.text and 'href="#date_of_birth"' in response.text
    assert 'name="date_of_birth-year" inputmode="numeric"' in response.text
    assert f'value="{year}"' in response.text and f'value="{month}"' in response.text


def test_the_date_parts_are_one_schema_piece_and_an_empty_date_is_no_date():
    form = RegisterResidentForm().load({k: v for k, v in RESIDENT.items() if not k.startswith("date_of_birth")})
    assert form["date_of_birth"] is None
    parts = {"date_of_birth-day": "٢٧", "date_of_birth-month": "03", "date_of_birth-year": "1985"}  # Arabic digits
    assert RegisterResidentForm().load({**RESIDENT, **parts})["date_of_birth"] == date(1985, 3, 27)


def test_staff_correct_a_residents_names_and_date_of_birth(app, staff_client, make_user, branch):
    learner = make_user(Role.LEARNER, given_name="秀英", family_name="王", branches=[branch], email=None)
    page = staff_client.get(f"/staff/residents/{learner.id}")
    assert "<h1><bdi>王秀英</bdi></h1>" in page.text
    form = staff_client.get(f"/staff/residents/{learner.id}/edit")
    assert form.status_code == 200 and "Full name, as you write it" in form.text
    response = staff_client.post(f"/staff/residents/{learner.id}/edit", data={
        "csrf_token": csrf_token_from(form.text), "version": "1", "given_name": "秀英", "family_name": "王",
        "display_name": "王 秀英", "date_of_birth-day": "2", "date_of_birth-month": "1", "date_of_birth-year": "1970",
        "postcode": "m13 9pl", "phone": "", "preferred_language": "zh"})
    assert response.status_code == 302, response.text
    with app.app_context():
        saved = db.session.get(User, learner.id)
        assert (saved.display_name, saved.date_of_birth, saved.postcode, saved.version) == (
            "王 秀英", date(1970, 1, 2), "M13 9PL", 2)
    again = staff_client.get(f"/staff/residents/{learner.id}/edit").text
    assert 'value="王 秀英"' in again and 'value="1970"' in again, "the form shows what is saved"
    stale = staff_client.post(f"/staff/residents/{learner.id}/edit", data={
        "csrf_token": csrf_token_from(again), "version": "1", "given_name": "Xiuying", "family_name": "Wang"})
    assert stale.status_code == 422 and "Someone else changed this resident" in stale.text
    with app.app_context():
        assert db.session.get(User, learner.id).given_name == "秀英"


def test_staff_look_up_a_resident_by_a_date_of_birth_in_three_boxes(staff_client, make_user, make_branch):
    make_user(Role.LEARNER, given_name="محمد", family_name="عبد الله", date_of_birth=date(1958, 2, 3),
              branches=[make_branch()])
    assert 'name="date_of_birth-day"' in staff_client.get("/staff").text
    found = staff_client.get("/staff/residents/lookup", query_string={
        "given_name": "محمد", "family_name": "عبد الله", "date_of_birth-day": "3", "date_of_birth-month": "2",
        "date_of_birth-year": "1958"})
    assert found.status_code == 200 and "محمد" in found.text
    wrong = staff_client.get("/staff/residents/lookup", query_string={
        "given_name": "محمد", "family_name": "عبد الله", "date_of_birth-day": "30", "date_of_birth-month": "2",
        "date_of_birth-year": "1958"})
    assert wrong.status_code == 422 and "Enter a real date of birth, for example 27 3 1985." in wrong.text


# The resident's own page ----------------------------------------------------------------------------------------

def test_a_resident_corrects_their_own_full_name(app, client, make_user, login_as):
    resident = make_user(Role.LEARNER, given_name="Thị Hương", family_name="Nguyễn")
    login_as(resident)
    page = client.get("/account")
    assert "<bdi>Thị Hương Nguyễn</bdi>" in page.text and "Full name, as you write it" in page.text
    saved = client.post("/account/name", data={"csrf_token": csrf_token_from(page.text),
                                               "display_name": "Nguyễn Thị Hương", "version": "1"})
    assert saved.status_code == 302
    assert "<bdi>Nguyễn Thị Hương</bdi>" in client.get("/account").text
    stale = client.post("/account/name", data={"csrf_token": csrf_token_from(page.text),
                                               "display_name": "Hương", "version": "1"})
    assert stale.status_code == 422 and "changed since you opened this page" in stale.text
    with app.app_context():
        assert db.session.get(User, resident.id).name_as_written == "Nguyễn Thị Hương"
    cleared = client.post("/account/name", data={"csrf_token": csrf_token_from(page.text), "display_name": "",
                                                 "version": "2"})
    assert cleared.status_code == 302
    with app.app_context():
        assert db.session.get(User, resident.id).display_name == "Thị Hương Nguyễn", "empty: the default again"


def test_staff_accounts_have_no_name_form_on_their_own_page(client, staff, login_as):
    login_as(staff)
    page = client.get("/account")
    assert "Full name, as you write it" not in page.text
    assert client.post("/account/name", data={"csrf_token": csrf_token_from(page.text), "display_name": "x",
                                              "version": "1"}).status_code == 404


# Natural order in staff lists -----------------------------------------------------------------------------------

def test_names_sort_with_numbers_as_numbers_and_without_case_or_accents():
    names = ["Demo 37", "demo 4", "Émile Zola", "Demo 10", "emile Abbott", "Zoë", "王秀英", "محمد عبد الله"]
    assert sorted(names, key=sort_key) == ["demo 4", "Demo 10", "Demo 37", "emile Abbott", "Émile Zola", "Zoë",
                                           "محمد عبد الله", "王秀英"]


def test_staff_lists_sort_demo_4_before_demo_37(client, staff, bearer, make_user, branch, login_as):
    for given in ("Demo 37", "Demo 4", "demo 10", "Ánh", "王秀英"):
        make_user(Role.LEARNER, given_name=given, family_name="", name_as_written=given, branches=[branch],
                  email=None)
    listed = client.get("/api/v1/learners?q=demo", headers=bearer(staff)).json["items"]
    assert [item["display_name"] for item in listed] == ["Demo 4", "demo 10", "Demo 37"]
    page = login_as(staff).get("/staff").text
    order = [page.index(f"<bdi>{name}</bdi>") for name in ("Ánh", "Demo 4", "demo 10", "Demo 37", "王秀英")]
    assert order == sorted(order)
