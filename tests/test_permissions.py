"""The permission matrix: every route for every role, with a resident of one branch as the object.

Roles: anonymous, the resident themselves, another learner, staff of the resident's branch, staff of another
branch, a provider, and an admin. Adding a route without a row here fails `test_every_route_has_a_row`.
Pages are visited with a session cookie and API routes with a bearer token, as their real clients do.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from skills_hub.accounts.models import Role
from tests.conftest import TEST_PASSWORD, csrf_token_from, new_learner_body

ROLES = ("anonymous", "learner_self", "learner_other", "staff_own", "staff_other", "provider", "admin")
SIGN_IN = "sign in"  # pages redirect to /sign-in; the API answers 401


@dataclass
class Row:
    method: str
    rule: str
    path: str
    expect: tuple  # one expected status (or SIGN_IN) per role in ROLES
    body: Any = None  # a dict, or a function of the people that gives one
    catalogue: bool = False
    certificate: bool = False  # the resident has a certificate, with code {code}
    referral: bool = False  # staff referred the resident to {service}, run by the provider's organisation
    form: bool = field(init=False)

    def __post_init__(self):
        self.form = not self.rule.startswith("/api/") and self.method != "GET"
        self.catalogue = self.catalogue or self.certificate



def every(status) -> tuple:
    return (status,) * len(ROLES)


def signed_in(status) -> tuple:
    return (SIGN_IN,) + (status,) * (len(ROLES) - 1)


#                                   anon     self  other  staff  staff2 provider admin
STAFF_PAGE = lambda ok: (SIGN_IN, 404, 404, ok, ok, 404, ok)  # noqa: E731
OWN_RESIDENT_PAGE = lambda ok: (SIGN_IN, 404, 404, ok, 404, 404, ok)  # noqa: E731
ADMIN_PAGE = lambda ok: (SIGN_IN, 404, 404, 404, 404, 404, ok)  # noqa: E731
STAFF_API = lambda ok: (SIGN_IN, 403, 403, ok, ok, 403, ok)  # noqa: E731
LEARNER_PAGE = lambda ok: (SIGN_IN, ok, ok, 404, 404, 404, 404)  # noqa: E731
OWN_LEARNER_API = lambda ok: (SIGN_IN, ok, 404, ok, 404, 404, ok)  # noqa: E731

L = "{learner}"
REFERRAL_PAGE = (SIGN_IN, 200, 404, 200, 404, 200, 200)
REFERRER_FORM = lambda ok: (SIGN_IN, ok, 404, ok, 404, 404, ok)  # noqa: E731
SERVICE_FORM = {"version": "1", "name": "Phone help", "status": "active", "delivery_modes": "in_person",
                "is_free": "true", "capacity": "waitlist", "takes_referrals": "true", "response_days": "5"}
ROWS = [
    Row("GET", "/", "/", every(200)),
    Row("GET", "/accessibility", "/accessibility", every(200)),
    Row("GET", "/words", "/words", every(200)),
    Row("POST", "/language", "/language", every(303), {"language": "pl", "next": "/courses"}),
    Row("GET", "/privacy", "/privacy", every(200)),
    Row("GET", "/healthz", "/healthz", every(200)),
    Row("GET", "/readyz", "/readyz", every(200)),
    Row("GET", "/static/<path:filename>", "/static/site.css", every(200)),
    Row("GET", "/sign-in", "/sign-in", every(200)),
    Row("POST", "/sign-in", "/sign-in", every(401),
        {"method": "email", "email": "nobody@example.test", "password": "wrong"}),
    Row("POST", "/sign-out", "/sign-out", every(302)),
    Row("POST", "/session/keep-alive", "/session/keep-alive", signed_in(302)),
    Row("GET", "/register", "/register", every(200)),
    Row("POST", "/register", "/register", every(302),
        lambda p: {"given_name": "New", "family_name": "Person", "email": f"{uuid.uuid4().hex}@example.test",
                   "password": "purple tractor sunrise", "privacy_notice_version": "2026-11", "agree": "yes"}),
    Row("GET", "/password-reset", "/password-reset", every(200)),
    Row("POST", "/password-reset", "/password-reset", every(200), {"email": "self@example.test"}),
    Row("GET", "/password-reset/<token>", "/password-reset/not-a-token", every(404)),
    Row("POST", "/password-reset/<token>", "/password-reset/not-a-token", every(404),
        {"password": "purple tractor sunrise"}),
    Row("GET", "/account", "/account", signed_in(200)),
    Row("GET", "/account/password", "/account/password", signed_in(200)),
    Row("POST", "/account/password", "/account/password", signed_in(302),
        {"current_password": TEST_PASSWORD, "password": "purple tractor sunrise"}),
    Row("GET", "/account/email", "/account/email", signed_in(200)),
    Row("POST", "/account/email", "/account/email", signed_in(302), {"email": "changed@example.test"}),
    Row("GET", "/account/two-step", "/account/two-step", signed_in(200)),
    Row("POST", "/account/two-step", "/account/two-step", signed_in(422), {"code": "000000"}),
    Row("POST", "/account/two-step/off", "/account/two-step/off", signed_in(302), {"code": "000000"}),
    Row("POST", "/account/name", "/account/name", (SIGN_IN, 422, 422, 404, 404, 404, 404),
        {"display_name": "王秀英", "version": "999"}),
    Row("GET", "/account/confirm", "/account/confirm", signed_in(200)),
    Row("POST", "/account/confirm", "/account/confirm", signed_in(401), {"secret": "not it"}),
    # Without a password step just before it, everyone is sent back to sign in.
    Row("GET", "/sign-in/two-step", "/sign-in/two-step", every(SIGN_IN)),
    Row("POST", "/sign-in/two-step", "/sign-in/two-step", every(SIGN_IN), {"code": "000000"}),
    Row("POST", "/admin/users/<uuid:user_id>/two-step/reset", "/admin/users/{victim}/two-step/reset",
        ADMIN_PAGE(302)),
    Row("GET", "/account/email/<token>", "/account/email/not-a-token", every(404)),
    Row("POST", "/account/email/<token>", "/account/email/not-a-token", every(404)),
    Row("GET", "/courses", "/courses", every(200), catalogue=True),
    Row("GET", "/courses/<slug>", "/courses/getting-started", every(200), catalogue=True),
    Row("GET", "/courses/<slug>/lessons/<lesson_slug>", "/courses/getting-started/lessons/switching-on-and-off",
        every(200), catalogue=True),
    Row("GET", "/courses/<slug>/images/<path:filename>", "/courses/getting-started/images/none.png", every(404),
        catalogue=True),
    Row("GET", "/courses/<slug>/check", "/courses/getting-started/check", every(200), catalogue=True),
    Row("POST", "/courses/<slug>/check", "/courses/getting-started/check", every(422), {}, catalogue=True),
    Row("POST", "/courses/<slug>/enrol", "/courses/getting-started/enrol", LEARNER_PAGE(302), catalogue=True),
    Row("POST", "/courses/<slug>/leave", "/courses/getting-started/leave", LEARNER_PAGE(302), catalogue=True),
    Row("POST", "/courses/<slug>/lessons/<lesson_slug>/done",
        "/courses/getting-started/lessons/switching-on-and-off/done", LEARNER_PAGE(302), catalogue=True),
    Row("GET", "/my-learning", "/my-learning", LEARNER_PAGE(200), catalogue=True),
    Row("GET", "/skills-check", "/skills-check", LEARNER_PAGE(200), catalogue=True),
    Row("POST", "/skills-check", "/skills-check", LEARNER_PAGE(422), {}, catalogue=True),
    Row("GET", "/staff", "/staff?q=khan", STAFF_PAGE(200)),
    Row("GET", "/staff/certificates", "/staff/certificates", STAFF_PAGE(200)),
    Row("GET", "/staff/residents/new", "/staff/residents/new", STAFF_PAGE(200)),
    Row("POST", "/staff/residents/new", "/staff/residents/new", STAFF_PAGE(200),
        {"given_name": "Grace", "family_name": "Mensah", "consent_method": "paper",
         "privacy_notice_version": "2026-11"}),
    Row("GET", "/staff/residents/lookup", "/staff/residents/lookup?learner_number={number}", STAFF_PAGE(200)),
    Row("GET", "/staff/residents/<learner_id>", f"/staff/residents/{L}", OWN_RESIDENT_PAGE(200)),
    Row("POST", "/staff/residents/<learner_id>/pin", f"/staff/residents/{L}/pin", OWN_RESIDENT_PAGE(200)),
    Row("POST", "/staff/residents/<learner_id>/enrolments", f"/staff/residents/{L}/enrolments",
        OWN_RESIDENT_PAGE(302), {"course": "using-email"}, catalogue=True),
    Row("POST", "/staff/residents/<learner_id>/progress", f"/staff/residents/{L}/progress", OWN_RESIDENT_PAGE(302),
        {"course": "getting-started", "lesson": "touch-and-typing"}, catalogue=True),
    Row("GET", "/staff/residents/<learner_id>/edit", f"/staff/residents/{L}/edit", OWN_RESIDENT_PAGE(200)),
    # A stale version: refused with the form again, nothing saved.
    Row("POST", "/staff/residents/<learner_id>/edit", f"/staff/residents/{L}/edit", OWN_RESIDENT_PAGE(422),
        {"given_name": "Grace", "family_name": "Mensah", "display_name": "Grace Mensah", "version": "999"}),
    Row("POST", "/staff/residents/<learner_id>/unlock", f"/staff/residents/{L}/unlock", OWN_RESIDENT_PAGE(302)),
    Row("POST", "/staff/residents/<learner_id>/card", f"/staff/residents/{L}/card", OWN_RESIDENT_PAGE(200)),
    Row("POST", "/staff/residents/<learner_id>/link", f"/staff/residents/{L}/link", STAFF_PAGE(302),
        lambda p: {"branch_id": str(p["branch_of_actor"])}),
    Row("POST", "/staff/device-tokens", "/staff/device-tokens", STAFF_PAGE(200), {"name": "Laptop"}),
    Row("POST", "/staff/device-tokens/<uuid:token_id>/revoke", f"/staff/device-tokens/{uuid.uuid4()}/revoke",
        STAFF_PAGE(404)),
    Row("GET", "/admin", "/admin", ADMIN_PAGE(200)),
    Row("GET", "/admin/audit", "/admin/audit", ADMIN_PAGE(200)),
    Row("GET", "/admin/translations", "/admin/translations", ADMIN_PAGE(200)),
    Row("GET", "/admin/audio", "/admin/audio", ADMIN_PAGE(200)),
    Row("GET", "/courses/<slug>/check/audio/<int:order>/<language>.opus", "/courses/using-email/check/audio/0/en.opus",
        every(404), catalogue=True),
    Row("GET", "/skills-check/audio/<language>.opus", "/skills-check/audio/en.opus", LEARNER_PAGE(404)),
    Row("GET", "/courses/<slug>/lessons/<lesson_slug>/audio/<language>.opus",
        "/courses/using-email/lessons/what-email-is/audio/en.opus", every(404), catalogue=True),
    Row("GET", "/admin/users", "/admin/users", ADMIN_PAGE(200)),
    Row("GET", "/admin/places", "/admin/places", ADMIN_PAGE(200)),
    Row("POST", "/admin/places", "/admin/places", ADMIN_PAGE(302), {"kind": "branch", "name": "Eastside Library"}),
    Row("GET", "/admin/branches/<uuid:branch_id>", "/admin/branches/{branch}", ADMIN_PAGE(200)),
    Row("POST", "/admin/branches/<uuid:branch_id>", "/admin/branches/{branch}", ADMIN_PAGE(302),
        {"name": "Home Library", "address": "1 Library Walk\nManchester M2 5XX", "phone": "0161 496 0001",
         "opening_hours": "Monday to Friday, 9am to 7pm"}),
    Row("POST", "/admin/users", "/admin/users", ADMIN_PAGE(302),
        {"given_name": "New", "family_name": "Admin", "email": "new-admin@example.test", "role": "admin"}),
    Row("POST", "/admin/users/<uuid:user_id>/deactivate", "/admin/users/{victim}/deactivate", ADMIN_PAGE(302)),
    Row("POST", "/admin/jobs/<uuid:job_id>/retry", f"/admin/jobs/{uuid.uuid4()}/retry", ADMIN_PAGE(302)),
    Row("GET", "/verify", "/verify", every(200)),
    Row("GET", "/issuer", "/issuer", every(200)),
    Row("GET", "/issuer/status/revocation", "/issuer/status/revocation", every(200)),
    Row("GET", "/api/v1/certificates/<code>/credential", "/api/v1/certificates/{code}/credential",
        OWN_LEARNER_API(202), certificate=True),
    Row("GET", "/verify/<code>", "/verify/{code}", every(200), certificate=True),
    Row("GET", "/certificates/<code>.pdf", "/certificates/{code}.pdf", (SIGN_IN, 202, 404, 202, 404, 404, 202),
        certificate=True),
    Row("POST", "/certificates/<code>/name", "/certificates/{code}/name", (SIGN_IN, 302, 404, 404, 404, 404, 404),
        {"hide_name": "yes"}, certificate=True),
    Row("GET", "/admin/certificates", "/admin/certificates", ADMIN_PAGE(200), catalogue=True),
    Row("POST", "/admin/certificates", "/admin/certificates", ADMIN_PAGE(302),
        {"learner_number": "DEM0-001D", "course": "using-email", "completed_on": "2026-11-01",
         "reason": "Paper form from the outreach session"}, catalogue=True),
    Row("GET", "/admin/certificates/<code>", "/admin/certificates/{code}", ADMIN_PAGE(200), certificate=True),
    Row("GET", "/admin/certificates/find", "/admin/certificates/find?q={code}", ADMIN_PAGE(200), certificate=True),
    Row("POST", "/admin/certificates/<code>", "/admin/certificates/{code}", ADMIN_PAGE(302),
        {"action": "revoke", "reason": "Issued by mistake"}, certificate=True),
    Row("GET", "/api/v1/verify/<code>", "/api/v1/verify/{code}", every(200), certificate=True),
    Row("GET", "/api/v1/certificates", "/api/v1/certificates", signed_in(200), certificate=True),
    Row("GET", "/api/v1/certificates/<code>", "/api/v1/certificates/{code}", OWN_LEARNER_API(200),
        certificate=True),
    Row("POST", "/api/v1/certificates/<code>/revoke", "/api/v1/certificates/{code}/revoke",
        (SIGN_IN, 403, 403, 403, 403, 403, 200), {"reason": "Issued by mistake"}, certificate=True),
    Row("POST", "/api/v1/certificates/<code>/reinstate", "/api/v1/certificates/{code}/reinstate",
        (SIGN_IN, 403, 403, 403, 403, 403, 409), {"reason": "It was right after all"}, certificate=True),
    Row("POST", "/api/v1/certificates/<code>/reissue", "/api/v1/certificates/{code}/reissue",
        (SIGN_IN, 403, 403, 403, 403, 403, 201), {"reason": "Name changed"}, certificate=True),
    Row("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", every(200)),
    Row("GET", "/api/v1/privacy-notice", "/api/v1/privacy-notice", every(200)),
    Row("GET", "/api/v1/courses", "/api/v1/courses", every(200), catalogue=True),
    Row("GET", "/api/v1/courses/<slug>", "/api/v1/courses/getting-started", every(200), catalogue=True),
    Row("POST", "/api/v1/tokens", "/api/v1/tokens", every(401), {"username": "nobody@example.test", "password": "x"}),
    Row("DELETE", "/api/v1/tokens/current", "/api/v1/tokens/current", signed_in(204)),
    Row("GET", "/api/v1/me", "/api/v1/me", signed_in(200)),
    Row("POST", "/api/v1/learners", "/api/v1/learners", STAFF_API(201),
        lambda p: new_learner_body(given_name=f"Person {uuid.uuid4().hex[:6]}")),
    Row("GET", "/api/v1/learners", "/api/v1/learners?q=khan", STAFF_API(200)),
    Row("GET", "/api/v1/learners/lookup", "/api/v1/learners/lookup?learner_number={number}", STAFF_API(200)),
    Row("GET", "/api/v1/learners/<learner_id>", f"/api/v1/learners/{L}", (SIGN_IN, 200, 404, 200, 404, 404, 200)),
    Row("PATCH", "/api/v1/learners/<learner_id>", f"/api/v1/learners/{L}", (SIGN_IN, 404, 404, 200, 404, 404, 200),
        {"postcode": "B33 8TH", "version": 1}),
    Row("POST", "/api/v1/enrolments", "/api/v1/enrolments", OWN_LEARNER_API(200),
        lambda p: {"course": "getting-started", "learner_id": str(p["learner_self"].id)}, catalogue=True),
    Row("GET", "/api/v1/me/enrolments", "/api/v1/me/enrolments", signed_in(200), catalogue=True),
    Row("GET", "/api/v1/learners/<learner_id>/enrolments", f"/api/v1/learners/{L}/enrolments",
        OWN_LEARNER_API(200), catalogue=True),
    Row("POST", "/api/v1/progress", "/api/v1/progress", OWN_LEARNER_API(201),
        lambda p: {"event_id": str(uuid.uuid4()), "course": "getting-started", "lesson": "switching-on-and-off",
                   "learner_id": str(p["learner_self"].id), "assisted": False}, catalogue=True),
    Row("POST", "/api/v1/courses/<slug>/check", "/api/v1/courses/getting-started/check", every(422),
        {"answers": {}}, catalogue=True),
    Row("POST", "/api/v1/learners/<learner_id>/branches", f"/api/v1/learners/{L}/branches", STAFF_API(200),
        lambda p: {"branch_id": str(p["branch_of_actor"] or uuid.uuid4())}),
    # The directory and referrals
    Row("GET", "/services", "/services?near=M13", every(200), referral=True),
    Row("GET", "/services/<uuid:service_id>", "/services/{service}", every(200), referral=True),
    Row("GET", "/provider/services/<uuid:service_id>/edit", "/provider/services/{service}/edit",
        (SIGN_IN, 404, 404, 404, 404, 200, 200), referral=True),
    Row("POST", "/provider/services/<uuid:service_id>/edit", "/provider/services/{service}/edit",
        (SIGN_IN, 404, 404, 404, 404, 302, 302), SERVICE_FORM, referral=True),
    Row("GET", "/admin/directory", "/admin/directory", ADMIN_PAGE(200)),
    Row("POST", "/admin/directory", "/admin/directory", ADMIN_PAGE(422)),
    Row("GET", "/admin/providers", "/admin/providers", ADMIN_PAGE(200), referral=True),
    Row("GET", "/api/v1/services", "/api/v1/services?near=m139pl", every(200), referral=True),
    Row("GET", "/api/v1/hsds/services", "/api/v1/hsds/services", every(200), referral=True),
    Row("GET", "/api/v1/hsds/services/<service_id>", "/api/v1/hsds/services/{service}", every(200), referral=True),
    Row("GET", "/referrals", "/referrals", (SIGN_IN, 200, 200, 200, 200, 302, 200), referral=True),
    Row("GET", "/referrals/new", "/referrals/new?service={service}&learner={learner}", REFERRER_FORM(200),
        referral=True),
    Row("POST", "/referrals/new", "/referrals/new?service={service2}&learner={learner}", REFERRER_FORM(303),
        lambda p: {"client_id": str(uuid.uuid4()), "need": "Smartphone basics", "permission": "yes",
                   "method": "in_person", "contact_route": "branch"}, referral=True),
    Row("GET", "/provider", "/provider", (SIGN_IN, 404, 404, 404, 404, 200, 404), referral=True),
    Row("GET", "/referrals/<uuid:referral_id>", "/referrals/{referral}", REFERRAL_PAGE, referral=True),
    Row("POST", "/referrals/<uuid:referral_id>/transitions", "/referrals/{referral}/transitions",
        (SIGN_IN, 303, 404, 303, 404, 403, 303), {"to": "withdrawn", "version": "1"}, referral=True),
    Row("POST", "/sharing/<uuid:permission_id>/withdraw", "/sharing/{permission}/withdraw", REFERRER_FORM(303),
        referral=True),
    Row("POST", "/api/v1/referrals", "/api/v1/referrals", (SIGN_IN, 201, 404, 201, 404, 403, 201),
        lambda p: {"client_id": str(uuid.uuid4()), "learner_id": str(p["learner_self"].id),
                   "service_id": str(p["service2"]), "need": "Smartphone basics",
                   "consent": {"given_by": "learner" if p["role"].startswith("learner") else "staff_on_behalf",
                               "method": "in_person", "privacy_notice_version": "2026-11",
                               "recipient_organisation_id": str(p["organisation"])}}, referral=True),
    Row("GET", "/api/v1/referrals", "/api/v1/referrals", signed_in(200), referral=True),
    Row("GET", "/api/v1/referrals/<referral_id>", "/api/v1/referrals/{referral}", REFERRAL_PAGE, referral=True),
    Row("POST", "/api/v1/referrals/<referral_id>/transitions", "/api/v1/referrals/{referral}/transitions",
        (SIGN_IN, 403, 404, 403, 404, 200, 403), {"to": "accepted", "version": 1}, referral=True),
    # Outreach: the offline page, sync, attendance and suspected duplicates
    Row("GET", "/staff/outreach", "/staff/outreach", STAFF_PAGE(200)),
    Row("GET", "/staff/outreach-sw.js", "/staff/outreach-sw.js", every(200)),
    Row("GET", "/staff/outreach/sessions", "/staff/outreach/sessions", STAFF_PAGE(200)),
    Row("GET", "/staff/duplicates", "/staff/duplicates", STAFF_PAGE(200)),
    Row("POST", "/staff/duplicates/<uuid:duplicate_id>", f"/staff/duplicates/{uuid.uuid4()}", STAFF_PAGE(404),
        {"action": "keep_both"}),
    Row("POST", "/api/v1/sync", "/api/v1/sync", STAFF_API(200), {"device_id": "laptop", "operations": []}),
    Row("POST", "/api/v1/learners/pins", "/api/v1/learners/pins", (SIGN_IN, 403, 403, 200, 404, 403, 200),
        lambda p: {"learner_ids": [str(p["learner_self"].id)]}),
    Row("POST", "/staff/pins", "/staff/pins", OWN_RESIDENT_PAGE(200),
        lambda p: {"learner_id": str(p["learner_self"].id)}),
    Row("GET", "/api/v1/duplicates", "/api/v1/duplicates", STAFF_API(200)),
    Row("POST", "/api/v1/duplicates/<duplicate_id>/resolve", f"/api/v1/duplicates/{uuid.uuid4()}/resolve",
        (SIGN_IN, 403, 403, 404, 404, 403, 404), {"action": "keep_both"}),
    # Data protection
    Row("GET", "/account/data.zip", "/account/data.zip", LEARNER_PAGE(200)),
    Row("GET", "/account/delete", "/account/delete", LEARNER_PAGE(200)),
    Row("POST", "/account/delete", "/account/delete", LEARNER_PAGE(303)),
    Row("GET", "/staff/residents/<learner_id>/data.zip", f"/staff/residents/{L}/data.zip", OWN_RESIDENT_PAGE(200)),
    Row("GET", "/admin/deletions", "/admin/deletions", ADMIN_PAGE(200)),
    Row("POST", "/admin/deletions/<uuid:request_id>", f"/admin/deletions/{uuid.uuid4()}", ADMIN_PAGE(404),
        {"action": "erase"}),
    Row("POST", "/admin/residents/<learner_id>/erase", f"/admin/residents/{L}/erase", ADMIN_PAGE(303),
        {"reason": "Asked in person"}),
    Row("GET", "/api/v1/learners/<learner_id>/export", f"/api/v1/learners/{L}/export", OWN_LEARNER_API(200)),
    Row("POST", "/api/v1/learners/<learner_id>/erase", f"/api/v1/learners/{L}/erase",
        (SIGN_IN, 403, 403, 403, 403, 403, 200), {"reason": "Asked in person"}),
    # Reports
    Row("GET", "/reports", "/reports", STAFF_PAGE(200)),
    Row("GET", "/reports/<breakdown>.csv", "/reports/by_branch.csv", STAFF_PAGE(200)),
    Row("GET", "/api/v1/reports/summary", "/api/v1/reports/summary", STAFF_API(200)),
    # Importing sign-up sheets (CSV)
    Row("GET", "/staff/imports", "/staff/imports", STAFF_PAGE(200)),
    Row("POST", "/staff/imports", "/staff/imports", STAFF_PAGE(422), {}),  # no file: the form again, with the error
    Row("GET", "/staff/imports/template.csv", "/staff/imports/template.csv", STAFF_PAGE(200)),
    Row("GET", "/staff/imports/<uuid:import_id>", f"/staff/imports/{uuid.uuid4()}", STAFF_PAGE(404)),
    Row("POST", "/staff/imports/<uuid:import_id>/confirm", f"/staff/imports/{uuid.uuid4()}/confirm", STAFF_PAGE(404)),
    Row("POST", "/api/v1/imports/learners", "/api/v1/imports/learners", STAFF_API(422)),
    Row("GET", "/api/v1/imports/<import_id>/report.csv", f"/api/v1/imports/{uuid.uuid4()}/report.csv",
        (SIGN_IN, 403, 403, 404, 404, 403, 404)),
]


def test_every_route_has_a_row(app):
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    rows = {(row.method, row.rule) for row in ROWS}
    assert routes - rows == set(), "add these routes to the permission matrix"
    assert rows - routes == set(), "these rows name routes that no longer exist"


@pytest.fixture
def people(app, request, make_branch, make_user, make_service, make_referral, catalogue_if_needed):
    home, elsewhere = make_branch("Home Library"), make_branch("Other Library")
    row = request.node.callspec.params["row"]
    service = make_service() if row.referral else None
    people = {
        "learner_self": make_user(Role.LEARNER, email="self@example.test", learner_number="DEM0001D", pin="246810",
                                  given_name="Mohammed", family_name="Khan", branches=[home]),
        "learner_other": make_user(Role.LEARNER, branches=[elsewhere]),
        "staff_own": make_user(Role.STAFF, branches=[home]),
        "staff_other": make_user(Role.STAFF, branches=[elsewhere]),
        "provider": make_user(Role.PROVIDER, organisation_id=service.organisation_id) if service
        else make_user(Role.PROVIDER),
        "admin": make_user(Role.ADMIN),
        "victim": make_user(Role.STAFF, email="victim@example.test", branches=[home]),
    }
    people["branches"] = {"staff_own": home.id, "staff_other": elsewhere.id, "admin": home.id}
    if service:
        referral = make_referral(people["staff_own"], people["learner_self"], service)
        people.update(service=service.id, organisation=service.organisation_id, referral=referral.id,
                      permission=referral.permission_id,
                      service2=make_service(organisation_id=service.organisation_id).id)
    if request.node.callspec.params["row"].catalogue:  # the resident has started a course
        from skills_hub.accounts.models import User
        from skills_hub.courses.services import get_course
        from skills_hub.extensions import db
        from skills_hub.learning.services import enrol

        with app.app_context():
            enrolment, _ = enrol(db.session.get(User, people["learner_self"].id), get_course("getting-started"))
            if request.node.callspec.params["row"].certificate:
                from skills_hub.certificates.services import issue
                from skills_hub.extensions import utcnow

                people["code"] = issue(learner=db.session.get(User, people["learner_self"].id),
                                       course=get_course("getting-started"), enrolment_id=enrolment.id,
                                       awarded_at=utcnow(), assisted=False).code
            db.session.commit()
    return people


@pytest.fixture
def catalogue_if_needed(request):
    if request.node.callspec.params["row"].catalogue:
        request.getfixturevalue("catalogue")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[f"{row.method} {row.rule}" for row in ROWS])
def test_the_matrix(app, client, bearer, people, row, role):
    expected = row.expect[ROLES.index(role)]
    actor = people.get(role)
    learner = people["learner_self"]
    path = row.path.format(learner=learner.id, number="DEM0-001D", victim=people["victim"].id,
                           code=people.get("code", ""), service=people.get("service"),
                           referral=people.get("referral"), permission=people.get("permission"),
                           service2=people.get("service2"), branch=people["branches"]["staff_own"])
    headers, data, json = {}, None, None
    body = row.body(dict(people, branch_of_actor=people["branches"].get(role), role=role)) if callable(row.body) \
        else row.body
    if row.rule.startswith("/api/"):
        if actor:
            headers = bearer(actor)
        json = body if row.method in {"POST", "PATCH"} else None
    else:
        if actor:
            with client.session_transaction() as session:
                session["_user_id"] = actor.get_id()
                session["confirmed_at"] = int(time.time())  # signed in just now, as sessions.start records
        if row.form:
            data = {"csrf_token": csrf_token_from(client.get("/sign-in").text), **(body or {})}
    response = client.open(path, method=row.method, headers=headers, data=data, json=json)
    if expected == SIGN_IN:
        if row.rule.startswith("/api/"):
            assert response.status_code == 401, response.get_data(as_text=True)[:300]
        else:
            assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
        return
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    if response.status_code == 302:
        assert not response.headers["Location"].startswith("/sign-in"), "signed in, so never sent to sign in"
    if expected == 404 and row.rule.startswith("/api/"):
        detail = response.json["detail"]
        assert any(words in detail for words in ("no resident", "no certificate", "no referral", "no service",
                                                 "no suspected duplicate", "nothing at this address"))
    response.close()


# The language chooser only sets how pages read, and works on a page left open past its form's token (docs/api.md).
CSRF_EXEMPT_FORMS = {("POST", "/language")}


@pytest.mark.parametrize("row", [row for row in ROWS if row.form and (row.method, row.rule) not in CSRF_EXEMPT_FORMS],
                         ids=lambda row: f"{row.method} {row.rule}")
def test_every_form_post_without_a_csrf_token_is_refused(client, people, row):
    with client.session_transaction() as session:
        session["_user_id"] = people["admin"].get_id()
    path = row.path.format(learner=people["learner_self"].id, number="DEM0-001D", victim=people["victim"].id,
                           code=people.get("code", "ABCD-EFGH-JKMN"), service=people.get("service"),
                           referral=people.get("referral"), permission=people.get("permission"),
                           service2=people.get("service2"), branch=people["branches"]["staff_own"])
    response = client.open(path, method=row.method, data=row.body if isinstance(row.body, dict) else {})
    assert response.status_code == 400 and "The form had expired" in response.get_data(as_text=True)
    response.close()


def test_a_refusal_names_what_was_refused(client, bearer, make_user, make_branch, staff_in):
    staff = staff_in(make_branch("Central"))
    learner = make_user(Role.LEARNER)
    erase = client.post(f"/api/v1/learners/{learner.id}/erase", headers=bearer(staff))
    assert erase.status_code == 403 and "erase a resident's data" in erase.json["detail"]
    revoke = client.post("/api/v1/certificates/ABCD-EFGH-JKMN/revoke", json={"reason": "Issued in error"},
                         headers=bearer(staff))
    assert revoke.status_code == 403 and "revoke, reinstate or re-issue certificates" in revoke.json["detail"]
