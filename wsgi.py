"""The WSGI entry point: `gunicorn wsgi:app`."""

from skills_hub import create_app

app = create_app()
