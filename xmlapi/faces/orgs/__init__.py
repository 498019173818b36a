"""The organization face: the JSON products API of spec/products-json-api-orgs.txt
under /api/v2, scoped to the organization in the URL, with bearer tokens."""

from __future__ import annotations

from flask import Flask

from xmlapi import http
from xmlapi.faces.orgs import changes, errors, items, orders, products, schemas, webhooks
from xmlapi.faces.orgs.endpoints import DOCUMENTS, ENDPOINTS, PREFIX
from xmlapi.faces.orgs.order_endpoints import ORDER_ENDPOINTS
from xmlapi.http import jsonio
from xmlapi.http.faces import Face
from xmlapi.http.reference import schema_documents

FACE = Face(
    name="orgs",
    prefix=PREFIX,
    blueprints=(schemas.bp, products.bp, orders.bp, items.bp, changes.bp, webhooks.bp),
    endpoints=ENDPOINTS + ORDER_ENDPOINTS,
    write_error=jsonio.write_error,
    errors=errors.ERRORS,
    error_fields=errors.error_fields,
    documents=schema_documents(f"{PREFIX}/schemas/", DOCUMENTS),
)


def init_state(app: Flask) -> None:
    """What the face keeps per worker (its document cache), without its routes."""
    products.init_app(app)


def init_app(app: Flask) -> None:
    init_state(app)
    http.add_face(app, FACE)
