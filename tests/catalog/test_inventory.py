"""Stock levels (catalog/inventory.py)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from tests.catalog.conftest import add_product
from xmlapi.catalog import inventory
from xmlapi.catalog.errors import NotFound, RuleBroken


def test_total_counts_what_is_on_hand_not_what_is_on_order():
    levels = SimpleNamespace(
        available=Decimal("1.5"),
        reserved=Decimal(2),
        warehouses=Decimal(3),
        in_transit=Decimal(4),
        coming_for_stock=Decimal(100),
        coming_for_customer=Decimal(200),
    )
    assert inventory.total(levels) == Decimal("10.5")


def test_update_sets_the_levels_it_carries_empty_as_zero_and_stamps_the_product(session):
    product = add_product(session, code="P1", reserved=Decimal(5), warehouses=Decimal(7))
    inventory.update(session, product.id, {"available": Decimal("2.5"), "reserved": None})
    stored = inventory.levels(session, product.id)
    assert (stored.available, stored.reserved, stored.warehouses) == (
        Decimal("2.5"),
        Decimal(0),
        Decimal(7),
    )
    assert stored.version == 2


def test_a_serialized_products_available_cannot_be_set(session):
    product = add_product(session, code="P1", serialized=True)
    with pytest.raises(RuleBroken) as caught:
        inventory.update(session, product.id, {"available": Decimal(3), "reserved": Decimal(1)})
    assert list(caught.value.fields) == ["available"]
    stored = inventory.levels(session, product.id)
    assert (stored.available, stored.reserved, stored.version) == (Decimal(0), Decimal(0), 1)


def test_levels_of_a_missing_product_is_not_found(session):
    with pytest.raises(NotFound, match="No product with id 99"):
        inventory.levels(session, 99)
