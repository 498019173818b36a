"""A product catalog served as XML over HTTP."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from xmlapi import db, http, migrate
from xmlapi.catalog import feed, photo_store, scales
from xmlapi.faces import legacy, orgs, pages, pim
from xmlapi.faces.legacy.xml import schemas
from xmlapi.http.faces import pre_routing_errors
from xmlapi.http.middleware import MergeSlashes, RequestLimits
from xmlapi.operating import logs
from xmlapi.operating import requests as operating_requests
from xmlapi.operating import views as operating_views
from xmlapi.settings import Settings, from_environ


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from ``settings`` (default: the environment).

    Raises SettingsError for an unusable setting and SchemaOutdated when the database
    was not migrated to this code's schema.
    """
    settings = settings or from_environ()
    # No static route: every route needs a registry entry, and there are no files to serve.
    app = Flask(__name__, template_folder="../templates", static_folder=None)
    # Never redirect: a 308 would lose the method or the body of legacy clients, and
    # its Location would come from the Host header.
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.extensions["xmlapi.settings"] = settings
    app.extensions["xmlapi.decode_limits"] = scales.limits_from_settings(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    logs.configure(settings)

    engine = db.engine_for(settings)
    try:
        migrate.check_schema(engine)
    finally:
        engine.dispose()  # no pooled connection may outlive a fork of a preloading server
    db.init_app(app, engine)
    if not settings.feed:  # benchmarks only: see XMLAPI_FEED
        app.extensions["xmlapi.sessions"].configure(info={feed.OFF: True})
    app.extensions["xmlapi.photo_store"] = photo_store.store_from_settings(settings, engine)
    schemas.load_all()
    http.init_app(app)
    legacy.init_app(app)
    orgs.init_app(app)
    pim.init_app(app)
    pages.init_app(app)
    operating_views.init_app(app)
    app.wsgi_app = RequestLimits(
        MergeSlashes(app.wsgi_app),
        max_url_bytes=settings.max_url_bytes,
        max_header_bytes=settings.max_header_bytes,
        max_body_bytes=max(settings.max_body_bytes, settings.max_photo_bytes),
        body_seconds=settings.body_timeout_seconds,
        error_body=pre_routing_errors(app),
    )
    if settings.trusted_proxies:
        # The client's address is the one the proxies in front saw (theirs alone are
        # believed: an X-Forwarded-For the client wrote itself is past them).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)
    operating_requests.init_app(app)  # outermost: ids and counts every answer
    return app
