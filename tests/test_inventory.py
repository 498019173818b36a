"""Stock levels: /api/products/X/inventory/ (ours; the product document cannot write them)."""

from __future__ import annotations

import pytest

from tests.conftest import client_of
from tests.helpers import create_locked_product, error_fields, error_type, xml

LEVELS = ["available", "reserved", "coming_for_stock", "coming_for_customer", "warehouses"]


def inventory_url(product_id: int) -> str:
    return f"/api/products/{product_id}/inventory/"


def put_inventory(client, product_id, body: str):
    return client.put(inventory_url(product_id), data=f"<inventory>{body}</inventory>")


def levels(root) -> dict[str, str]:
    return {child.tag: child.text for child in root}


def test_put_sets_what_it_carries_and_derives_the_total(client):
    product = create_locked_product(client, code="P")
    response = put_inventory(
        client,
        product,
        "<in_transit>1.5</in_transit><available>10</available><reserved>2</reserved>"
        "<coming_for_stock>100</coming_for_stock><warehouses>3</warehouses>",
    )
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "inventory"
    assert levels(root) == {
        "available": "10.0000000",
        "reserved": "2.0000000",
        "coming_for_stock": "100.0000000",
        "coming_for_customer": "0.0000000",
        "warehouses": "3.0000000",
        "in_transit": "1.5000000",
        "total": "16.5000000",  # what is only coming is not counted
    }
    put_inventory(
        client, product, "<reserved>0</reserved><coming_for_customer>4</coming_for_customer>"
    )
    shown = levels(xml(client.get(f"/api/products/{product}/")).find("inventory"))
    assert shown["available"] == "10.0000000"
    assert (shown["reserved"], shown["coming_for_customer"]) == ("0.0000000", "4.0000000")
    assert shown["total"] == "14.5000000"
    assert levels(xml(client.get(inventory_url(product)))) == shown
    listed = xml(client.get("/api/products/")).find("product/inventory")
    assert levels(listed) == shown


def test_quantities_may_go_negative_and_empty_means_zero(client):
    product = create_locked_product(client, code="P")
    root = xml(put_inventory(client, product, "<available>-2</available><reserved/>"))
    assert (root.findtext("available"), root.findtext("reserved")) == ("-2.0000000", "0.0000000")


@pytest.mark.parametrize(
    "body,status,kind",
    [
        ("<total>3</total>", 400, "field.read_only"),
        ("<available>many</available>", 400, "xml.invalid"),
        ("<available>1</available><available>2</available>", 400, "xml.invalid"),
        ("<onhand>1</onhand>", 400, "xml.invalid"),
        ("<available>99999999999999999999</available>", 422, "field.invalid"),
    ],
)
def test_bad_inventory_documents_change_nothing(client, body, status, kind):
    product = create_locked_product(client, code="P")
    put_inventory(client, product, "<available>5</available>")
    response = put_inventory(client, product, body)
    assert (response.status_code, error_type(response)) == (status, kind)
    assert xml(client.get(inventory_url(product))).findtext("available") == "5.0000000"


def test_a_serialized_product_takes_available_from_its_serials(client):
    product = create_locked_product(client, code="S", flags={"serialized": "true"})
    response = put_inventory(client, product, "<available>5</available><reserved>1</reserved>")
    assert (response.status_code, error_type(response)) == (422, "rule.broken")
    assert "available" in error_fields(response)
    response = put_inventory(client, product, "<reserved>1</reserved>")
    assert xml(response).findtext("reserved") == "1.0000000"


def test_inventory_writes_need_the_lock_and_move_modified(app, client):
    product = create_locked_product(client, code="P")
    before = xml(client.get(f"/api/products/{product}/")).findtext("modified")
    put_inventory(client, product, "<available>1</available>")
    assert xml(client.get(f"/api/products/{product}/")).findtext("modified") > before
    assert put_inventory(client_of(app, "bob"), product, "").status_code == 423
    assert put_inventory(client_of(app, "reader"), product, "").status_code == 403
    client.open(f"/api/products/{product}/", method="UNLOCK")
    assert put_inventory(client, product, "").status_code == 428
    assert client.get(inventory_url(99999)).status_code == 404
