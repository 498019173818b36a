"""The WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``."""

import sys

from xmlapi import create_app
from xmlapi.migrate import SchemaOutdated
from xmlapi.settings import SettingsError

try:
    app = create_app()
except (SettingsError, SchemaOutdated) as exc:
    sys.exit(f"xmlapi: {exc}")
