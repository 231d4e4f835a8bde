"""A certificate's status wherever it appears (issue 15): My learning, the public check page, the staff resident
page, the admins' search, the API and the programme's figures."""

from __future__ import annotations

import re

from sqlalchemy import select

from skills_hub.accounts.models import Branch, BranchMember, Role, User
from skills_hub.certificates import services as certificates
from skills_hub.certificates.models import Certificate, CertificateEvent
from skills_hub.courses.services import get_course
from skills_hub.extensions import db, utcnow
from skills_hub.learning.models import Enrolment
from tests.conftest import TEST_PASSWORD
from tests.test_accounts import sign_in
from tests.test_certificates import completed  # noqa: F401 (a fixture)
from tests.test_reports import MARCH, _summary, seed  # noqa: F401 (a fixture)

ACTIONS = ("Download certificate (PDF)", "Check code: ", "Add to LinkedIn", "Digital badge file")


def revoke(client, bearer, make_user, code: str, reason: str = "Issued by mistake") -> None:
    response = client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": reason},
                           headers=bearer(make_user(Role.ADMIN)))
    assert response.status_code == 200


def withdraw(app, code: str) -> None:
    """As the erasure does: the certificate is withdrawn at the holder's request."""
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code.replace("-", "")))
        certificate.status = "withdrawn"
        db.session.add(CertificateEvent(certificate_id=certificate.id, kind="withdrawn", reason="At their request"))
        db.session.commit()


def completed_block(page: str) -> str:
    return page[page.index("Courses you have completed"):page.index("Check your skills")]


def test_my_learning_lays_a_completed_course_out_as_a_short_list_of_plain_actions(client, completed):  # noqa: F811
    _, code = completed
    sign_in(client, method="email", email="l@example.test", password=TEST_PASSWORD)
    block = completed_block(client.get("/my-learning").text)
    assert re.search(r"<h3><a [^>]+>Using email</a></h3>\s*<p>Completed on \d{1,2} \w+ \d{4}</p>", block)
    items = re.findall(r"<li>(.*?)</li>", block[block.index('class="certificate-actions"'):], re.S)[:4]
    assert [" ".join(re.sub(r"<[^>]+>", " ", item).split()).split(" for ")[0] for item in items] == [
        "Download certificate (PDF)", f"Check code: {code}", "Add to LinkedIn", "Digital badge file"]
    assert "Open Badges" not in block and "3.0" not in block


def test_a_revoked_certificate_on_my_learning_offers_nothing_and_says_to_ask_the_library(
        client, completed, make_user, bearer):  # noqa: F811
    _, code = completed
    revoke(client, bearer, make_user, code, "The quiz was done by someone else")
    sign_in(client, method="email", email="l@example.test", password=TEST_PASSWORD)
    block = completed_block(client.get("/my-learning").text)
    assert "Completed on" in block
    assert not any(action in block for action in ACTIONS)
    assert f"/certificates/{code}.pdf" not in block and "linkedin" not in block and "/credential" not in block
    assert "Your certificate for this course was taken back." in block and "It is not valid now" in block
    assert "Why: The quiz was done by someone else" in block
    assert "ask the staff at your library" in block


def test_the_course_page_gives_the_valid_code_and_says_when_the_certificate_was_taken_back(
        app, client, completed, make_user, bearer):  # noqa: F811
    _, code = completed
    new = client.post(f"/api/v1/certificates/{code}/reissue", json={"reason": "Name changed"},
                      headers=bearer(make_user(Role.ADMIN))).json["code"]
    sign_in(client, method="email", email="l@example.test", password=TEST_PASSWORD)
    page = client.get("/courses/using-email").text
    assert f"Your certificate code is <strong class=\"code\">{new}</strong>" in page and code not in page
    revoke(app.test_client(), bearer, make_user, new)
    page = client.get("/courses/using-email").text
    assert "Your certificate for this course was taken back." in page and new not in page


def test_the_check_page_warns_plainly_about_a_withdrawn_certificate_and_points_past_a_replaced_one(
        app, client, completed, make_user, bearer):  # noqa: F811
    learner, code = completed
    withdraw(app, code)
    page = client.get(f"/verify/{code}").text
    assert 'class="result-panel result-invalid" role="alert"' in page
    assert "This certificate is not valid" in page
    assert re.search(r"It was withdrawn at the holder's request on \d{1,2} \w+ \d{4}\.", page)
    assert "genuine" not in page
    with app.app_context():  # a second certificate, replaced by a re-issue: no warning, a pointer
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.learner_id == learner.id))
        second = certificates.issue(learner=db.session.get(User, learner.id), course=get_course("using-email"),
                                    enrolment_id=enrolment.id, awarded_at=utcnow(), assisted=False)
        db.session.commit()
        old_code = second.code
    new = client.post(f"/api/v1/certificates/{old_code}/reissue", json={"reason": "Name changed"},
                      headers=bearer(make_user(Role.ADMIN))).json["code"]
    page = client.get(f"/verify/{old_code}").text
    assert "This certificate was replaced by a newer one." in page and f"/verify/{new}" in page
    assert "result-invalid" not in page and "not valid" not in page


def test_certificates_in_the_api_carry_display_name_and_status(client, completed, make_user, bearer):  # noqa: F811
    learner, code = completed
    mine = client.get(f"/api/v1/certificates/{code}", headers=bearer(learner)).json
    assert mine["display_name"] == "Nguyễn Văn An" and mine["status"] == "valid"
    revoke(client, bearer, make_user, code)
    assert client.get("/api/v1/certificates", headers=bearer(learner)).json["items"][0]["status"] == "revoked"
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    [out] = [s for name, s in schema.items() if name.startswith("Certificate") and "pdf_url" in s["properties"]]
    assert {"display_name", "status"} <= set(out["properties"])


def staff_of_their_branch(app, learner, make_user) -> User:
    with app.app_context():
        branch = db.session.scalar(select(Branch).join(BranchMember, BranchMember.branch_id == Branch.id)
                                   .where(BranchMember.user_id == learner.id))
        return make_user(Role.STAFF, branches=[branch])


def test_staff_get_a_residents_certificates_from_their_page(app, client, completed, make_user,  # noqa: F811
                                                            login_as, bearer):
    learner, code = completed
    login_as(staff_of_their_branch(app, learner, make_user))
    page = client.get(f"/staff/residents/{learner.id}").text
    row = re.search(rf'<tr data-code="{code}">(.*?)</tr>', page, re.S).group(1)
    assert "Using email" in row and ">Valid<" in row and f'href="/certificates/{code}.pdf"' in row
    assert re.search(r"\d{1,2} \w+ \d{4}", row)
    assert client.get(f"/certificates/{code}.pdf").status_code in (200, 202)
    revoke(client, bearer, make_user, code)
    row = re.search(rf'<tr data-code="{code}">(.*?)</tr>', client.get(f"/staff/residents/{learner.id}").text,
                    re.S).group(1)
    assert "Revoked: not valid" in row and ".pdf" not in row
    login_as(make_user(Role.STAFF, branches=[]))
    assert client.get(f"/staff/residents/{learner.id}").status_code == 404


def test_admins_find_a_certificate_by_code_in_any_form_or_by_name(app, client, completed, make_user,  # noqa: F811
                                                                 login_as):
    _, code = completed
    login_as(make_user(Role.ADMIN))
    assert 'href="/admin/certificates/find"' in client.get("/admin").text
    for typed in (code, code.replace("-", "").lower(), f" {code.lower()} ", "văn an", "NGUYỄN"[:3]):
        page = client.get("/admin/certificates/find", query_string={"q": typed})
        assert page.status_code == 200 and f'href="/admin/certificates/{code}"' in page.text, typed
        assert "Nguyễn Văn An" in page.text and "Valid" in page.text
    nothing = client.get("/admin/certificates/find", query_string={"q": "Somebody Else"}).text
    assert "No certificate found" in nothing
    assert client.get("/admin/certificates/find", query_string={"q": "x" * 201}).status_code == 422
    assert client.get("/admin/certificates/find", query_string={"q": "a", "other": "b"}).status_code == 422
    login_as(make_user(Role.STAFF))
    assert client.get("/admin/certificates/find", query_string={"q": code}).status_code == 404


def test_admins_find_a_certificate_by_name_without_accents_case_spaces_or_apostrophes_in_any_order(
        app, client, completed, make_user, login_as):  # noqa: F811
    _, code = completed
    with app.app_context():  # the frozen name, not the resident's name today, is searched
        db.session.scalars(select(Certificate)).one().learner_name = "Siobhán Nguyễn Thị O'Brien"
        db.session.commit()
    login_as(make_user(Role.ADMIN))
    for typed in ("Nguyen", "Siobhan", "siobhan o'brien", "OBRIEN", "obrien siobhan", "NguyenThi", "thị nguyễn",
                  "SIOBHÁN"):
        page = client.get("/admin/certificates/find", query_string={"q": typed})
        assert page.status_code == 200 and f'href="/admin/certificates/{code}"' in page.text, typed
    for typed in ("Siobhan Smith", "Nguyen Van An", "Siobhan-X"):
        assert "No certificate found" in client.get("/admin/certificates/find", query_string={"q": typed}).text


def test_the_figures_count_no_revoked_certificate_and_a_reissued_one_once(app, client, bearer, make_branch,
                                                                          make_user, seed):  # noqa: F811
    made = seed(make_branch("Central"), 10, completed=10)
    with app.app_context():
        course = get_course("using-email")
        codes = []
        for person in made:
            learner = db.session.get(User, person.id)
            enrolment = db.session.scalar(select(Enrolment).where(Enrolment.learner_id == learner.id))
            codes.append(certificates.issue(learner=learner, course=course, enrolment_id=enrolment.id,
                                            awarded_at=MARCH, assisted=False).code)
        db.session.commit()
    report = _summary(client, bearer, make_user(Role.ADMIN))
    assert report["totals"]["certificates"] == 10
    revoke(client, bearer, make_user, codes[0])
    revoke(client, bearer, make_user, codes[1])
    withdraw(app, codes[2])
    reissued = client.post(f"/api/v1/certificates/{codes[3]}/reissue", json={"reason": "Name changed"},
                           headers=bearer(make_user(Role.ADMIN)))
    assert reissued.status_code == 201
    report = _summary(client, bearer, make_user(Role.ADMIN))
    # 10 issued, 2 revoked; the one withdrawn when its holder's data was erased still counts (erasure changes no
    # figure), and the re-issue counts once
    assert report["totals"]["certificates"] == 8
    assert {row["key"]: row["certificates"] for row in report["breakdowns"]["by_branch"]} == {"Central": 8}
    assert [row["certificates"] for row in report["breakdowns"]["by_month"]] == [8]
    client.post(f"/api/v1/certificates/{codes[0]}/reinstate", json={"reason": "Right after all"},
                headers=bearer(make_user(Role.ADMIN)))
    assert _summary(client, bearer, make_user(Role.ADMIN))["totals"]["certificates"] == 9
