"""The organization face's products (spec/products-json-api-orgs.txt): the spec's own
examples through HTTP, every field checked against the published JSON Schema and by
value, the same product in the XML face, paging, tokens, organizations, locks."""

from __future__ import annotations

import pytest

from tests import jsonschemas
from tests.helpers import create, create_locked_product
from xmlapi.catalog import organizations
from xmlapi.db import session_scope

ORG = 1
PRODUCTS = f"/api/v2/orgs/{ORG}/products/"

# The spec's POST body (data.json), whole.
SPEC_POST = {
    "code": "ES-4335-64667-7565",
    "commodity_code": "C-1",
    "created_at": "2015-05-14T09:59:44.290553Z",
    "custom_fields": {
        "Special customer type": {"value": "Guest"},
        "Top color": {"value": "Deep purple"},
        "xml": {"type": "application/xml", "value": "<custom>Field</custom>"},
    },
    "description": "T-Shirt Unisex Black",
    "export_type_code": "SIM",
    "image_link": "http://example.com/tshirt.png",
    "joint_production": True,
    "kind": "goods",
    "link": "http://www.test.com/item",
    "net_cost_begin_date": "2014-10-10T06:49:50Z",
    "net_cost_end_date": "2014-10-12T06:49:50Z",
    "origin_country_code": "US",
    "part_number": "PN-3",
    "pick_location": "Some location",
    "preference_criteria_code": "Criteria-5",
    "producer_info_code": "No[2]",
    "quantity": 15,
    "scheduleb_commodity_code": "SCC-5",
    "unit_price": "88.00 USD",
    "unit_weight": "29.00 g",
    "ups": "ups123",
    "ean": "ean123",
    "isbn": "isbn123",
}

# The spec's PATCH body, misspelled key included.
SPEC_PATCH = {
    "image_link": "http://example.com/goods/img-2.png",
    "kind": "goods",
    "origin_countr_code": "CN",
    "quantity": 19,
    "unit_weight": "180 g",
}


@pytest.fixture
def usd(client) -> int:
    return create(
        client, "/api/setup/currencies/", "currency", {"code": "USD", "name": "US dollar"}
    )


def token_for(app, user: str = "alice", organization_id: int | None = None, **kwargs) -> str:
    with session_scope(app.extensions["xmlapi.engine"]) as session:
        token, _row = organizations.create_token(session, user, organization_id, **kwargs)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post(client, body: dict, org: int = ORG, **kwargs):
    return client.post(f"/api/v2/orgs/{org}/products/", json=body, **kwargs)


def test_a_product_made_in_xml_reads_in_json(client, usd):
    product_id = create_locked_product(
        client, code="XML-1", description="Mug", sell_price="15.00", currency={"@id": usd}
    )
    stock = "<inventory><available>1</available><reserved>2</reserved></inventory>"
    assert client.put(f"/api/products/{product_id}/inventory/", data=stock).status_code == 200
    response = client.get(f"{PRODUCTS}{product_id}/")
    product = jsonschemas.answer(response, "product.json")
    assert response.headers["ETag"]
    assert product["code"] == "XML-1"
    assert product["description"] == "Mug"
    assert product["unit_price"] == "15.00 USD"
    assert product["quantity"] == 3
    assert product["kind"] is None
    assert product["custom_fields"] == {}
    assert product["url"] == f"{PRODUCTS}{product_id}/"


def test_the_schemas_are_published(client):
    index = jsonschemas.answer(client.get("/api/v2/schemas/"), "schemas.json")
    names = {entry["name"] for entry in index["schemas"]}
    assert {"product.json", "products.json", "error.json", "schemas.json"} <= names
    for entry in index["schemas"]:
        response = client.get(entry["url"])
        assert response.status_code == 200
        assert response.mimetype == "application/schema+json"
        assert response.get_json()["$id"] == entry["name"]
    jsonschemas.error(client.get("/api/v2/schemas/nothing.json"), 404)
