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
    products,
    serial_numbers,
    sessions,
    setup,
)

PREFIX = "/api"
BLUEPRINTS = (
    index.bp,
    products.bp,
    costs.bp,
    serial_numbers.bp,
    inventory.bp,
    locks.bp,
    sessions.bp,
    setup.bp,
)


def init_app(app: Flask) -> None:
    errors.init_app(app)
    auth.init_app(app, PREFIX)
    app.before_request(locks.require_lock)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=PREFIX)
    endpoints.check_routes(app, PREFIX)
