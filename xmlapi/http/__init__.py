"""What every face shares: the endpoint registry, authentication, rate limits, lock
claims, preconditions, error dispatch and caches. It never imports a face: a face hands
itself over with ``add_face``."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from xmlapi.http import auth, endpoints, errors, faces, locks, scope
from xmlapi.http.cache import RenderCache
from xmlapi.http.faces import Face

ID_MAX = 2**31 - 1  # the id columns' range on PostgreSQL


def digits_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 1 to ``limit`` (leading zeros too)."""
    top = str(limit)
    choices = [f"[1-9][0-9]{{0,{len(top) - 2}}}"] if len(top) > 1 else []
    for i, digit in enumerate(top):
        low = "1" if i == 0 else "0"
        if int(digit) > int(low):
            choices.append(f"{top[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(top) - i - 1}}}")
    choices.append(top)
    return "0*(?:" + "|".join(choices) + ")"


class IdConverter(IntegerConverter):
    """``<int:...>`` in every path: 1 to ID_MAX in ASCII digits. A larger number must
    match no route at all (a 404): werkzeug would answer 405 if the converter refused it
    after the path matched, so the bound is in the regular expression."""

    regex = digits_up_to(ID_MAX)


RENDER_CACHE_SIZE = 4096  # full renders, ~2 KB each
LIST_ITEM_CACHE_SIZE = 16384  # list items, ~0.7 KB each


def init_app(app: Flask) -> None:
    """The policies every face's routes get, applied from their registry entries."""
    app.extensions["xmlapi.registry"] = endpoints.Registry()
    app.extensions["xmlapi.faces"] = []
    app.extensions["xmlapi.renders"] = RenderCache(size=RENDER_CACHE_SIZE)
    app.extensions["xmlapi.list_items"] = RenderCache(size=LIST_ITEM_CACHE_SIZE, name="list_items")
    app.url_map.converters["int"] = IdConverter  # before any rule is made
    errors.init_app(app)
    auth.init_app(app)
    scope.init_app(app)  # after authentication, before lock claims
    app.before_request(faces.check_request)  # the face's own (CSRF), before any change
    app.before_request(locks.claim_locks)


def add_face(app: Flask, face: Face) -> None:
    """Serve ``face``: its blueprints under its prefix, its entries in the registry, its
    errors in its format. Raises RouteTableError when a route of the app has no entry."""
    for blueprint in face.blueprints:
        app.register_blueprint(blueprint, url_prefix=face.prefix)
    registry = app.extensions["xmlapi.registry"]
    registry.add(face.endpoints)
    errors.register(app, face.errors)
    app.extensions["xmlapi.faces"].append(face)
    endpoints.check_routes(app, registry)
