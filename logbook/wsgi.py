"""WSGI entry point for gunicorn: `gunicorn logbook.wsgi:app`."""

from logbook.app import create_app

app = create_app()
