"""The WSGI entry point for gunicorn: `gunicorn -c python:app.gunicorn_conf app.wsgi:app`.

The configuration comes from the environment (`APP_CONFIG`, `DATABASE_URL`, `SECRET_KEY`, …).
"""

from __future__ import annotations

from app import create_app

app = create_app()
