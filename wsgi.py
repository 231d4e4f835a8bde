"""The WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`, and the app of every `flask` command."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from skills_hub import create_app
from skills_hub.config import ConfigError, refuse_to_start


def behind_proxies(app: Flask) -> Flask:
    """Trust the X-Forwarded-* headers set by exactly SKILLS_HUB_PROXY_COUNT reverse proxies, so that rate limits
    count each client's own address and links use the public scheme and host."""
    count = app.config["PROXY_COUNT"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)
    return app


try:
    app = behind_proxies(create_app())
except ConfigError as error:  # a missing or unsafe setting: its reason in one line, not a traceback
    refuse_to_start(error)
