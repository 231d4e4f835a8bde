"""The WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from skills_hub import create_app


def behind_proxies(app: Flask) -> Flask:
    """Trust the X-Forwarded-* headers set by exactly SKILLS_HUB_PROXY_COUNT reverse proxies, so that rate limits
    count each client's own address and links use the public scheme and host."""
    count = app.config["PROXY_COUNT"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)
    return app


app = behind_proxies(create_app())
