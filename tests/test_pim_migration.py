"""Migration 0013 (the PIM face's catalogs, virtual products, relationships, locale and
kit flag) goes up and down on the suite's database kind; a product that had kit members
before it is a kit after it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from tests import test_orders_migration
from tests.test_orders_migration import tables
from xmlapi.migrate import alembic_config
from xmlapi.models import Product

scratch_url = test_orders_migration.scratch_url  # the fixture: a database to migrate
TABLES = {"pim_catalogs", "pim_product_catalogs", "pim_virtual_products", "pim_relationships"}


def _run(url: str, *statements) -> list:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            results = [connection.execute(statement) for statement in statements]
            return results[-1].all() if results[-1].returns_rows else []
    finally:
        engine.dispose()


def test_the_pim_additions_come_and_go_with_their_migration(scratch_url):
    config = alembic_config(scratch_url)
    command.upgrade(config, "0012")
    _run(
        scratch_url,
        # The products table is the same before and after: its Python defaults fill it.
        Product.__table__.insert().values([{"id": 1, "code": "kit"}, {"id": 2, "code": "sku"}]),
        text(
            "INSERT INTO pim_products (product_id, discontinued, shipping_zones) "
            "VALUES (1, false, '[]'), (2, false, '[]')"
        ),
        text("INSERT INTO pim_kit_members (kit_id, member_id, qty) VALUES (1, 2, 1)"),
    )
    command.upgrade(config, "0013")
    assert tables(scratch_url) >= TABLES
    kits = _run(
        scratch_url, text("SELECT product_id, is_kit FROM pim_products ORDER BY product_id")
    )
    assert [(row[0], bool(row[1])) for row in kits] == [(1, True), (2, False)]
    command.downgrade(config, "0012")
    assert not TABLES & tables(scratch_url)
    command.upgrade(config, "0013")
    assert tables(scratch_url) >= TABLES
