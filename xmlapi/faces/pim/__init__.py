"""The PIM face: products with attributes, variants, kits, groups, media, stock and
prices as JSON, under /api/pim (``spec/products-json-api-pim.txt``)."""

from __future__ import annotations

from flask import Flask

from xmlapi import http
from xmlapi.faces.pim import products, schemas
from xmlapi.faces.pim.endpoints import DOCUMENTS, ENDPOINTS
from xmlapi.faces.pim.errors import ERRORS, error_fields
from xmlapi.http.faces import Face
from xmlapi.http.jsonio import write_error
from xmlapi.http.reference import schema_documents

PREFIX = "/api/pim"
FACE = Face(
    name="pim",
    prefix=PREFIX,
    blueprints=(products.bp, schemas.bp),
    endpoints=ENDPOINTS,
    write_error=write_error,
    errors=ERRORS,
    error_fields=error_fields,
    documents=schema_documents(f"{PREFIX}/schemas/", DOCUMENTS),
)


def init_app(app: Flask) -> None:
    http.add_face(app, FACE)
