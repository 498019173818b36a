"""Supplier costs of a product (/api/products/X/costs/), and the cost summary they drive."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import client_of
from tests.helpers import (
    count_statements,
    create,
    create_locked_product,
    currencies_and_suppliers,
    document,
    error_fields,
    error_type,
    spec_response_children,
    xml,
)
from xmlapi import models
from xmlapi.db import session_scope
from xmlapi.faces.legacy import endpoints
from xmlapi.http.cache import RenderCache


@pytest.fixture
def refs(client):
    """Currencies and suppliers: Northwind sells in EUR (1.08), Dock in GBP (1.25)."""
    return currencies_and_suppliers(client)


@pytest.fixture
def product(client, refs):
    """A product sold for 20.00 USD, locked by ``client``."""
    return create_locked_product(
        client, code="MUG", sell_price="20.00", currency={"@id": refs["usd"]}
    )


def costs_url(product_id: int, cost_id: int | None = None) -> str:
    base = f"/api/products/{product_id}/costs/"
    return base if cost_id is None else f"{base}{cost_id}/"


def cost_document(supplier=None, code=None, raw=None, default=None) -> bytes:
    return document(
        "cost",
        {
            "raw": raw,
            "supplier": {"@id": supplier} if supplier is not None else None,
            "supplier_product_code": code,
            "default": default,
        },
    )


def add_cost(client, product_id, supplier, code="C-1", raw="10", default=None) -> int:
    response = client.post(costs_url(product_id), data=cost_document(supplier, code, raw, default))
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(xml(response).get("id"))


def product_of(client, product_id):
    response = client.get(f"/api/products/{product_id}/")
    assert response.status_code == 200
    return xml(response)


def defaults(root) -> dict[str, str]:
    """cost id -> its ``default`` text, from a product render or a costs list."""
    items = root.iterfind("supplier_costs/cost") if root.tag == "product" else root
    return {item.get("id"): item.findtext("default") for item in items}


def summary(root) -> tuple:
    return (
        root.findtext("costs/raw"),
        root.findtext("costs/cost"),
        root.find("supplier").get("id"),
        root.findtext("supplier_code"),
    )


# Creating and reading ---------------------------------------------------------------


def test_create_answers_201_with_the_documented_cost(client, refs, product):
    response = client.post(
        costs_url(product), data=cost_document(refs["northwind"], "NW-MUG", "10")
    )
    assert response.status_code == 201
    root = xml(response)
    cost_id = root.get("id")
    assert response.headers["Location"] == f"/api/products/{product}/costs/{cost_id}/"
    assert root.get("uri") == f"/products/{product}/costs/{cost_id}/"
    documented = spec_response_children("GET /api/products/(d+)/costs/(d+)/")
    assert [child.tag for child in root] == documented
    assert root.findtext("raw") == "10.0000"
    currency = root.find("currency")
    assert (currency.get("id"), currency.findtext("code")) == (str(refs["eur"]), "EUR")
    assert root.findtext("cost") == "10.8000"  # 10 EUR at 1.08 in USD
    assert root.find("supplier").get("id") == str(refs["northwind"])
    assert root.findtext("supplier_product_code") == "NW-MUG"
    assert xml(client.get(costs_url(product, int(cost_id)))).findtext("raw") == "10.0000"


def test_the_first_cost_becomes_the_default_and_drives_the_summary(client, refs, product):
    cost_id = add_cost(client, product, refs["northwind"], "NW-MUG", "10", default="false")
    root = product_of(client, product)
    assert defaults(root) == {str(cost_id): "true"}
    assert summary(root) == ("10.0000", "10.8000", str(refs["northwind"]), "NW-MUG")
    assert root.findtext("costs/average") == "10.8000"
    assert root.findtext("margin") == "46.00"  # (20 - 10.80) / 20


def test_raw_defaults_to_zero_and_default_to_false(client, refs, product):
    add_cost(client, product, refs["northwind"], raw=None)
    second = add_cost(client, product, refs["dock"], "D-1", raw=None)
    root = xml(client.get(costs_url(product, second)))
    assert (root.findtext("raw"), root.findtext("default")) == ("0.0000", "false")


@pytest.mark.parametrize("missing", ["supplier", "supplier_product_code"])
def test_supplier_and_code_are_mandatory_on_create(client, refs, product, missing):
    values = {"supplier": refs["northwind"], "code": "NW-1", "raw": "1"}
    values["supplier" if missing == "supplier" else "code"] = None
    response = client.post(costs_url(product), data=cost_document(**values))
    assert response.status_code == 422
    assert missing in error_fields(response)
    assert len(xml(client.get(costs_url(product)))) == 0


def test_an_unknown_supplier_is_a_422_naming_it(client, product):
    response = client.post(costs_url(product), data=cost_document(999, "X"))
    assert response.status_code == 422
    assert error_type(response) == "reference.unknown"
    assert "supplier" in error_fields(response)


@pytest.mark.parametrize(
    "body,status",
    [
        (
            b"<cost><raw>-1</raw><supplier id='1'/><supplier_product_code>x</supplier_product_code>"
            b"</cost>",
            422,
        ),
        (b"<cost><raw>abc</raw></cost>", 400),
        (b"<cost><currency id='1'/></cost>", 400),
        (b"<cost><default>maybe</default></cost>", 400),
        (b"<product/>", 400),
    ],
)
def test_bad_cost_documents_are_refused(client, refs, product, body, status):
    response = client.post(costs_url(product), data=body)
    assert response.status_code == status
    assert len(xml(client.get(costs_url(product)))) == 0


def test_list_shows_every_cost_as_the_product_does(client, refs, product):
    first = add_cost(client, product, refs["northwind"], "NW-1", "10")
    second = add_cost(client, product, refs["dock"], "D-1", "4")
    listing = xml(client.get(costs_url(product)))
    assert listing.tag == "costs"
    assert [item.get("id") for item in listing] == [str(first), str(second)]
    rendered = product_of(client, product).find("supplier_costs")
    assert [item.findtext("cost") for item in listing] == ["10.8000", "5.0000"]
    assert [
        [(child.tag, child.text, child.get("id")) for child in item.iter()] for item in listing
    ] == [[(child.tag, child.text, child.get("id")) for child in item.iter()] for item in rendered]


def test_costs_of_another_product_or_of_no_product_are_404(client, refs, product):
    cost_id = add_cost(client, product, refs["northwind"])
    other = create_locked_product(client, code="OTHER")
    assert client.get(costs_url(other, cost_id)).status_code == 404
    assert client.put(costs_url(other, cost_id), data=b"<cost/>").status_code == 404
    assert client.delete(costs_url(other, cost_id)).status_code == 404
    assert client.get(costs_url(99999)).status_code == 404
    assert error_type(client.get(costs_url(product, 99999))) == "not_found"


# The default cost --------------------------------------------------------------------


def test_marking_a_cost_default_clears_the_others(client, refs, product):
    first = add_cost(client, product, refs["northwind"], "NW-1", "10")
    second = add_cost(client, product, refs["dock"], "D-1", "4", default="true")
    root = product_of(client, product)
    assert defaults(root) == {str(first): "false", str(second): "true"}
    assert summary(root) == ("4.0000", "5.0000", str(refs["dock"]), "D-1")
    response = client.put(costs_url(product, first), data=cost_document(default="1"))
    assert response.status_code == 200
    assert xml(response).findtext("default") == "true"
    root = product_of(client, product)
    assert defaults(root) == {str(first): "true", str(second): "false"}
    assert summary(root) == ("10.0000", "10.8000", str(refs["northwind"]), "NW-1")


def test_the_default_cannot_be_unmarked_only_replaced(client, refs, product):
    first = add_cost(client, product, refs["northwind"])
    add_cost(client, product, refs["dock"], "D-1")
    response = client.put(costs_url(product, first), data=cost_document(default="false"))
    assert response.status_code == 422
    assert "default" in error_fields(response)
    assert defaults(product_of(client, product))[str(first)] == "true"


def test_unmarking_a_cost_that_is_not_the_default_changes_nothing(client, refs, product):
    first = add_cost(client, product, refs["northwind"])
    second = add_cost(client, product, refs["dock"], "D-1")
    response = client.put(costs_url(product, second), data=cost_document(default="false"))
    assert response.status_code == 200
    assert defaults(product_of(client, product)) == {str(first): "true", str(second): "false"}


def test_put_changes_only_what_it_carries_and_the_summary_follows(client, refs, product):
    cost_id = add_cost(client, product, refs["northwind"], "NW-1", "10")
    response = client.put(costs_url(product, cost_id), data=cost_document(raw="20"))
    root = xml(response)
    assert (root.findtext("raw"), root.findtext("supplier_product_code")) == ("20.0000", "NW-1")
    assert summary(product_of(client, product))[:2] == ("20.0000", "21.6000")
    client.put(costs_url(product, cost_id), data=cost_document(refs["dock"], "D-9"))
    assert summary(product_of(client, product)) == (
        "20.0000",
        "25.0000",
        str(refs["dock"]),
        "D-9",
    )


def test_changing_a_cost_that_is_not_the_default_leaves_the_summary(client, refs, product):
    add_cost(client, product, refs["northwind"], "NW-1", "10")
    second = add_cost(client, product, refs["dock"], "D-1", "4")
    before = summary(product_of(client, product))
    client.put(costs_url(product, second), data=cost_document(refs["northwind"], "NW-2", "1"))
    root = product_of(client, product)
    assert summary(root) == before
    assert root.findtext("costs/average") == "5.9400"  # (10.80 + 1.08) / 2


@pytest.mark.parametrize(
    "element",
    ["<supplier/>", "<supplier_product_code/>", "<supplier_product_code></supplier_product_code>"],
)
def test_supplier_and_code_cannot_be_emptied(client, refs, product, element):
    cost_id = add_cost(client, product, refs["northwind"])
    response = client.put(costs_url(product, cost_id), data=f"<cost>{element}</cost>")
    assert response.status_code == 422
    assert xml(client.get(costs_url(product, cost_id))).findtext("supplier_product_code") == "C-1"


def test_an_empty_raw_is_zero(client, refs, product):
    cost_id = add_cost(client, product, refs["northwind"], raw="3")
    response = client.put(costs_url(product, cost_id), data=b"<cost><raw/></cost>")
    assert xml(response).findtext("raw") == "0.0000"


def test_deleting_the_default_promotes_the_next_and_the_last_empties_the_summary(
    client, refs, product
):
    first = add_cost(client, product, refs["northwind"], "NW-1", "10")
    second = add_cost(client, product, refs["dock"], "D-1", "4")
    third = add_cost(client, product, refs["dock"], "D-2", "8")
    response = client.delete(costs_url(product, first))
    assert response.status_code == 200
    root = xml(response)
    assert (root.tag, root.get("id"), root.get("deleted")) == ("cost", str(first), "true")
    assert root.get("uri") == f"/products/{product}/costs/{first}/"
    assert client.get(costs_url(product, first)).status_code == 404
    root = product_of(client, product)
    assert defaults(root) == {str(second): "true", str(third): "false"}
    assert summary(root) == ("4.0000", "5.0000", str(refs["dock"]), "D-1")
    client.delete(costs_url(product, third))  # not the default: nothing moves
    assert summary(product_of(client, product)) == ("4.0000", "5.0000", str(refs["dock"]), "D-1")
    client.delete(costs_url(product, second))
    root = product_of(client, product)
    assert summary(root) == ("", "", None, "")
    assert (root.findtext("costs/average"), root.findtext("margin")) == ("", "")
    assert len(root.find("supplier_costs")) == 0


def test_a_product_naming_its_supplier_keeps_it_but_costs_still_follow(client, refs):
    product = create_locked_product(
        client,
        code="OWN",
        sell_price="20.00",
        currency={"@id": refs["usd"]},
        supplier={"@id": refs["dock"]},
        supplier_code="MINE",
    )
    add_cost(client, product, refs["northwind"], "NW-1", "10")
    root = product_of(client, product)
    assert summary(root) == ("10.0000", "10.8000", str(refs["dock"]), "MINE")
    add_cost(client, product, refs["northwind"], "NW-2", "1", default="true")
    assert summary(product_of(client, product)) == ("1.0000", "1.0800", str(refs["dock"]), "MINE")


def test_a_product_naming_only_its_supplier_code_keeps_both(client, refs, product):
    add_cost(client, product, refs["northwind"], "NW-1", "10")
    client.put(f"/api/products/{product}/", data=document("product", {"supplier_code": "OWN"}))
    add_cost(client, product, refs["dock"], "D-1", "4", default="true")
    root = product_of(client, product)
    assert summary(root) == ("4.0000", "5.0000", str(refs["northwind"]), "OWN")


# The summary when currencies move -----------------------------------------------------


def test_the_summary_follows_the_product_currency(client, refs, product):
    add_cost(client, product, refs["northwind"], "NW-1", "10")
    client.put(
        f"/api/products/{product}/", data=document("product", {"currency": {"@id": refs["gbp"]}})
    )
    root = product_of(client, product)
    assert root.findtext("costs/cost") == "8.6400"  # 10 EUR = 10.80 base = 8.64 GBP
    assert root.findtext("supplier_costs/cost/cost") == "8.6400"
    assert root.findtext("margin") == "56.80"
    client.put(f"/api/products/{product}/", data=b"<product><currency/></product>")
    assert product_of(client, product).findtext("costs/cost") == "10.8000"  # base currency


def test_the_summary_follows_exchange_rates_and_supplier_currencies(client, refs, product):
    cost_id = add_cost(client, product, refs["northwind"], "NW-1", "10")
    client.put(
        f"/api/setup/currencies/{refs['eur']}/",
        data=document("currency", {"exchange_rate": "1.10"}),
    )
    root = product_of(client, product)
    assert root.findtext("costs/cost") == "11.0000"
    assert root.findtext("costs/average") == "11.0000"
    assert xml(client.get(costs_url(product, cost_id))).findtext("cost") == "11.0000"
    client.put(
        f"/api/suppliers/{refs['northwind']}/",
        data=document("supplier", {"currency": {"@id": refs["gbp"]}}),
    )
    root = product_of(client, product)
    assert root.findtext("costs/cost") == "12.5000"
    assert root.findtext("supplier_costs/cost/currency/code") == "GBP"


# flags/new_cost ------------------------------------------------------------------------


def _clear_new_cost(engine, product_id):
    with session_scope(engine) as session:
        session.get(models.Product, product_id).new_cost = False


def test_new_cost_turns_true_when_the_default_cost_changes(client, engine, refs, product):
    assert product_of(client, product).findtext("flags/new_cost") == "false"
    first = add_cost(client, product, refs["northwind"], "NW-1", "10")
    assert product_of(client, product).findtext("flags/new_cost") == "true"

    _clear_new_cost(engine, product)
    second = add_cost(client, product, refs["dock"], "D-1", "4")
    client.put(costs_url(product, second), data=cost_document(raw="5"))
    client.put(costs_url(product, first), data=cost_document(code="NW-RENAMED"))
    assert product_of(client, product).findtext("flags/new_cost") == "false"

    client.put(costs_url(product, first), data=cost_document(raw="11"))
    assert product_of(client, product).findtext("flags/new_cost") == "true"
    _clear_new_cost(engine, product)
    client.put(costs_url(product, second), data=cost_document(default="true"))
    assert product_of(client, product).findtext("flags/new_cost") == "true"
    _clear_new_cost(engine, product)
    client.delete(costs_url(product, second))  # the default goes: the first is promoted
    assert product_of(client, product).findtext("flags/new_cost") == "true"


# Locks, permissions, versions ------------------------------------------------------------


def test_cost_writes_need_the_product_lock(app, client, refs, product):
    cost_id = add_cost(client, product, refs["northwind"])
    bob = client_of(app, "bob")
    for response in (
        bob.post(costs_url(product), data=cost_document(refs["dock"], "X")),
        bob.put(costs_url(product, cost_id), data=cost_document(raw="1")),
        bob.delete(costs_url(product, cost_id)),
    ):
        assert response.status_code == 423
    client.open(f"/api/products/{product}/", method="UNLOCK")
    response = client.post(costs_url(product), data=cost_document(refs["dock"], "X"))
    assert (response.status_code, error_type(response)) == (428, "lock.required")
    assert bob.get(costs_url(product, cost_id)).status_code == 200
    assert client_of(app, "reader").get(costs_url(product)).status_code == 200


def test_read_only_users_cannot_write_costs(app, refs, product):
    response = client_of(app, "reader").post(
        costs_url(product), data=cost_document(refs["dock"], "X")
    )
    assert response.status_code == 403


def test_cost_writes_move_the_product_modified_time(client, refs, product):
    before = product_of(client, product).findtext("modified")
    cost_id = add_cost(client, product, refs["northwind"])
    after_create = product_of(client, product).findtext("modified")
    client.put(costs_url(product, cost_id), data=cost_document(raw="2"))
    after_update = product_of(client, product).findtext("modified")
    client.delete(costs_url(product, cost_id))
    after_delete = product_of(client, product).findtext("modified")
    assert before < after_create < after_update < after_delete


def test_the_registry_serves_the_contract_cost_endpoints():
    served = {(e.method, e.path): e for e in endpoints.ENDPOINTS}
    for method in ("GET", "POST"):
        assert served[(method, "/products/(d+)/costs/")].contract
    for method in ("GET", "PUT", "DELETE"):
        assert served[(method, "/products/(d+)/costs/(d+)/")].contract
    assert served[("POST", "/products/(d+)/costs/")].requires_lock


# Statements -------------------------------------------------------------------------------


def test_renders_issue_a_constant_number_of_statements(app, client, engine, refs):
    # Rows are added behind the catalog's back: count real renders, not cached ones.
    for cache in ("xmlapi.renders", "xmlapi.list_items"):
        app.extensions[cache] = RenderCache(size=0)
    product = create_locked_product(client, code="MANY", flags={"serialized": "true"})
    warehouse = create(client, "/api/warehouses/", "warehouse", {"name": "Main"})
    app_engine = app.extensions["xmlapi.engine"]
    urls = [
        f"/api/products/{product}/",
        costs_url(product),
        f"/api/products/{product}/serial_numbers/",
    ]

    def grow(n):
        with session_scope(engine) as session:
            start = session.scalar(select(func.count()).select_from(models.SupplierCost))
            for i in range(start, start + n):
                supplier = refs["northwind"] if i % 2 else refs["dock"]
                session.add(
                    models.SupplierCost(
                        product_id=product,
                        supplier_id=supplier,
                        supplier_product_code=f"C{i}",
                        is_default=i == 0,
                    )
                )
                session.add(
                    models.SerialNumber(product_id=product, serial=f"S{i}", warehouse_id=warehouse)
                )

    def counts():
        return [count_statements(app_engine, lambda url=url: client.get(url)) for url in urls]

    grow(1)
    small = counts()
    grow(30)
    assert counts() == small
    root = product_of(client, product)
    assert (len(root.find("supplier_costs")), len(root.find("serial_numbers"))) == (31, 31)
