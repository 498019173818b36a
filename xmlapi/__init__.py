"""A product catalog served as XML over HTTP."""

from __future__ import annotations

import logging

from flask import Flask

from xmlapi import api, db, migrate
from xmlapi.catalog import photos
from xmlapi.middleware import TrailingSlash
from xmlapi.settings import Settings, from_environ
from xmlapi.xml import schemas


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from ``settings`` (default: the environment).

    Raises SettingsError for an unusable setting and SchemaOutdated when the database
    was not migrated to this code's schema.
    """
    settings = settings or from_environ()
    app = Flask(__name__, template_folder="../templates")
    app.extensions["xmlapi.settings"] = settings
    app.extensions["xmlapi.photo_store"] = photos.store_from_settings(settings)
    app.extensions["xmlapi.decode_limits"] = photos.limits_from_settings(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    logging.getLogger("xmlapi").setLevel(settings.log_level)

    engine = db.make_engine(settings.database_url)
    try:
        migrate.check_schema(engine)
    finally:
        engine.dispose()  # no pooled connection may outlive a fork of a preloading server
    db.init_app(app, engine)
    schemas.load_all()
    api.init_app(app)
    app.wsgi_app = TrailingSlash(app.wsgi_app)
    return app
