"""A name no certificate could print is refused as it is typed (emoji, private-use characters, characters no
font on this server has), naming the box and the character, on every form and endpoint that takes a name;
Latin, Vietnamese, Arabic and the CJK in our fonts stay welcome."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from skills_hub.accounts.models import Role
from skills_hub.accounts.schemas import PrintableName
from tests.conftest import csrf_token_from, new_learner_body


@pytest.fixture
def staff(branch, staff_in):
    return staff_in(branch)


@pytest.mark.parametrize("name", ["Siobhán O'Brien", "Nguyễn Thị Hương", "محمد خان", "王秀英", "김민준", "さくら",
                                  "Nguye\u0302\u0303n"])
def test_names_our_fonts_print_are_taken(app, name):
    with app.app_context():
        assert PrintableName("full name")(name) == name


EMOJI_NAME = "Ana 🧑🏽\u200d💻 Silva"


@pytest.mark.parametrize(("name", "character"), [(EMOJI_NAME, "🧑"), ("Ana \U0010FFFD Silva", "\U0010FFFD"),
                                                 ("Ana \ue000", "\ue000"), ("Grace 😀", "😀")])
def test_emoji_and_private_use_characters_are_refused_naming_the_character(app, name, character):
    with app.app_context(), pytest.raises(ValidationError) as refused:
        PrintableName("full name")(name)
    assert refused.value.messages == [f"Full name: we cannot print {character} on a certificate. Leave it out or "
                                      "ask staff."]


def test_a_character_no_font_here_has_is_refused(app, monkeypatch):
    from skills_hub import fonts

    monkeypatch.setattr(fonts, "system_font_for", lambda character: None)  # a server without the CJK extension
    with app.app_context(), pytest.raises(ValidationError, match="First name: we cannot print 𠀀"):
        PrintableName("first name")("𠀀")


def test_the_api_refuses_an_unprintable_name_on_create_and_change(client, staff, bearer):
    headers = bearer(staff)
    made = client.post("/api/v1/learners", headers=headers, json=new_learner_body(display_name=EMOJI_NAME))
    assert made.status_code == 422
    assert made.json["errors"]["display_name"] == ["Full name: we cannot print 🧑 on a certificate. Leave it out or "
                                                   "ask staff."]
    given = client.post("/api/v1/learners", headers=headers, json=new_learner_body(given_name="Ana \U0010FFFD"))
    assert given.status_code == 422 and "First name: we cannot print" in given.json["errors"]["given_name"][0]
    learner = client.post("/api/v1/learners", headers=headers, json=new_learner_body(display_name="Nguyễn Thị Hương"))
    assert learner.status_code == 201
    changed = client.patch(f"/api/v1/learners/{learner.json['id']}", headers=headers,
                           json={"display_name": "Hương 😀", "version": learner.json.get("version", 1)})
    assert changed.status_code == 422 and "we cannot print 😀" in changed.json["errors"]["display_name"][0]


def test_staff_and_residents_forms_refuse_an_unprintable_name(client, staff, login_as, make_user, branch):
    login_as(staff)
    page = client.get("/staff/residents/new")
    refused = client.post("/staff/residents/new", data={
        "csrf_token": csrf_token_from(page.text), "given_name": "Ana", "family_name": "Silva",
        "display_name": EMOJI_NAME, "date_of_birth-day": "27", "date_of_birth-month": "3",
        "date_of_birth-year": "1985", "postcode": "M13 9PL", "consent_method": "in_person",
        "privacy_notice_version": "2026-11"})
    assert refused.status_code == 422 and "Full name: we cannot print 🧑 on a certificate." in refused.text
    learner = make_user(Role.LEARNER, given_name="Ana", family_name="Silva", branches=[branch], email=None)
    form = client.get(f"/staff/residents/{learner.id}/edit")
    edited = client.post(f"/staff/residents/{learner.id}/edit", data={
        "csrf_token": csrf_token_from(form.text), "version": "1", "given_name": "Ana \U0010FFFD",
        "family_name": "Silva"})
    assert edited.status_code == 422 and "First name: we cannot print" in edited.text
    login_as(learner)
    account = client.get("/account")
    own = client.post("/account/name", data={"csrf_token": csrf_token_from(account.text),
                                             "display_name": "Ana 😀", "version": "1"})
    assert own.status_code == 422 and "Full name: we cannot print 😀 on a certificate." in own.text
