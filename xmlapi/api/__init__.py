"""The HTTP side: one blueprint per resource, all under /api."""

from __future__ import annotations

from flask import Flask

from xmlapi import endpoints
from xmlapi.api import (
    auth,
    costs,
    errors,
    index,
    inventory,
    locks,
    photos,
    products,
    serial_numbers,
    sessions,
    setup,
)
from xmlapi.api.cache import RenderCache

PREFIX = "/api"
BLUEPRINTS = (
    index.bp,
    products.bp,
    costs.bp,
    serial_numbers.bp,
    inventory.bp,
    photos.bp,
    locks.bp,
    sessions.bp,
    setup.bp,
)


RENDER_CACHE_SIZE = 4096  # full renders, ~2 KB each
LIST_ITEM_CACHE_SIZE = 16384  # list items, ~0.7 KB each


def init_app(app: Flask) -> None:
    app.extensions["xmlapi.renders"] = RenderCache(size=RENDER_CACHE_SIZE)
    app.extensions["xmlapi.list_items"] = RenderCache(size=LIST_ITEM_CACHE_SIZE)
    errors.init_app(app)
    auth.init_app(app, PREFIX)
    app.before_request(locks.claim_locks)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=PREFIX)
    endpoints.check_routes(app, PREFIX)
