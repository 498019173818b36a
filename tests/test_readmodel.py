"""The read model (catalog/reads.py, catalog/readmodel.py) without HTTP: rows written with
a session, figures read back as any face would get them."""

from __future__ import annotations

import ast
import dataclasses
import logging
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import empty_tables
from tests.helpers import count_statements
from xmlapi import models
from xmlapi.catalog import readmodel, reads
from xmlapi.catalog.errors import NotFound
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.readmodel import NO_COSTS, ListItem
from xmlapi.db import session_scope
from xmlapi.faces.legacy.xml import render
from xmlapi.http.cache import RenderCache
from xmlapi.http.listing import batches, list_bodies

EXCLUSIVE = Pricing(tax_inclusive=False)
INCLUSIVE = Pricing(tax_inclusive=True, default_tax_rate=Decimal(7))
SIZES = ("512", "256", "original")
LEVELS = {
    "available": Decimal(3),
    "reserved": Decimal(2),
    "coming_for_stock": Decimal(5),
    "coming_for_customer": Decimal(7),
    "warehouses": Decimal(1),
    "in_transit": Decimal(4),
}


@pytest.fixture
def db(engine):
    yield engine
    empty_tables(engine)


def add(engine, *rows):
    with session_scope(engine) as session:
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


@pytest.fixture
def catalog(db):
    """A USD product sold for 20.00 (21.40 with tax), with a default cost of 10 EUR
    (1.08) and one of 8 GBP (1.25), stock levels, two serials and two photos."""
    usd, eur, gbp = add(
        db,
        models.Currency(code="USD", name="US dollar", exchange_rate=Decimal(1)),
        models.Currency(code="EUR", name="Euro", exchange_rate=Decimal("1.08")),
        models.Currency(code="GBP", name="Pound", exchange_rate=Decimal("1.25")),
    )
    northwind, dock = add(
        db,
        models.Supplier(name="Northwind", currency_id=eur),
        models.Supplier(name="Dock", currency_id=gbp),
    )
    (product,) = add(
        db,
        models.Product(
            code="MUG",
            currency_id=usd,
            sell=Decimal("20.00"),
            sell_tax_inclusive=Decimal("21.40"),
            keyword1="blue",
            **LEVELS,
        ),
    )
    add(
        db,
        models.SupplierCost(
            product_id=product,
            supplier_id=northwind,
            supplier_product_code="N-1",
            raw=Decimal(10),
            is_default=True,
        ),
        models.SupplierCost(
            product_id=product, supplier_id=dock, supplier_product_code="D-1", raw=Decimal(8)
        ),
        models.SerialNumber(product_id=product, serial="S1"),
        models.SerialNumber(product_id=product, serial="S2", status=1),
    )
    late, early = add(
        db,
        models.ProductPhoto(product_id=product, sort_order=2),
        models.ProductPhoto(product_id=product, sort_order=1),
    )
    add(
        db,
        *(
            models.PhotoScale(
                photo_id=early,
                size=size,
                filename=f"ab/{early}-{size}.jpg",
                format="jpeg",
                width=width,
                height=width,
                byte_size=1,
                digest=f"d{size}",
            )
            for size, width in (("original", 900), ("256", 256), ("512", 512))
        ),
    )
    return {"product": product, "usd": usd, "photos": (early, late)}


def detail(engine, product_id, rules=EXCLUSIVE):
    with session_scope(engine) as session:
        return reads.product_detail(session, product_id, rules)


# Figures ------------------------------------------------------------------------------------


def test_costs_are_converted_into_the_product_currency_and_summarized(db, catalog):
    product = detail(db, catalog["product"])
    assert [(line.raw, line.cost) for line in product.supplier_costs] == [
        (Decimal("10.0000"), Decimal("10.8000")),
        (Decimal("8.0000"), Decimal("10.0000")),
    ]
    assert product.supplier_costs[0].is_default
    assert product.supplier_costs[0].currency.values[0].value == "EUR"
    assert product.costs == readmodel.CostSummary(
        cost=Decimal("10.8000"), average=Decimal("10.4000"), raw=Decimal("10.0000")
    )


def test_margin_is_of_the_tax_exclusive_sell_over_the_default_cost(db, catalog):
    # (20.00 - 10.80) / 20.00, whichever price the pricing rule shows
    assert detail(db, catalog["product"], EXCLUSIVE).margin == Decimal("46.00")
    assert detail(db, catalog["product"], INCLUSIVE).margin == Decimal("46.00")


def test_the_sell_price_follows_the_pricing_rule(db, catalog):
    assert detail(db, catalog["product"], EXCLUSIVE).sell_price == Decimal("20.00")
    assert detail(db, catalog["product"], INCLUSIVE).sell_price == Decimal("21.40")


def test_stock_total_counts_what_is_on_hand_not_what_is_on_order(db, catalog):
    stock = detail(db, catalog["product"]).stock
    assert stock.total == Decimal(10)  # 3 + 2 + 1 + 4
    assert dict(stock.levels()) == LEVELS
    with session_scope(db) as session:
        assert reads.stock_levels(session, catalog["product"]) == stock


def test_children_are_read_in_their_order(db, catalog):
    product = detail(db, catalog["product"])
    assert product.photo_ids == catalog["photos"]  # by sort order, not by id
    assert [(s.serial, s.status) for s in product.serial_numbers] == [("S1", 0), ("S2", 1)]
    assert product.keywords == ("blue",)


def test_a_photo_lists_its_scales_in_the_contract_order_by_file_name(db, catalog):
    early = catalog["photos"][0]
    with session_scope(db) as session:
        photo = reads.photo(session, catalog["product"], early)
        listed = reads.photo_list(session, catalog["product"])
    assert [(s.size, s.width) for s in photo.scales] == [
        ("512", 512),
        ("256", 256),
        ("original", 900),
    ]
    assert [s.name for s in photo.scales] == [f"{early}-{size}.jpg" for size in SIZES]
    assert [p.id for p in listed] == list(catalog["photos"])
    assert listed[0] == photo


def test_a_figure_the_stored_values_cannot_give_is_none_and_logged(db, catalog, caplog):
    with db.begin() as connection:  # past the catalog, as a faulty import would
        connection.execute(
            text("UPDATE currencies SET exchange_rate = 0 WHERE id = :id"), {"id": catalog["usd"]}
        )
    caplog.set_level(logging.WARNING, logger="xmlapi")
    product = detail(db, catalog["product"])
    assert product.costs == NO_COSTS
    assert product.margin is None
    assert [line.cost for line in product.supplier_costs] == [None, None]
    assert product.sell == Decimal("20.00")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("costs of product" in m and "cannot be computed" in m for m in warnings)


def test_a_product_without_costs_has_an_empty_summary_and_no_margin(db):
    (product,) = add(db, models.Product(code="BARE", sell=Decimal(5)))
    bare = detail(db, product)
    assert (bare.costs, bare.margin, bare.supplier_costs) == (NO_COSTS, None, ())


def test_a_missing_product_is_not_found(db):
    with session_scope(db) as session, pytest.raises(NotFound):
        reads.product_detail(session, 12345, EXCLUSIVE)


def test_the_read_model_is_frozen(db, catalog):
    product = detail(db, catalog["product"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        product.margin = Decimal(0)


# List items ---------------------------------------------------------------------------------


def test_list_items_carry_the_same_figures_as_the_detail(db, catalog):
    (other,) = add(db, models.Product(code="OTHER", sell=Decimal("1.00")))
    ids = [catalog["product"], other, 99999]
    with db.connect() as connection:
        items = reads.list_items(connection, ids, INCLUSIVE)
    assert sorted(items) == [catalog["product"], other]  # an id with no product is left out
    item = items[catalog["product"]]
    full = detail(db, catalog["product"], INCLUSIVE)
    assert (item.sell_price, item.stock, item.photo_ids) == (
        full.sell_price,
        full.stock,
        full.photo_ids,
    )
    assert items[other].sell_price is None  # no tax-inclusive price stored
    assert (item.inventoried, item.master_model) == (True, False)


def test_list_items_of_any_number_of_products_take_one_statement(db, catalog):
    ids = add(db, *(models.Product(code=f"P{i}") for i in range(30)))
    with db.connect() as connection:
        assert count_statements(db, lambda: reads.list_items(connection, ids, EXCLUSIVE)) == 1
        assert count_statements(db, lambda: reads.list_items(connection, [], EXCLUSIVE)) == 0


def test_detail_reads_take_as_many_statements_whatever_the_number_of_children(db, catalog):
    def statements():
        return count_statements(db, lambda: detail(db, catalog["product"]))

    before = statements()
    add(
        db,
        *(models.SerialNumber(product_id=catalog["product"], serial=f"X{i}") for i in range(10)),
        *(models.ProductPhoto(product_id=catalog["product"]) for _ in range(10)),
    )
    assert statements() == before


# The list batcher ---------------------------------------------------------------------------


def _keys(connection, ids):
    """(id, version) of these products in id order, as a list page gives them."""
    rows = connection.execute(text("SELECT id, version FROM products ORDER BY id")).all()
    return [row for row in rows if row.id in ids]


def test_the_batcher_formats_each_item_once_then_serves_it_from_the_cache(db, catalog):
    ids = add(db, *(models.Product(code=f"B{i}") for i in range(5)))
    cache = RenderCache(size=100)
    formatted: list[int] = []

    def formatter(item: ListItem) -> bytes:
        formatted.append(item.id)
        return f"<{item.code}>".encode()

    with db.connect() as connection:
        page = _keys(connection, ids)

        def run():
            return b"".join(list_bodies(connection, page, EXCLUSIVE, formatter, cache, batch=2))

        first = count_statements(db, run)
        assert run() == b"<B0><B1><B2><B3><B4>"
        assert count_statements(db, run) == 0  # all from the cache
    assert first == 3  # batches of 2, 2 and 1
    assert formatted == ids


@pytest.fixture
def in_app(shared_app):
    """The list formatter makes its URIs from an app's route table."""
    with shared_app.app_context():
        yield


@pytest.mark.usefixtures("in_app")
def test_the_batcher_reformats_an_item_whose_version_moved_and_skips_a_deleted_one(db):
    ids = add(db, *(models.Product(code=f"V{i}") for i in range(3)))
    cache = RenderCache(size=100)
    with db.connect() as connection:
        page = _keys(connection, ids)
        bodies = list(list_bodies(connection, page, EXCLUSIVE, render.list_item_bytes, cache))
    assert [b'id="%d"' % i in body for i, body in zip(ids, bodies, strict=True)] == [True] * 3
    with session_scope(db) as session:
        session.get(models.Product, ids[0]).description = "changed"
        session.delete(session.get(models.Product, ids[2]))
    with db.connect() as connection:
        page = [*_keys(connection, ids), page[2]]  # the deleted one, as a stale page has it
        again = list(list_bodies(connection, page, EXCLUSIVE, render.list_item_bytes, cache))
        fresh = list(
            list_bodies(connection, page, EXCLUSIVE, render.list_item_bytes, RenderCache(size=9))
        )
    assert b"changed" in again[0] and again[1:] == bodies[1:]  # the others as cached
    assert fresh == again[:2]  # read now, the deleted product is left out


def test_batches_cut_any_iterable_in_lists():
    assert list(batches(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batches([], 2)) == []


# Rooms --------------------------------------------------------------------------------------


def test_the_xml_render_imports_nothing_from_the_catalog_but_read_model_types():
    source = Path(render.__file__).read_text()
    imported = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported += [(node.module, alias.name) for alias in node.names]
    from_catalog = [(m, n) for m, n in imported if m and m.startswith("xmlapi.catalog")]
    assert from_catalog, "render formats the read model: it imports its types"
    for module, name in from_catalog:
        assert module == "xmlapi.catalog.readmodel", (module, name)
        assert dataclasses.is_dataclass(getattr(readmodel, name)), name


def test_the_read_model_imports_nothing_from_the_rest_of_the_catalog():
    source = Path(readmodel.__file__).read_text()
    modules = [
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    ]
    assert not [m for m in modules if m.startswith("xmlapi")]
