"""The catalog back office for people: HTML pages under /catalog/, server-rendered from
``templates/`` with a little plain JavaScript; every error is a page."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask

from xmlapi import http
from xmlapi.faces.pages import assets, editing, errors, products, signin
from xmlapi.faces.pages.common import check_csrf
from xmlapi.faces.pages.endpoints import ENDPOINTS, PREFIX
from xmlapi.http.endpoints import Endpoint
from xmlapi.http.faces import Face
from xmlapi.http.reference import Documents, Link


def documents(entry: Endpoint) -> Documents:
    """Pages take forms and give pages (the stylesheet, script and photos aside)."""
    if entry.view == "pages_assets.asset":
        return Documents(returns=(Link("CSS or JavaScript"),))
    if entry.view == "pages_assets.image":
        return Documents(returns=(Link("image bytes"),))
    if entry.view == "pages_edit.add_photo":
        return Documents((Link("photo.jpg"),), (), "image/jpeg", ("media.unsupported",))
    takes = (Link("form fields"),) if entry.method == "POST" else ()
    return Documents(takes, (Link("HTML page"),), "application/x-www-form-urlencoded", ())


FACE = Face(
    name="pages",
    prefix=PREFIX,
    blueprints=(assets.bp, signin.bp, products.bp, editing.bp),
    endpoints=ENDPOINTS,
    write_error=errors.write_error,
    errors=errors.ERRORS,
    documents=documents,
    check_request=check_csrf,  # before the lock a write claims is renewed
)


def quantity(value: Decimal | None) -> str:
    """A quantity as people write it: ``40``, ``2.5``, never ``40.0000000`` or ``0E-7``."""
    if value is None:
        return "—"
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def init_app(app: Flask) -> None:
    http.add_face(app, FACE)
    app.add_template_filter(quantity)
