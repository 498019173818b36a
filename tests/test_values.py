"""Values in and out of documents: ids never reused, values a read divides by or
overflows on refused at write time, renders that never raise, text XML can carry,
ids and decimals bounded by their columns."""

from __future__ import annotations

import logging

import pytest
from marshmallow import ValidationError
from sqlalchemy import text

from tests import images
from tests.helpers import create_locked_product, document, error_fields, error_type, lock, xml
from xmlapi.faces.legacy import payloads


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
                "INSERT INTO products (organization_id, version, code, current, editable,"
                " gift_card, inventoried, new_cost, new_import, new_update, no_live_rules,"
                " no_profit, serialized, web, editable_sell, master_model, supplier_overridden,"
                " available, reserved, coming_for_stock, coming_for_customer, warehouses,"
                " in_transit, created, modified) VALUES (1, 1, 'NEW', 1, 1, 0, 1, 0, 0, 0,"
                " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '2026-01-01', '2026-01-01')"
            )
        )
        assert connection.execute(text("SELECT id FROM products")).scalar() == 42
    engine.dispose()


# 2. Values a read divides by or overflows on; echoes; renders that never raise ------------


def _post(client, path: str, tag: str, children: dict) -> int:
    response = client.post(path, data=document(tag, children))
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(xml(response).get("id"))


def _currency(client, code: str, rate: str) -> int:
    return _post(
        client,
        "/api/setup/currencies/",
        "currency",
        {"code": code, "name": code, "exchange_rate": rate},
    )


def _product_with_cost(client, rate: str, raw: str = "10", sell: str = "20") -> dict:
    """A product priced in a currency of ``rate`` with one cost from a supplier paid in
    the same currency."""
    currency = _currency(client, "USD", rate)
    supplier = _post(
        client, "/api/suppliers/", "supplier", {"name": "S", "currency": {"@id": currency}}
    )
    product = create_locked_product(
        client, code="P", sells={"sell": sell}, currency={"@id": currency}
    )
    cost = _post(
        client,
        f"/api/products/{product}/costs/",
        "cost",
        {"supplier": {"@id": supplier}, "supplier_product_code": "X", "raw": raw},
    )
    return {"currency": currency, "product": product, "cost": cost}


@pytest.mark.parametrize("rate", ["0.0000001", "0", "0.0000004", "-1"])
def test_an_exchange_rate_a_read_would_divide_by_is_a_422(client, rate):
    ids = _product_with_cost(client, "2")
    response = client.put(
        f"/api/setup/currencies/{ids['currency']}/",
        data=document("currency", {"exchange_rate": rate}),
    )
    assert response.status_code == 422
    assert error_type(response) == "field.invalid"
    assert list(error_fields(response)) == ["exchange_rate"]
    currency = xml(client.get(f"/api/setup/currencies/{ids['currency']}/"))
    assert currency.findtext("exchange_rate") == "2.000000"
    assert client.get(f"/api/products/{ids['product']}/").status_code == 200


@pytest.mark.parametrize(
    "sent, stored",
    [("1.0800004", "1.080000"), ("1.0800005", "1.080001"), ("0.0000005", "0.000001")],
)
def test_a_reference_write_echoes_the_value_it_stored(client, sent, stored):
    currency = _currency(client, "EUR", "1")
    response = client.put(
        f"/api/setup/currencies/{currency}/", data=document("currency", {"exchange_rate": sent})
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert xml(response).findtext("exchange_rate") == stored
    assert xml(client.get(f"/api/setup/currencies/{currency}/")).findtext("exchange_rate") == (
        stored
    )


def test_the_largest_values_the_columns_hold_still_render(client):
    ids = _product_with_cost(client, "999999999999.999999", raw="99999999999999.9999", sell="0.01")
    cheap = _currency(client, "XXX", "0.000001")
    client.put(
        f"/api/products/{ids['product']}/", data=document("product", {"currency": {"@id": cheap}})
    )
    response = client.get(f"/api/products/{ids['product']}/")
    assert response.status_code == 200
    body = xml(response)
    assert body.findtext("costs/cost") == "99999999999999999800000000000000.0001"
    assert body.findtext("margin").startswith("-99999999999999999")
    assert client.get(f"/api/products/{ids['product']}/costs/").status_code == 200


def test_a_stored_value_no_figure_can_come_from_renders_empty_and_is_logged(client, engine, caplog):
    ids = _product_with_cost(client, "2")
    with engine.begin() as connection:  # past the API, as a faulty import would
        connection.execute(
            text("UPDATE currencies SET exchange_rate = 0 WHERE id = :id"), {"id": ids["currency"]}
        )
        connection.execute(text("UPDATE products SET version = version + 1"))
    caplog.set_level(logging.WARNING, logger="xmlapi")
    product = client.get(f"/api/products/{ids['product']}/")
    assert product.status_code == 200
    assert xml(product).findtext("costs/cost") == ""
    assert xml(product).findtext("margin") == ""
    assert xml(product).findtext("sells/sell") == "20.00"
    cost = client.get(f"/api/products/{ids['product']}/costs/{ids['cost']}/")
    assert cost.status_code == 200
    assert xml(cost).findtext("cost") == ""
    assert xml(cost).findtext("raw") == "10.0000"
    assert client.get(f"/api/products/{ids['product']}/costs/").status_code == 200
    assert any(
        r.levelno == logging.WARNING and "cannot be computed" in r.getMessage()
        for r in caplog.records
    )


# 3. Text XML cannot carry -----------------------------------------------------------------


@pytest.mark.parametrize("reference", ["&#xFFFE;", "&#xFFFF;", "&#x1;", "&#x0;", "&#xD800;"])
def test_characters_xml_cannot_carry_never_reach_the_catalog(client, reference):
    body = f"<product><code>BAD{reference}</code></product>".encode()
    response = client.post("/api/products/", data=body)
    assert response.status_code == 400
    assert error_type(response) == "xml.malformed"
    assert xml(client.get("/api/products/")).get("total_count") == "0"


@pytest.mark.parametrize(
    "reference, char", [("&#x7F;", "\x7f"), ("&#x85;", "\x85"), ("&#xD;", "\r")]
)
def test_characters_xml_carries_are_stored_and_rendered_back(client, reference, char):
    body = f"<product><code>OK</code><description>a{reference}b</description></product>"
    response = client.post("/api/products/", data=body.encode())
    assert response.status_code == 201, response.get_data(as_text=True)
    product = client.get(f"/api/products/{xml(response).get('id')}/")
    assert xml(product).findtext("description") == f"a{char}b"


@pytest.mark.parametrize("value", ["a\ufffeb", "a\x01b", "a\x00b", "\ud800", "\uffff"])
def test_text_fields_refuse_characters_xml_cannot_carry(value):
    """Parsing refuses them first; the payload check stands behind it for every text field."""
    with pytest.raises(ValidationError) as caught:
        payloads.PRODUCT_SCHEMA.load({"description": value, "keywords": {"keyword": value}})
    assert set(caught.value.messages) == {"description", "keywords"}


# 4. Ids past the columns' range --------------------------------------------------------

BIG = str(2**31)


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", f"/api/products/{BIG}/"),
        ("PUT", f"/api/products/{BIG}/"),
        ("DELETE", f"/api/products/{BIG}/"),
        ("LOCK", f"/api/products/{BIG}/"),
        ("UNLOCK", f"/api/products/{BIG}/"),
        ("GET", f"/api/products/{2**63}/"),
        ("GET", f"/api/products/{10**30}/"),
        ("GET", "/api/products/0/"),
        ("GET", "/api/products/\u0663/"),
        ("GET", f"/api/products/1/product_photos/{BIG}/"),
        ("GET", f"/api/products/{BIG}/product_photos/"),
        ("GET", f"/api/products/1/costs/{BIG}/"),
        ("GET", f"/api/products/1/serial_numbers/{BIG}/"),
        ("GET", f"/api/products/{BIG}/inventory/"),
        ("GET", f"/api/setup/classes/{BIG}/"),
        ("PUT", f"/api/setup/classes/{BIG}/"),
        ("GET", f"/api/warehouses/{2**63}/"),
    ],
)
def test_ids_past_the_columns_range_in_paths_are_a_404(client, method, path):
    response = client.open(path, method=method, data=document("class", {"name": "x"}))
    assert response.status_code == 404
    assert error_type(response) == "not_found"


def test_the_largest_id_in_a_path_is_looked_up(client):
    response = client.get(f"/api/products/{2**31 - 1}/")
    assert response.status_code == 404
    assert "2147483647" in xml(response).findtext("localizable_message/message")


def _refs(client) -> dict[str, int]:
    return {"product": create_locked_product(client, code="P")}


@pytest.mark.parametrize(
    "children, field",
    [
        ({"class": {"@id": BIG}}, "class"),
        ({"currency": {"@id": str(2**63)}}, "currency"),
        ({"supplier": {"@id": BIG}}, "supplier"),
        ({"tax_exemption": {"@id": BIG}}, "tax_exemption"),
        ({"product_color": {"@id": BIG}}, "product_color"),
        ({"product_size": {"@id": BIG}}, "product_size"),
        ({"master_product": {"product": {"@id": BIG}}}, "master_product/product"),
        ({"categories": {"pos": {"category": {"@id": BIG}}}}, "categories/pos/category"),
        ({"reorder": {"type": BIG}}, "reorder/type"),
        ({"reorder": {"type": str(-(2**31) - 1)}}, "reorder/type"),
        (
            {"related_products": {"related_product": {"product": {"@id": BIG}}}},
            "related_products/related_product/0/product",
        ),
    ],
)
def test_ids_and_integers_past_their_columns_in_products_are_a_422(client, children, field):
    product = create_locked_product(client, code="P")
    response = client.put(f"/api/products/{product}/", data=document("product", children))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert error_type(response) == "field.invalid"
    assert list(error_fields(response)) == [field]


@pytest.mark.parametrize(
    "path, tag, children, field",
    [
        (
            "serial_numbers",
            "serial_number",
            {"serial": "S", "warehouse": {"@id": BIG}},
            "warehouse",
        ),
        ("serial_numbers", "serial_number", {"serial": "S", "status": BIG}, "status"),
        ("costs", "cost", {"supplier": {"@id": BIG}, "supplier_product_code": "X"}, "supplier"),
    ],
)
def test_ids_and_integers_past_their_columns_under_a_product_are_a_422(
    client, path, tag, children, field
):
    product = create_locked_product(client, code="P", flags={"serialized": "true"})
    response = client.post(f"/api/products/{product}/{path}/", data=document(tag, children))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert list(error_fields(response)) == [field]


def test_a_reference_past_the_id_range_in_reference_data_is_a_422(client):
    response = client.post(
        "/api/suppliers/", data=document("supplier", {"name": "S", "currency": {"@id": BIG}})
    )
    assert response.status_code == 422
    assert list(error_fields(response)) == ["currency"]


# 5. Decimals that round past their column ------------------------------------------------


@pytest.mark.parametrize(
    "children, field",
    [
        ({"sell_price": "9999999999999999.995"}, "sell_price"),
        ({"sell_price": "-9999999999999999.995"}, "sell_price"),
        ({"sell_price": "1" + "0" * 400}, "sell_price"),
        ({"sells": {"sell": "9999999999999999.995"}}, "sells/sell"),
        ({"sells": {"sell_web": "10000000000000000"}}, "sells/sell_web"),
        ({"minimum_margin": "9999999.995"}, "minimum_margin"),
        ({"product_info": {"weight": "99999999999999.99995"}}, "product_info/weight"),
        ({"reorder": {"amount": "99999999999.99999995"}}, "reorder/amount"),
        ({"reorder": {"point": "-99999999999.99999995"}}, "reorder/point"),
    ],
)
def test_decimals_rounding_past_their_column_in_products_are_a_422(client, children, field):
    product = create_locked_product(client, code="P")
    response = client.put(f"/api/products/{product}/", data=document("product", children))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert error_type(response) == "field.invalid"
    assert list(error_fields(response)) == [field]


@pytest.mark.parametrize(
    "children, element, stored",
    [
        ({"sell_price": "9999999999999999.994"}, "sell_price", "9999999999999999.99"),
        ({"minimum_margin": "-9999999.994"}, "minimum_margin", "-9999999.99"),
        ({"product_info": {"weight": "99999999999999.99994"}}, "product_info/weight", None),
    ],
)
def test_decimals_at_the_edge_of_their_column_are_stored_and_echoed(
    client, children, element, stored
):
    product = create_locked_product(client, code="P")
    response = client.put(f"/api/products/{product}/", data=document("product", children))
    assert response.status_code == 200, response.get_data(as_text=True)
    expected = stored or "99999999999999.9999"
    assert xml(response).findtext(element) == expected
    assert xml(client.get(f"/api/products/{product}/")).findtext(element) == expected


@pytest.mark.parametrize("value", ["99999999999.99999995", "-99999999999.99999995"])
def test_inventory_rounding_past_its_column_is_a_422(client, value):
    product = create_locked_product(client, code="P")
    response = client.put(
        f"/api/products/{product}/inventory/", data=document("inventory", {"available": value})
    )
    assert response.status_code == 422
    assert list(error_fields(response)) == ["available"]


@pytest.mark.parametrize(
    "path, tag, children, field",
    [
        ("costs", "cost", {"supplier_product_code": "X", "raw": "99999999999999.99995"}, "raw"),
        (
            "serial_numbers",
            "serial_number",
            {"serial": "S", "cost": "99999999999999.99995"},
            "cost",
        ),
    ],
)
def test_costs_rounding_past_their_column_are_a_422(client, path, tag, children, field):
    supplier = _post(client, "/api/suppliers/", "supplier", {"name": "S"})
    product = create_locked_product(client, code="P", flags={"serialized": "true"})
    children = {"supplier": {"@id": supplier}, **children} if tag == "cost" else children
    response = client.post(f"/api/products/{product}/{path}/", data=document(tag, children))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert list(error_fields(response)) == [field]


def test_a_related_quantity_rounding_past_its_column_is_a_422(client):
    other = create_locked_product(client, code="O")
    product = create_locked_product(client, code="P")
    related = {"related_product": {"product": {"@id": other}, "quantity": "1e11"}}
    response = client.put(
        f"/api/products/{product}/",
        data=document("product", {"related_products": related}),
    )
    assert response.status_code == 400  # 1e11 is no xs:decimal
    related["related_product"]["quantity"] = "99999999999.99999995"
    response = client.put(
        f"/api/products/{product}/",
        data=document("product", {"related_products": related}),
    )
    assert response.status_code == 422
    assert list(error_fields(response)) == ["related_products/related_product/0/quantity"]


# A code as long as the contract allows (1023 characters), of 1023 different three-byte
# characters: 3 069 bytes that do not compress, past what one PostgreSQL btree entry
# holds (2 704).
WIDEST_CODE = "".join(chr(0x4E00 + n) for n in range(1023))


def test_a_code_too_wide_for_the_databases_index_is_a_422_never_a_503(client, engine):
    response = client.post("/api/products/", data=document("product", {"code": WIDEST_CODE}))
    as_json = client.post("/api/v2/orgs/1/products/", json={"code": WIDEST_CODE, "kind": "goods"})
    total = xml(client.get("/api/products/")).get("total_count")
    if engine.dialect.name != "postgresql":  # SQLite's indexes take it
        assert response.status_code == 201, response.get_data(as_text=True)
        assert xml(response).findtext("code") == WIDEST_CODE
        return
    # The same request would fail again: the client's to change, not "come back later".
    assert response.status_code == 422, response.get_data(as_text=True)
    assert error_type(response) == "field.invalid"
    assert "Retry-After" not in response.headers
    assert as_json.status_code in (400, 422), as_json.get_data(as_text=True)
    assert as_json.is_json
    assert total == "0"
