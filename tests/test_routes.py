"""The route table, whole, against the endpoint registry and the contract's flags."""

from __future__ import annotations

import pytest
from flask import Blueprint

from tests.helpers import spec_endpoints, xml
from xmlapi import endpoints
from xmlapi.endpoints import RouteTableError, check_routes


def test_registry_matches_the_contract_for_every_documented_endpoint():
    documented = spec_endpoints()
    registered = {(e.method, e.path): e for e in endpoints.ENDPOINTS if e.contract}
    for (method, path), flags in documented.items():
        if (method, path) not in registered:
            continue  # served by a later issue; the test below lists what is missing
        assert registered[(method, path)].flags == flags, (method, path)
    assert set(registered) <= set(documented), "an endpoint claims the contract wrongly"


def test_every_contract_endpoint_served_so_far(app):
    served = {(e.method, e.path) for e in endpoints.ENDPOINTS}
    assert {
        ("GET", "/products/"),
        ("POST", "/products/"),
        ("GET", "/products/(d+)/"),
        ("PUT", "/products/(d+)/"),
    } <= served


def test_every_api_route_is_registered(app):
    check_routes(app)  # raises on any difference
    rules = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == {(e.view, e.method) for e in endpoints.ENDPOINTS}


def test_a_route_without_flags_stops_start_up(app):
    stray = Blueprint("stray", __name__)
    stray.add_url_rule("/stray/", "stray", lambda: "", methods=["GET"])
    app.register_blueprint(stray, url_prefix="/api")
    with pytest.raises(RouteTableError, match="has no registry entry"):
        check_routes(app)


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
