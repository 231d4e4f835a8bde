"""Configuration from SKILLS_HUB_* variables: safe defaults, and a production start that refuses to be unsafe."""

import os
import subprocess
import sys

import pytest

from skills_hub import create_app
from skills_hub.config import PROJECT_ROOT, Config, ConfigError

PRODUCTION = {"SKILLS_HUB_ENV": "production", "SKILLS_HUB_SMTP_HOST": "smtp.example.test",
              "SKILLS_HUB_DATABASE_URL": "sqlite://", "SKILLS_HUB_SIGNING_KEY": "ab" * 32}


def test_development_defaults_use_sqlite_under_instance_and_allow_demo():
    config = Config({})
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.SQLALCHEMY_DATABASE_URI.endswith("instance/skills_hub.sqlite3")
    assert config.DEMO_ENABLED and not config.SESSION_COOKIE_SECURE
    assert config.MAX_CONTENT_LENGTH == 5 * 1024 * 1024
    assert config.PASSWORD_HASH_METHOD == "scrypt"


@pytest.mark.parametrize("secret", [None, "", "too-short", "x" * 31])
def test_production_refuses_to_start_without_a_32_byte_secret_key(secret):
    env = dict(PRODUCTION)
    if secret is not None:
        env["SKILLS_HUB_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="SKILLS_HUB_SECRET_KEY"):
        create_app(env=env)


def test_production_with_a_real_key_is_locked_down():
    config = Config({**PRODUCTION, "SKILLS_HUB_SECRET_KEY": "k" * 32})
    assert config.SESSION_COOKIE_SECURE and config.SESSION_COOKIE_HTTPONLY and config.REMEMBER_COOKIE_SECURE
    assert not config.DEMO_ENABLED, "production never loads demo data"
    assert config.LOG_FORMAT == "json"


def test_production_needs_an_smtp_server():
    with pytest.raises(ConfigError, match="SKILLS_HUB_SMTP_HOST"):
        Config({"SKILLS_HUB_ENV": "production", "SKILLS_HUB_SECRET_KEY": "k" * 32})


def test_production_needs_a_signing_key_and_a_well_formed_one():
    env = {key: value for key, value in PRODUCTION.items() if key != "SKILLS_HUB_SIGNING_KEY"}
    with pytest.raises(ConfigError, match="SKILLS_HUB_SIGNING_KEY"):
        Config({**env, "SKILLS_HUB_SECRET_KEY": "k" * 32})
    with pytest.raises(ConfigError, match="64 hex characters"):
        Config({**env, "SKILLS_HUB_SECRET_KEY": "k" * 32, "SKILLS_HUB_SIGNING_KEY": "not hex"})


def test_an_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="SKILLS_HUB_ENV"):
        Config({"SKILLS_HUB_ENV": "prod"})


def test_production_sends_hsts_and_secure_cookies():
    app = create_app(env={**PRODUCTION, "SKILLS_HUB_SECRET_KEY": "k" * 32})
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def _refused_start(command: list[str], **settings: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SKILLS_HUB_", "FLASK_"))}
    env.update({"GUNICORN_BIND": "127.0.0.1:0", "WEB_CONCURRENCY": "1", **settings})
    return subprocess.run([sys.executable, "-m", *command], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("command", [["flask", "--app", "wsgi:app", "routes"],
                                     ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]], ids=["flask", "gunicorn"])
@pytest.mark.parametrize(("settings", "reason"), [
    ({"SKILLS_HUB_ENV": "production"}, "SKILLS_HUB_SECRET_KEY must be set to at least 32 random bytes"),
    ({**PRODUCTION, "SKILLS_HUB_SECRET_KEY": "k" * 32, "SKILLS_HUB_SIGNING_KEY": "not hex"},
     "SKILLS_HUB_SIGNING_KEY must be 64 hex characters"),
], ids=["no secret key", "bad signing key"])
def test_a_refused_start_says_why_in_one_line_without_a_traceback(command, settings, reason):
    result = _refused_start(command, **settings)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr
    refusals = [line for line in result.stderr.splitlines() if line.startswith("Skills Hub will not start: ")]
    assert len(refusals) == 1 and reason in refusals[0]


def test_gunicorn_stops_instead_of_starting_workers_again_when_the_app_is_loaded_in_each_worker():
    result = _refused_start(["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], SKILLS_HUB_ENV="production",
                            GUNICORN_PRELOAD="0")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "App failed to load" in result.stderr
    assert result.stderr.count("Skills Hub will not start: SKILLS_HUB_SECRET_KEY") == 1
