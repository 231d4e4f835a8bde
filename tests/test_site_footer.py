"""The footer every page shares: the link to the API's OpenAPI document is for staff, providers and admins only."""

from __future__ import annotations

import pytest

from skills_hub.accounts.models import Role

API_LINK = 'href="/api/v1/openapi.json"'


def test_an_anonymous_visitor_sees_no_link_to_the_api(client):
    page = client.get("/accessibility")
    assert page.status_code == 200
    assert "Accessibility statement" in page.text and API_LINK not in page.text


def test_a_resident_sees_no_link_to_the_api(make_user, login_as):
    page = login_as(make_user(Role.LEARNER)).get("/accessibility")
    assert page.status_code == 200
    assert "Your account" in page.text and API_LINK not in page.text


@pytest.mark.parametrize("role", [Role.STAFF, Role.PROVIDER, Role.ADMIN])
def test_staff_providers_and_admins_see_the_link_to_the_api(make_user, login_as, role):
    page = login_as(make_user(role)).get("/accessibility")
    assert page.status_code == 200
    assert API_LINK in page.text
