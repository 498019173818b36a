"""Supplier costs: conversion, the summary, the default cost rules (catalog/costs.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.catalog.conftest import add_product, add_supplier
from xmlapi.catalog import costs
from xmlapi.catalog.errors import NotFound, RuleBroken
from xmlapi.catalog.readmodel import CostSummary
from xmlapi.models import Currency, Product, Supplier, SupplierCost


def currency(rate: str) -> Currency:
    return Currency(code="XXX", name="test", exchange_rate=Decimal(rate))


def test_convert_goes_through_the_base_currency_rounded_half_up():
    assert costs.convert(Decimal("10"), currency("1.5"), currency("2")) == Decimal("7.5000")
    assert costs.convert(Decimal("1"), currency("1"), currency("3")) == Decimal("0.3333")
    assert costs.convert(Decimal("0.00005"), None, None) == Decimal("0.0001")


def test_a_missing_currency_counts_as_the_base_currency():
    assert costs.convert(Decimal("10"), None, currency("4")) == Decimal("2.5000")
    assert costs.convert(Decimal("10"), currency("4"), None) == Decimal("40.0000")


def cost(raw: str, rate: str | None, default: bool = False) -> SupplierCost:
    supplier = Supplier(name="s", currency=currency(rate) if rate else None)
    return SupplierCost(raw=Decimal(raw), supplier=supplier, is_default=default)


def test_summary_is_the_default_cost_and_the_mean_of_all_in_the_products_currency():
    product = Product(currency=currency("2"))
    product.supplier_costs = [cost("10", None), cost("6", "4", default=True), cost("1", "3")]
    assert costs.summary(product) == CostSummary(
        cost=Decimal("12.0000"), average=Decimal("6.1667"), raw=Decimal("6")
    )


def test_summary_is_empty_without_a_default_cost():
    product = Product(currency=None)
    product.supplier_costs = []
    assert costs.summary(product) == CostSummary(None, None, None)


def test_the_first_cost_becomes_the_default_and_the_product_follows_it(session):
    acme = add_supplier(session, "acme")
    product = add_product(session, code="P1")
    cost_id = costs.create(
        session, product.id, {"supplier_id": acme.id, "supplier_product_code": "A-1", "raw": None}
    )
    stored = costs.product_with_costs(session, product.id)
    [only] = stored.supplier_costs
    assert (only.id, only.is_default, only.raw) == (cost_id, True, Decimal("0.0000"))
    assert (stored.supplier_id, stored.supplier_code, stored.new_cost) == (acme.id, "A-1", True)
    assert stored.version > 1  # the product's version moved with its new cost


def test_marking_another_cost_default_moves_the_default(session):
    acme, bolt = add_supplier(session, "acme"), add_supplier(session, "bolt")
    product = add_product(session, code="P1")
    first = costs.create(
        session, product.id, {"supplier_id": acme.id, "supplier_product_code": "A"}
    )
    second = costs.create(
        session,
        product.id,
        {"supplier_id": bolt.id, "supplier_product_code": "B", "raw": Decimal("1.23456")},
    )
    assert (
        costs.default_of(costs.product_with_costs(session, product.id).supplier_costs).id == first
    )
    costs.update(session, product.id, second, {"default": True})
    stored = costs.product_with_costs(session, product.id)
    assert [(c.id, c.is_default) for c in stored.supplier_costs] == [(first, False), (second, True)]
    assert (stored.supplier_id, stored.supplier_code) == (bolt.id, "B")
    assert costs.find(stored, second).raw == Decimal("1.2346")


def test_deleting_the_default_promotes_the_cost_listed_first(session):
    acme = add_supplier(session, "acme")
    product = add_product(session, code="P1")
    first = costs.create(
        session, product.id, {"supplier_id": acme.id, "supplier_product_code": "A"}
    )
    second = costs.create(
        session, product.id, {"supplier_id": acme.id, "supplier_product_code": "B"}
    )
    third = costs.create(
        session, product.id, {"supplier_id": acme.id, "supplier_product_code": "C"}
    )
    costs.update(session, product.id, third, {"default": True})
    costs.delete(session, product.id, third)
    stored = costs.product_with_costs(session, product.id)
    assert [(c.id, c.is_default) for c in stored.supplier_costs] == [(first, True), (second, False)]
    assert stored.supplier_code == "A"


def test_the_default_cost_cannot_be_unmarked_and_nothing_changes(session):
    acme = add_supplier(session, "acme")
    product = add_product(session, code="P1")
    only = costs.create(session, product.id, {"supplier_id": acme.id, "supplier_product_code": "A"})
    with pytest.raises(RuleBroken) as caught:
        costs.update(session, product.id, only, {"default": False, "supplier_product_code": "Z"})
    assert caught.value.fields == {"default": "Mark another cost default instead."}
    stored = costs.product_with_costs(session, product.id)
    assert [(c.supplier_product_code, c.is_default) for c in stored.supplier_costs] == [("A", True)]


def test_a_new_cost_needs_a_supplier_and_its_code(session):
    product = add_product(session, code="P1")
    with pytest.raises(RuleBroken) as caught:
        costs.create(session, product.id, {"raw": Decimal(1)})
    assert caught.value.fields == {
        "supplier_id": "Missing data for required field.",
        "supplier_product_code": "Missing data for required field.",
    }


def test_a_cost_of_another_product_is_not_found(session):
    acme = add_supplier(session, "acme")
    one, other = add_product(session, code="P1"), add_product(session, code="P2")
    cost_id = costs.create(session, one.id, {"supplier_id": acme.id, "supplier_product_code": "A"})
    with pytest.raises(NotFound):
        costs.update(session, other.id, cost_id, {"raw": Decimal(2)})
