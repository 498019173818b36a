"""The legacy point-of-sale face: XML in and out, one blueprint per resource, under /api."""

from __future__ import annotations

from flask import Flask

from xmlapi import http
from xmlapi.faces.legacy import (
    changes,
    costs,
    documents,
    errors,
    index,
    inventory,
    locks,
    photos,
    products,
    reference,
    serial_numbers,
    sessions,
)
from xmlapi.faces.legacy.endpoints import ENDPOINTS
from xmlapi.faces.legacy.uris import PREFIX
from xmlapi.http.faces import Face

FACE = Face(
    name="legacy",
    prefix=PREFIX,
    blueprints=(
        index.bp,
        products.bp,
        costs.bp,
        serial_numbers.bp,
        inventory.bp,
        photos.bp,
        locks.bp,
        sessions.bp,
        reference.bp,
        changes.bp,
    ),
    endpoints=ENDPOINTS,
    write_error=errors.write_error,
    errors=errors.ERRORS,
    error_fields=errors.error_fields,
    documents=documents.describe,
)


def init_app(app: Flask) -> None:
    http.add_face(app, FACE)
