"""Demo data: loaded once, every role can sign in, never in production."""

from sqlalchemy import func, select

from skills_hub import create_app
from skills_hub.accounts.models import User
from skills_hub.demo import DEMO_LEARNER_NUMBER, DEMO_PASSWORD, DEMO_PIN, DEMO_USERS
from skills_hub.extensions import db
from tests.conftest import csrf_token_from


def test_demo_load_is_idempotent_and_prints_the_sign_ins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and "Demo data loaded." in first.output
    for email, *_ in DEMO_USERS:
        assert email in first.output
    assert "DEM0-001D" in first.output and DEMO_PIN in first.output
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
    second = runner.invoke(args=["demo", "load"])
    assert "already loaded" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == count == 7


def test_every_demo_sign_in_works(app, client):
    app.test_cli_runner().invoke(args=["demo", "load"])
    for email, *_ in DEMO_USERS:
        token = csrf_token_from(client.get("/sign-in").text)
        response = client.post("/sign-in", data={"csrf_token": token, "method": "email", "email": email,
                                                 "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        client.post("/sign-out", data={"csrf_token": csrf_token_from(client.get("/account").text)})
    token = csrf_token_from(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"csrf_token": token, "method": "pin",
                                             "learner_number": DEMO_LEARNER_NUMBER, "pin": DEMO_PIN})
    assert response.status_code == 302


def test_production_refuses_to_load_demo_data():
    app = create_app(env={"SKILLS_HUB_ENV": "production", "SKILLS_HUB_SECRET_KEY": "k" * 32,
                          "SKILLS_HUB_SIGNING_KEY": "ab" * 32,
                          "SKILLS_HUB_SMTP_HOST": "smtp.example.test", "SKILLS_HUB_DATABASE_URL": "sqlite://"})
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1 and "Demo data is off" in result.output


def test_the_demo_learner_without_email_has_a_course_under_way(app, client, catalogue):
    app.test_cli_runner().invoke(args=["demo", "load"])
    token = csrf_token_from(client.get("/sign-in").text)
    client.post("/sign-in", data={"csrf_token": token, "method": "pin", "learner_number": DEMO_LEARNER_NUMBER,
                                  "pin": DEMO_PIN})
    page = client.get("/my-learning").text
    assert "2 of 6 lessons done" in page and "Continue: Using a mouse and keyboard" in page


def test_the_demo_staff_dashboard_shows_someone_who_has_gone_quiet(app, client, catalogue):
    app.test_cli_runner().invoke(args=["demo", "load"])
    token = csrf_token_from(client.get("/sign-in").text)
    client.post("/sign-in", data={"csrf_token": token, "method": "email", "email": "staff@demo.skillshub.test",
                                  "password": DEMO_PASSWORD})
    quiet = client.get("/staff").text.split("Not active for 14 days")[1].split("<h2>")[0]
    assert "Olu Adeyemi" in quiet and "Mohammed Khan" not in quiet
