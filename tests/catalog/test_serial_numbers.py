"""Serial numbers and the stock they drive (catalog/serial_numbers.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.catalog.conftest import add_product
from xmlapi.catalog import inventory, serial_numbers
from xmlapi.catalog.errors import Conflict, NotFound, RuleBroken


def available(session, product_id: int) -> Decimal:
    return inventory.levels(session, product_id).available


def test_serials_in_stock_are_the_available_stock(session):
    product = add_product(session, code="P1", serialized=True)
    first = serial_numbers.create(session, product.id, {"serial": "S1"})
    serial_numbers.create(session, product.id, {"serial": "S2", "status": 0})
    assert available(session, product.id) == Decimal(2)
    serial_numbers.update(session, product.id, first, {"status": 1})  # sold
    assert available(session, product.id) == Decimal(1)
    serial_numbers.delete(session, product.id, first)
    assert [s.serial for s in serial_numbers.listing(session, product.id)] == ["S2"]
    assert available(session, product.id) == Decimal(1)


def test_a_product_not_serialized_takes_no_serials(session):
    product = add_product(session, code="P1")
    with pytest.raises(RuleBroken) as caught:
        serial_numbers.create(session, product.id, {"serial": "S1"})
    assert list(caught.value.fields) == ["serialized"]
    assert serial_numbers.listing(session, product.id) == []


def test_a_new_serial_needs_its_serial_and_keeps_it(session):
    product = add_product(session, code="P1", serialized=True)
    with pytest.raises(RuleBroken):
        serial_numbers.create(session, product.id, {"note": "no serial"})
    serial_id = serial_numbers.create(session, product.id, {"serial": "S1"})
    with pytest.raises(RuleBroken) as caught:
        serial_numbers.update(session, product.id, serial_id, {"serial": None})
    assert caught.value.fields == {"serial": "May not be empty."}


def test_a_serial_is_unique_per_product_only(session):
    one = add_product(session, code="P1", serialized=True)
    other = add_product(session, code="P2", serialized=True)
    serial_numbers.create(session, one.id, {"serial": "S1"})
    with pytest.raises(Conflict) as caught:
        serial_numbers.create(session, one.id, {"serial": "S1"})
    assert caught.value.fields == {"serial": "Already in use."}
    serial_numbers.create(session, other.id, {"serial": "S1"})
    assert [len(serial_numbers.listing(session, p.id)) for p in (one, other)] == [1, 1]


def test_a_serial_of_another_product_is_not_found(session):
    one = add_product(session, code="P1", serialized=True)
    other = add_product(session, code="P2", serialized=True)
    serial_id = serial_numbers.create(session, one.id, {"serial": "S1"})
    with pytest.raises(NotFound, match=f"Product {other.id} has no serial number"):
        serial_numbers.get(session, other.id, serial_id)
    missing = other.id + 1000  # ids only grow: no product has it yet
    with pytest.raises(NotFound, match=f"No product with id {missing}"):
        serial_numbers.get(session, missing, serial_id)
