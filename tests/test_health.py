"""/healthz and /readyz, including readiness failing when the database is behind or away."""

from skills_hub import migrate
from tests.conftest import free_port, make_test_app


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_at_the_migration_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["migration"] == migrate.head_revision()


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path):
    app = make_test_app(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none?connect_timeout=2", tmp_path)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "database does not answer" in response.get_json()["reason"]


def test_readyz_is_503_when_migrations_are_not_at_head(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "not at head" in response.get_json()["reason"]
