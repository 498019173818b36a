"""The route table, whole, against the endpoint registry and the contract's flags."""

from __future__ import annotations

import pytest
from flask import Blueprint

from tests.helpers import spec_endpoints, xml
from xmlapi.faces.legacy import endpoints
from xmlapi.http.endpoints import RouteTableError, check_routes


def test_every_documented_endpoint_is_served_with_the_contracts_flags():
    documented = spec_endpoints()
    assert len(documented) == 17  # the contract's whole list: the parser missed none
    registered = {(e.method, e.path): e.flags for e in endpoints.ENDPOINTS if e.contract}
    assert registered == documented


def test_every_route_is_registered(app):
    registry = app.extensions["xmlapi.registry"]
    check_routes(app, registry)  # raises on any difference
    rules = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == {(e.view, e.method) for e in registry.entries}
    assert {(e.view, e.method) for e in endpoints.ENDPOINTS} <= rules


@pytest.mark.parametrize("prefix", ["/api", "/json", ""])
def test_a_route_without_flags_stops_start_up_whatever_its_prefix(fresh_app, prefix):
    app = fresh_app
    stray = Blueprint("stray", __name__)
    stray.add_url_rule("/stray/", "stray", lambda: "", methods=["GET"])
    app.register_blueprint(stray, url_prefix=prefix)
    with pytest.raises(RouteTableError, match="has no registry entry"):
        check_routes(app, app.extensions["xmlapi.registry"])


def test_index_lists_every_endpoint_with_its_flags(client):
    root = xml(client.get("/api/"))
    methods = {(r.get("path"), m.get("name")): m for r in root for m in r}
    assert set(methods) == {(e.path, e.method) for e in endpoints.ENDPOINTS}
    put = methods[("/products/(d+)/", "PUT")]
    assert (put.get("can_lock"), put.get("requires_lock")) == ("true", "true")
    assert put.text == "Update an existing product"


def test_schemas_are_listed_and_served(client):
    root = xml(client.get("/api/schemas/"))
    names = {s.get("name") for s in root}
    assert {"in/product.xsd", "out/product.xsd", "out/error.xsd"} <= names
    response = client.get("/api/schemas/in/product.xsd")
    assert response.status_code == 200
    assert b"<xs:schema" in response.get_data()
    assert client.get("/api/schemas/../setup.cfg").status_code == 404
