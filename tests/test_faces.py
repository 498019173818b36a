"""Faces: a route outside /api gets the same policies as the legacy face from its
registry entry, and its errors in its own format; the rooms import downwards only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Blueprint, Response, jsonify, request

from tests.conftest import client_of
from tests.helpers import create_locked_product, lock
from xmlapi import http
from xmlapi.catalog import products
from xmlapi.db import get_session
from xmlapi.http.common import pricing
from xmlapi.http.endpoints import Endpoint, RouteTableError
from xmlapi.http.faces import Face

PACKAGE = Path(__file__).resolve().parents[1] / "xmlapi"


def probe_blueprint() -> Blueprint:
    bp = Blueprint("probe", __name__)

    @bp.get("/products/<int:product_id>/", endpoint="detail")
    def detail(product_id: int) -> Response:
        product = products.get_plain(get_session(), product_id)
        return jsonify(id=product.id, family=product.family)

    @bp.put("/products/<int:product_id>/", endpoint="update")
    def update(product_id: int) -> Response:
        products.update(get_session(), product_id, {"family": request.json["family"]}, pricing())
        return jsonify(id=product_id)

    @bp.get("/ping/", endpoint="ping")
    def ping() -> Response:
        return jsonify(pong=True)

    return bp


PROBE_ENDPOINTS = (
    Endpoint("probe.detail", "GET", "/products/(d+)/", "One product", prefix="/probe"),
    Endpoint(
        "probe.update",
        "PUT",
        "/products/(d+)/",
        "Change a product",
        requires_lock=True,
        prefix="/probe",
    ),
    Endpoint("probe.ping", "GET", "/ping/", "Alive", public=True, prefix="/probe"),
)


def write_json_error(status, error_type, message, fields, headers) -> Response:
    response = jsonify(detail=message, type=error_type, **({"fields": fields} if fields else {}))
    response.status_code = status
    response.headers.update(headers)
    return response


def probe_face(endpoints=PROBE_ENDPOINTS) -> Face:
    return Face("probe", "/probe", (probe_blueprint(),), endpoints, write_json_error)


@pytest.fixture
def probe_app(fresh_app):
    http.add_face(fresh_app, probe_face())
    return fresh_app


def test_a_face_whose_routes_have_no_entries_stops_start_up(fresh_app):
    with pytest.raises(RouteTableError, match=r"probe\.update"):
        http.add_face(fresh_app, probe_face(endpoints=PROBE_ENDPOINTS[:1]))


def test_a_face_outside_api_needs_authentication_and_answers_in_its_format(probe_app):
    anonymous = client_of(probe_app, None)
    response = anonymous.get("/probe/products/1/")
    assert response.status_code == 401
    assert response.json["type"] == "auth.required"
    assert response.headers["WWW-Authenticate"] == 'Basic realm="xmlapi"'


def test_a_face_outside_api_is_rate_limited_and_reads_the_catalog(probe_app):
    client = client_of(probe_app)
    product_id = create_locked_product(client, code="PROBE", family="Mugs")
    response = client.get(f"/probe/products/{product_id}/")
    assert response.status_code == 200
    assert response.json == {"id": product_id, "family": "Mugs"}
    assert int(response.headers["X-RateLimit-Remaining"]) >= 0


def test_a_face_outside_api_gets_lock_checks_from_its_entry(probe_app):
    client, bob = client_of(probe_app), client_of(probe_app, "bob")
    product_id = create_locked_product(client, code="PROBED")
    client.open(f"/api/products/{product_id}/", method="UNLOCK")
    response = client.put(f"/probe/products/{product_id}/", json={"family": "F"})
    assert response.status_code == 428
    assert response.json["type"] == "lock.required"
    lock(bob, product_id)
    response = client.put(f"/probe/products/{product_id}/", json={"family": "F"})
    assert response.status_code == 423
    response = bob.put(f"/probe/products/{product_id}/", json={"family": "Bob's"})
    assert response.status_code == 200
    assert client.get(f"/probe/products/{product_id}/").json["family"] == "Bob's"


def test_read_only_callers_cannot_write_through_a_face_outside_api(probe_app):
    reader = client_of(probe_app, "reader")
    response = reader.put("/probe/products/1/", json={"family": "F"})
    assert response.status_code == 403
    assert response.json["type"] == "auth.forbidden"


def test_errors_under_a_face_come_in_its_format(probe_app):
    client = client_of(probe_app)
    missing = client.get("/probe/products/999/")
    assert (missing.status_code, missing.json["type"]) == (404, "not_found")
    unrouted = client.get("/probe/nothing/here/")
    assert (unrouted.status_code, unrouted.json["type"]) == (404, "not_found")
    legacy = client.get("/api/nothing/here/")
    assert legacy.status_code == 404
    assert legacy.content_type.startswith("application/xml")


def test_a_public_entry_needs_no_identity(probe_app):
    response = client_of(probe_app, None).get("/probe/ping/")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers


# The rooms: faces -> http -> catalog -> models, never upwards.
FORBIDDEN = {
    "models": ("xmlapi.catalog", "xmlapi.http", "xmlapi.faces"),
    "catalog": ("xmlapi.http", "xmlapi.faces", "flask"),
    "http": ("xmlapi.faces",),
}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_import_downwards_only(room):
    offending = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / room).rglob("*.py"))
        for name in imports_of(path)
        if name.startswith(FORBIDDEN[room])
    ]
    assert offending == []


def test_faces_never_import_each_other():
    faces = [p.name for p in (PACKAGE / "faces").iterdir() if p.is_dir() and p.name[0] != "_"]
    offending = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for face in faces
        for path in (PACKAGE / "faces" / face).rglob("*.py")
        for name in imports_of(path)
        for other in faces
        if other != face and name.startswith(f"xmlapi.faces.{other}")
    ]
    assert offending == []
