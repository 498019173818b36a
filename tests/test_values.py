"""Values in and out of documents: ids never reused, values a read divides by or
overflows on refused at write time, renders that never raise, text XML can carry,
ids and decimals bounded by their columns."""

from __future__ import annotations

import pytest

from tests import images
from tests.helpers import create_locked_product, document, error_fields, error_type, lock, xml


def _delete(client, product_id: int) -> None:
    lock(client, product_id)
    response = client.delete(f"/api/products/{product_id}/")
    assert response.status_code == 200, response.get_data(as_text=True)


# 1. Ids never reused -------------------------------------------------------------------


def test_a_new_product_is_never_served_a_deleted_ones_body(client):
    old = create_locked_product(client, code="OLD")
    seen = client.get(f"/api/products/{old}/")
    assert seen.status_code == 200
    client.get("/api/products/?count=10")
    _delete(client, old)

    created = client.post("/api/products/", data=document("product", {"code": "NEW"}))
    assert created.status_code == 201
    new = int(xml(created).get("id"))
    assert new != old
    assert xml(created).findtext("code") == "NEW"
    assert xml(client.get(f"/api/products/{new}/")).findtext("code") == "NEW"
    listed = xml(client.get("/api/products/?count=10"))
    assert [p.findtext("code") for p in listed.iter("product")] == ["NEW"]
    again = client.get(f"/api/products/{new}/", headers={"If-None-Match": seen.headers["ETag"]})
    assert again.status_code == 200
    assert xml(again).findtext("code") == "NEW"


def _upload(client, product_id: int) -> int:
    response = client.post(f"/api/products/{product_id}/add_product_photo/", data=images.jpeg())
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(xml(response).get("id"))


@pytest.mark.parametrize(
    "path, tag, body, deleted",
    [
        ("costs", "cost", {"supplier": {}, "supplier_product_code": "X"}, 200),
        ("serial_numbers", "serial_number", {"serial": "S-1"}, 200),
        ("product_photos", "product_photo", None, 204),
    ],
)
def test_rows_under_a_product_never_reuse_a_deleted_ones_id(client, path, tag, body, deleted):
    supplier = int(
        xml(client.post("/api/suppliers/", data=document("supplier", {"name": "S"}))).get("id")
    )
    product = create_locked_product(client, code="P", flags={"serialized": "true"})

    def add() -> int:
        if body is None:
            return _upload(client, product)
        children = {k: ({"@id": supplier} if isinstance(v, dict) else v) for k, v in body.items()}
        response = client.post(f"/api/products/{product}/{path}/", data=document(tag, children))
        assert response.status_code == 201, response.get_data(as_text=True)
        return int(xml(response).get("id"))

    first = add()
    response = client.delete(f"/api/products/{product}/{path}/{first}/")
    assert response.status_code == deleted, response.get_data(as_text=True)
    assert add() != first


def test_the_sqlite_rebuild_keeps_rows_constraints_and_counts_past_them(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, inspect, text

    from xmlapi.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0004")
    engine = create_engine(url)
    with engine.begin() as connection:
        indexes_before = {i["name"] for i in inspect(connection).get_indexes("supplier_costs")}
        connection.execute(
            text(
                "INSERT INTO products (id, version, code, current, editable, gift_card,"
                " inventoried, new_cost, new_import, new_update, no_live_rules, no_profit,"
                " serialized, web, editable_sell, master_model, supplier_overridden,"
                " available, reserved, coming_for_stock, coming_for_customer, warehouses,"
                " in_transit, created, modified) VALUES (41, 1, 'KEPT', 1, 1, 0, 1, 0, 0, 0,"
                " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '2026-01-01', '2026-01-01')"
            )
        )
    command.upgrade(alembic_config(url), "head")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT code FROM products WHERE id = 41")).scalar() == (
            "KEPT"
        )
        assert {i["name"] for i in inspect(connection).get_indexes("supplier_costs")} == (
            indexes_before
        )
        assert inspect(connection).get_unique_constraints("products")
        connection.execute(text("DELETE FROM products"))
        connection.execute(
            text(
                "INSERT INTO products (version, code, current, editable, gift_card,"
                " inventoried, new_cost, new_import, new_update, no_live_rules, no_profit,"
                " serialized, web, editable_sell, master_model, supplier_overridden,"
                " available, reserved, coming_for_stock, coming_for_customer, warehouses,"
                " in_transit, created, modified) VALUES (1, 'NEW', 1, 1, 0, 1, 0, 0, 0,"
                " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '2026-01-01', '2026-01-01')"
            )
        )
        assert connection.execute(text("SELECT id FROM products")).scalar() == 42
    engine.dispose()
