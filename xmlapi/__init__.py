"""A product catalog served as XML over HTTP."""

from __future__ import annotations

from flask import Flask

from xmlapi import api, db, migrate
from xmlapi.catalog import photos
from xmlapi.middleware import RequestLimits, TrailingSlash
from xmlapi.operating import logs
from xmlapi.operating import requests as operating_requests
from xmlapi.operating import views as operating_views
from xmlapi.settings import Settings, from_environ
from xmlapi.xml import schemas


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from ``settings`` (default: the environment).

    Raises SettingsError for an unusable setting and SchemaOutdated when the database
    was not migrated to this code's schema.
    """
    settings = settings or from_environ()
    app = Flask(__name__, template_folder="../templates")
    # Never redirect: a 308 would lose the method or the body of legacy clients, and
    # its Location would come from the Host header.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.extensions["xmlapi.settings"] = settings
    app.extensions["xmlapi.photo_store"] = photos.store_from_settings(settings)
    app.extensions["xmlapi.decode_limits"] = photos.limits_from_settings(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    logs.configure(settings)

    engine = db.make_engine(settings.database_url)
    try:
        migrate.check_schema(engine)
    finally:
        engine.dispose()  # no pooled connection may outlive a fork of a preloading server
    db.init_app(app, engine)
    schemas.load_all()
    operating_views.init_app(app)  # before the API checks every route against the registry
    api.init_app(app)
    app.wsgi_app = RequestLimits(
        TrailingSlash(app.wsgi_app),
        max_url_bytes=settings.max_url_bytes,
        max_header_bytes=settings.max_header_bytes,
        max_body_bytes=max(settings.max_body_bytes, settings.max_photo_bytes),
        body_seconds=settings.body_timeout_seconds,
    )
    operating_requests.init_app(app)  # outermost: ids and counts every answer
    return app
