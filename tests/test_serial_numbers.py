"""Serial numbers of serialized products (/api/products/X/serial_numbers/)."""

from __future__ import annotations

import pytest

from tests.conftest import client_of
from tests.helpers import (
    create,
    create_locked_product,
    document,
    error_fields,
    error_type,
    spec_response_children,
    xml,
)
from xmlapi.faces.legacy import endpoints


@pytest.fixture
def warehouse(client):
    return create(client, "/api/warehouses/", "warehouse", {"name": "Main", "code": "MAIN"})


@pytest.fixture
def product(client):
    """A serialized product, locked by ``client``."""
    return create_locked_product(client, code="PHONE", flags={"serialized": "true"})


def serials_url(product_id: int, serial_id: int | None = None) -> str:
    base = f"/api/products/{product_id}/serial_numbers/"
    return base if serial_id is None else f"{base}{serial_id}/"


def serial_document(serial=None, status=None, warehouse=None, note=None, cost=None) -> bytes:
    return document(
        "serial_number",
        {
            "serial": serial,
            "status": status,
            "note": note,
            "cost": cost,
            "warehouse": {"@id": warehouse} if warehouse is not None else None,
        },
    )


def add_serial(client, product_id, serial, **values) -> int:
    response = client.post(serials_url(product_id), data=serial_document(serial, **values))
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(xml(response).get("id"))


def available(client, product_id) -> str:
    return xml(client.get(f"/api/products/{product_id}/")).findtext("inventory/available")


def test_create_answers_201_with_the_documented_serial_number(client, product, warehouse):
    response = client.post(
        serials_url(product),
        data=serial_document("SN-1", "0", warehouse, note="Boxed", cost="120.5"),
    )
    assert response.status_code == 201
    root = xml(response)
    serial_id = root.get("id")
    assert response.headers["Location"] == f"/api/products/{product}/serial_numbers/{serial_id}/"
    assert root.get("uri") == f"/products/{product}/serial_numbers/{serial_id}/"
    documented = spec_response_children("GET /api/products/(d+)/serial_numbers/(d+)/")
    assert [child.tag for child in root] == documented
    assert [root.findtext(t) for t in ("status", "note", "cost", "serial")] == [
        "0",
        "Boxed",
        "120.5000",
        "SN-1",
    ]
    assert root.find("warehouse").get("uri") == f"/warehouses/{warehouse}/"
    detail = xml(client.get(serials_url(product, int(serial_id))))
    assert detail.findtext("serial") == "SN-1"


def test_status_defaults_to_in_stock_and_the_rest_to_empty(client, product):
    root = xml(client.get(serials_url(product, add_serial(client, product, "SN-1"))))
    assert [root.findtext(t) for t in ("status", "note", "cost")] == ["0", "", ""]
    assert root.find("warehouse").get("id") is None


def test_list_and_product_render_show_every_serial(client, product, warehouse):
    first = add_serial(client, product, "SN-1", warehouse=warehouse)
    second = add_serial(client, product, "SN-2", status="1")
    listing = xml(client.get(serials_url(product)))
    assert listing.tag == "serial_numbers"
    assert [item.get("id") for item in listing] == [str(first), str(second)]
    rendered = xml(client.get(f"/api/products/{product}/")).find("serial_numbers")
    assert [item.findtext("serial") for item in rendered] == ["SN-1", "SN-2"]
    assert [item.findtext("status") for item in listing] == ["0", "1"]


def test_only_serialized_products_take_serials(client):
    plain = create_locked_product(client, code="PLAIN")
    response = client.post(serials_url(plain), data=serial_document("SN-1"))
    assert response.status_code == 422
    assert error_type(response) == "rule.broken"
    assert "flags/serialized" in error_fields(response)


def test_a_serial_is_unique_per_product(client, product):
    first = add_serial(client, product, "SN-1")
    response = client.post(serials_url(product), data=serial_document("SN-1"))
    assert (response.status_code, error_type(response)) == (409, "conflict")
    assert "serial" in error_fields(response)
    second = add_serial(client, product, "SN-2")
    response = client.put(serials_url(product, second), data=serial_document("SN-1"))
    assert response.status_code == 409
    other = create_locked_product(client, code="OTHER", flags={"serialized": "true"})
    add_serial(client, other, "SN-1")  # another product may use it
    response = client.put(serials_url(product, first), data=serial_document("SN-1", note="n"))
    assert response.status_code == 200  # renaming to its own serial is no clash


def test_the_warehouse_must_exist(client, product):
    response = client.post(serials_url(product), data=serial_document("SN-1", warehouse=999))
    assert (response.status_code, error_type(response)) == (422, "reference.unknown")
    assert "warehouse" in error_fields(response)
    serial_id = add_serial(client, product, "SN-1")
    response = client.put(serials_url(product, serial_id), data=serial_document(warehouse=999))
    assert "warehouse" in error_fields(response)


@pytest.mark.parametrize(
    "body,status,field",
    [
        (b"<serial_number><status>1</status></serial_number>", 422, "serial"),
        (b"<serial_number><serial/></serial_number>", 422, "serial"),
        (b"<serial_number><serial>A</serial><status>-1</status></serial_number>", 422, "status"),
        (b"<serial_number><serial>A</serial><cost>-1</cost></serial_number>", 422, "cost"),
        (b"<serial_number><serial>A</serial><status>x</status></serial_number>", 400, None),
        (b"<serial_number><serial>A</serial><color/></serial_number>", 400, None),
    ],
)
def test_bad_serial_documents_are_refused(client, product, body, status, field):
    response = client.post(serials_url(product), data=body)
    assert response.status_code == status
    if field is not None:
        assert field in error_fields(response)
    assert len(xml(client.get(serials_url(product)))) == 0


def test_put_changes_only_what_it_carries(client, product, warehouse):
    serial_id = add_serial(client, product, "SN-1", note="Boxed", warehouse=warehouse)
    response = client.put(serials_url(product, serial_id), data=serial_document(status="2"))
    assert response.status_code == 200
    root = xml(response)
    assert [root.findtext(t) for t in ("status", "note", "serial")] == ["2", "Boxed", "SN-1"]
    assert root.find("warehouse").get("id") == str(warehouse)
    response = client.put(
        serials_url(product, serial_id), data=b"<serial_number><warehouse/><note/></serial_number>"
    )
    root = xml(response)
    assert (root.find("warehouse").get("id"), root.findtext("note")) == (None, "")


def test_delete_answers_the_deleted_marker(client, product):
    serial_id = add_serial(client, product, "SN-1")
    response = client.delete(serials_url(product, serial_id))
    assert response.status_code == 200
    root = xml(response)
    assert (root.tag, root.get("id"), root.get("deleted")) == (
        "serial_number",
        str(serial_id),
        "true",
    )
    assert root.get("uri") == f"/products/{product}/serial_numbers/{serial_id}/"
    assert client.get(serials_url(product, serial_id)).status_code == 404


def test_serials_of_another_product_or_of_no_product_are_404(client, product):
    serial_id = add_serial(client, product, "SN-1")
    other = create_locked_product(client, code="OTHER", flags={"serialized": "true"})
    assert client.get(serials_url(other, serial_id)).status_code == 404
    assert client.put(serials_url(other, serial_id), data=b"<serial_number/>").status_code == 404
    assert client.delete(serials_url(other, serial_id)).status_code == 404
    assert client.get(serials_url(99999)).status_code == 404


# Stock --------------------------------------------------------------------------------


def test_available_counts_the_serials_in_stock(client, product):
    assert available(client, product) == "0.0000000"
    first = add_serial(client, product, "SN-1")
    add_serial(client, product, "SN-2")
    add_serial(client, product, "SN-3", status="1")  # sold: not in stock
    assert available(client, product) == "2.0000000"
    client.put(serials_url(product, first), data=serial_document(status="1"))
    assert available(client, product) == "1.0000000"
    client.put(serials_url(product, first), data=serial_document(status="0"))
    assert available(client, product) == "2.0000000"
    client.delete(serials_url(product, first))
    root = xml(client.get(f"/api/products/{product}/"))
    assert root.findtext("inventory/available") == "1.0000000"
    assert root.findtext("inventory/total") == "1.0000000"


def test_turning_serialized_on_counts_the_serials(client, product):
    add_serial(client, product, "SN-1")
    client.put(
        f"/api/products/{product}/", data=document("product", {"flags": {"serialized": "0"}})
    )
    client.put(
        f"/api/products/{product}/inventory/",
        data=b"<inventory><available>7</available></inventory>",
    )
    assert available(client, product) == "7.0000000"
    response = client.post(serials_url(product), data=serial_document("SN-2"))
    assert response.status_code == 422  # not serialized any more
    client.put(
        f"/api/products/{product}/", data=document("product", {"flags": {"serialized": "1"}})
    )
    assert available(client, product) == "1.0000000"


# Locks, permissions ----------------------------------------------------------------------


def test_serial_writes_need_the_product_lock(app, client, product):
    serial_id = add_serial(client, product, "SN-1")
    bob = client_of(app, "bob")
    for response in (
        bob.post(serials_url(product), data=serial_document("SN-2")),
        bob.put(serials_url(product, serial_id), data=serial_document(status="1")),
        bob.delete(serials_url(product, serial_id)),
    ):
        assert response.status_code == 423
    client.open(f"/api/products/{product}/", method="UNLOCK")
    response = client.post(serials_url(product), data=serial_document("SN-2"))
    assert (response.status_code, error_type(response)) == (428, "lock.required")
    assert bob.get(serials_url(product, serial_id)).status_code == 200
    reader = client_of(app, "reader")
    assert reader.get(serials_url(product)).status_code == 200
    assert reader.delete(serials_url(product, serial_id)).status_code == 403


def test_serial_writes_move_the_product_modified_time(client, product):
    def modified():
        return xml(client.get(f"/api/products/{product}/")).findtext("modified")

    before = modified()
    serial_id = add_serial(client, product, "SN-1")
    after_create = modified()
    client.put(serials_url(product, serial_id), data=serial_document(status="1"))
    after_update = modified()
    client.delete(serials_url(product, serial_id))
    assert before < after_create < after_update < modified()


def test_the_registry_marks_serial_writes_as_ours_under_the_lock():
    served = {(e.method, e.path): e for e in endpoints.ENDPOINTS}
    assert served[("GET", "/products/(d+)/serial_numbers/")].contract
    assert served[("GET", "/products/(d+)/serial_numbers/(d+)/")].contract
    for method, path in (
        ("POST", "/products/(d+)/serial_numbers/"),
        ("PUT", "/products/(d+)/serial_numbers/(d+)/"),
        ("DELETE", "/products/(d+)/serial_numbers/(d+)/"),
    ):
        entry = served[(method, path)]
        assert (entry.contract, entry.requires_lock, entry.can_lock) == (False, True, False)


def test_a_serial_added_twice_at_once_is_a_409_for_the_second(client, product, monkeypatch):
    from xmlapi.catalog import serial_numbers

    # Both writers passed the look-up before either committed: the database refuses
    # the second at its flush.
    monkeypatch.setattr(serial_numbers, "_check_unique", lambda *args: None)
    first = client.post(serials_url(product), data=serial_document("SN-RACE"))
    assert first.status_code == 201
    second = client.post(serials_url(product), data=serial_document("SN-RACE"))
    assert second.status_code == 409
    assert error_fields(second) == {"serial": "Already in use."}
    assert len(xml(client.get(serials_url(product)))) == 1
