"""Configuration from SKILLS_HUB_* variables: safe defaults, and a production start that refuses to be unsafe."""

import pytest

from skills_hub import create_app
from skills_hub.config import Config, ConfigError

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
