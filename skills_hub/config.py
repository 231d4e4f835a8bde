"""Configuration: one Config read from SKILLS_HUB_* environment variables, with safe development defaults."""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_KEY_BYTES = 32
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105


class ConfigError(RuntimeError):
    """The environment does not describe a safe configuration."""


# The exit status of a refused start: gunicorn's "App failed to load", so that its master stops rather than
# starting workers that fail again (with GUNICORN_PRELOAD=0); for `flask`, any non-zero status is a failure.
START_REFUSED = 4


def refuse_to_start(error: ConfigError) -> NoReturn:
    """Say in one line on stderr why the app will not start and what to set, and exit, without a traceback."""
    print(f"Skills Hub will not start: {error}", file=sys.stderr, flush=True)
    raise SystemExit(START_REFUSED)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for one app, read once from the environment."""

    def __init__(self, env: Mapping[str, str] | None = None, instance_path: Path | None = None):
        env = os.environ if env is None else env
        instance = Path(instance_path or PROJECT_ROOT / "instance")
        self.ENV_NAME = env.get("SKILLS_HUB_ENV", "development")
        if self.ENV_NAME not in {"development", "production"}:
            raise ConfigError("SKILLS_HUB_ENV must be 'development' or 'production'.")
        production = self.ENV_NAME == "production"

        self.SECRET_KEY = env.get("SKILLS_HUB_SECRET_KEY") or ("" if production else DEVELOPMENT_SECRET_KEY)
        if production and len(self.SECRET_KEY.encode()) < MIN_SECRET_KEY_BYTES:
            raise ConfigError(
                f"SKILLS_HUB_SECRET_KEY must be set to at least {MIN_SECRET_KEY_BYTES} random bytes in "
                "production, for example the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        self.SQLALCHEMY_DATABASE_URI = (env.get("SKILLS_HUB_DATABASE_URL")
                                        or f"sqlite:///{instance / 'skills_hub.sqlite3'}")
        # hide_parameters: a failed statement's error (and so the log) never shows the values, which can be names.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
        # SQLite only (the embedded default, shared by the web process and `flask jobs run`): how long a write waits
        # for the other process's write before it counts as locked (and is tried again).
        self.SQLITE_BUSY_TIMEOUT_SECONDS = float(env.get("SKILLS_HUB_SQLITE_BUSY_TIMEOUT_SECONDS") or "15")
        self.REDIS_URL = env.get("SKILLS_HUB_REDIS_URL") or None
        self.RQ_QUEUE = env.get("SKILLS_HUB_RQ_QUEUE", "skills-hub")
        # The port `make run PORT=5050` serves on: without SKILLS_HUB_BASE_URL, links, QR codes and emails use it.
        port = env.get("SKILLS_HUB_PORT") or "5000"
        if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise ConfigError("SKILLS_HUB_PORT must be a port number from 1 to 65535, for example 5050.")
        self.PORT = int(port)
        self.BASE_URL = env.get("SKILLS_HUB_BASE_URL", f"http://127.0.0.1:{self.PORT}").rstrip("/")
        self.ISSUER_NAME = env.get("SKILLS_HUB_ISSUER_NAME", "Skills Hub, the city council's digital skills programme")
        self.CONTENT_DIR = Path(env.get("SKILLS_HUB_CONTENT_DIR") or PROJECT_ROOT / "content" / "courses")
        self.SKILLS_CHECK_FILE = Path(env.get("SKILLS_HUB_SKILLS_CHECK_FILE")
                                      or PROJECT_ROOT / "content" / "skills-check.yaml")
        self.GLOSSARY_FILE = Path(env.get("SKILLS_HUB_GLOSSARY_FILE") or PROJECT_ROOT / "content" / "glossary.yaml")
        self.PRIVACY_DIR = Path(env.get("SKILLS_HUB_PRIVACY_DIR") or PROJECT_ROOT / "content" / "privacy")
        self.DEMO_DIRECTORY_FILE = PROJECT_ROOT / "content" / "directory" / "demo-providers.json"
        # Two-step verification for staff, provider and admin accounts: on in production unless turned off.
        self.REQUIRE_MFA = _flag(env.get("SKILLS_HUB_REQUIRE_MFA"), default=production)
        self.MAIL_DIR = Path(env.get("SKILLS_HUB_MAIL_DIR") or instance / "mail")
        self.MAIL_FROM = env.get("SKILLS_HUB_MAIL_FROM", "Skills Hub <no-reply@skillshub.test>")
        self.SMTP_HOST = env.get("SKILLS_HUB_SMTP_HOST") or None
        self.SMTP_PORT = int(env.get("SKILLS_HUB_SMTP_PORT", "587"))
        self.SMTP_USERNAME = env.get("SKILLS_HUB_SMTP_USERNAME") or None
        self.SMTP_PASSWORD = env.get("SKILLS_HUB_SMTP_PASSWORD") or None
        self.SMTP_STARTTLS = _flag(env.get("SKILLS_HUB_SMTP_STARTTLS"), default=production)
        if production and not self.SMTP_HOST:
            raise ConfigError("SKILLS_HUB_SMTP_HOST must be set in production, so that email is delivered.")
        # The Ed25519 seed (64 hex characters) that signs Open Badges credentials: from the variable, or a file.
        self.SIGNING_KEY = env.get("SKILLS_HUB_SIGNING_KEY") or None
        if not self.SIGNING_KEY and env.get("SKILLS_HUB_SIGNING_KEY_FILE"):
            self.SIGNING_KEY = Path(env["SKILLS_HUB_SIGNING_KEY_FILE"]).read_text().strip()
        if self.SIGNING_KEY and not re.fullmatch(r"[0-9a-fA-F]{64}", self.SIGNING_KEY):
            raise ConfigError("SKILLS_HUB_SIGNING_KEY must be 64 hex characters (an Ed25519 seed), for example the "
                              "output of: python -c 'import secrets; print(secrets.token_hex(32))'")
        if production and not self.SIGNING_KEY:
            raise ConfigError("SKILLS_HUB_SIGNING_KEY (or SKILLS_HUB_SIGNING_KEY_FILE) must be set in production, "
                              "so that certificates are signed with the same key on every server.")
        self.DEMO_ENABLED = not production and _flag(env.get("SKILLS_HUB_DEMO"), default=True)
        self.LOG_FORMAT = env.get("SKILLS_HUB_LOG_FORMAT", "json" if production else "text")
        self.LOG_LEVEL = env.get("SKILLS_HUB_LOG_LEVEL", "INFO").upper()
        self.MAX_CONTENT_LENGTH = int(env.get("SKILLS_HUB_MAX_CONTENT_LENGTH", str(5 * 1024 * 1024)))
        self.SESSION_MINUTES = int(env.get("SKILLS_HUB_SESSION_MINUTES", "30"))
        self.JOB_POLL_SECONDS = float(env.get("SKILLS_HUB_JOB_POLL_SECONDS", "2"))
        self.JOB_MAX_ATTEMPTS = int(env.get("SKILLS_HUB_JOB_MAX_ATTEMPTS", "5"))
        # How long personal data is kept (days): a referral's details after it closes, an account with no
        # activity, and an uploaded sign-up sheet kept for its dry run.
        self.RETENTION_REFERRAL_DAYS = int(env.get("SKILLS_HUB_RETENTION_REFERRAL_DAYS", "365"))
        self.RETENTION_INACTIVE_DAYS = int(env.get("SKILLS_HUB_RETENTION_INACTIVE_DAYS", str(3 * 365)))
        self.RETENTION_IMPORT_FILE_DAYS = int(env.get("SKILLS_HUB_RETENTION_IMPORT_FILE_DAYS", "1"))
        self.PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a hash method, not a password)
        # Sign-in attempts from one address (a library's PCs may share one) and for one account.
        self.LOGIN_RATE_LIMIT = env.get("SKILLS_HUB_LOGIN_RATE_LIMIT", "60 per minute;600 per hour")
        self.LOGIN_ACCOUNT_RATE_LIMIT = env.get("SKILLS_HUB_LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute;50 per hour")
        # How many reverse proxies stand in front of gunicorn: their X-Forwarded-For, -Proto, -Host and -Port
        # headers are trusted that many hops deep (wsgi.py applies it). 0 trusts none (a client could fake them).
        self.PROXY_COUNT = int(env.get("SKILLS_HUB_PROXY_COUNT") or (1 if production else 0))
        # The host names the app answers to (Flask refuses others with 400); unset answers to any.
        self.TRUSTED_HOSTS = [host.strip() for host in env.get("SKILLS_HUB_TRUSTED_HOSTS", "").split(",")
                              if host.strip()] or None

        self.PRODUCTION = production
        self.TESTING = False
        self.SESSION_COOKIE_SECURE = production
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = production
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"  # like the session cookie: not sent with another site's form posts
        self.PREFERRED_URL_SCHEME = "https" if production else "http"
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_STRATEGY = "moving-window"  # no burst at the turn of a minute, and no flaky counts
        # If Redis stops answering, count attempts in this process instead of refusing every sign-in.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.JSON_SORT_KEYS = False

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k.isupper()}


class TestConfig(Config):
    """The suite's settings: the database named by SKILLS_HUB_TEST_DATABASE_URL, or a SQLite file."""

    def __init__(self, env: Mapping[str, str] | None = None, instance_path: Path | None = None):
        env = dict(os.environ if env is None else env)
        env.pop("SKILLS_HUB_ENV", None)
        if env.get("SKILLS_HUB_TEST_DATABASE_URL"):
            env["SKILLS_HUB_DATABASE_URL"] = env["SKILLS_HUB_TEST_DATABASE_URL"]
        env["SKILLS_HUB_REDIS_URL"] = env.get("SKILLS_HUB_TEST_REDIS_URL", "")
        env.setdefault("SKILLS_HUB_SMTP_HOST", "")
        super().__init__(env, instance_path)
        self.TESTING = True
        self.SIGNING_KEY = self.SIGNING_KEY or secrets.token_hex(32)  # never a key file under instance/
        self.LOGIN_RATE_LIMIT = self.LOGIN_ACCOUNT_RATE_LIMIT = "1000 per minute"
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 (fast tests; production uses scrypt)
