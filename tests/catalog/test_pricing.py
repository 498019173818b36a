"""Prices, taxes and margins (catalog/pricing.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xmlapi.catalog.pricing import Pricing, margin


def test_a_tax_exclusive_price_is_the_sell_rounded_to_cents():
    assert Pricing().sells_for(Decimal("19.995")) == {
        "sell": Decimal("20.00"),
        "sell_tax_inclusive": None,
    }


def test_a_tax_inclusive_price_derives_the_sell_with_the_default_rate():
    assert Pricing(tax_inclusive=True).sells_for(Decimal("19.99")) == {
        "sell": Decimal("18.68"),
        "sell_tax_inclusive": Decimal("19.99"),
    }


def test_a_tax_inclusive_price_uses_the_configured_rate():
    pricing = Pricing(tax_inclusive=True, default_tax_rate=Decimal(25))
    assert pricing.sells_for(Decimal("10")) == {
        "sell": Decimal("8.00"),
        "sell_tax_inclusive": Decimal("10.00"),
    }


@pytest.mark.parametrize("tax_inclusive", [False, True])
def test_no_price_is_no_sell(tax_inclusive):
    assert Pricing(tax_inclusive=tax_inclusive).sells_for(None) == {
        "sell": None,
        "sell_tax_inclusive": None,
    }


def test_the_sell_price_column_follows_the_setting():
    assert Pricing().sell_price_column() == "sell"
    assert Pricing(tax_inclusive=True).sell_price_column() == "sell_tax_inclusive"


@pytest.mark.parametrize(
    ("sell", "cost", "expected"),
    [
        ("10", "7.5", "25.00"),
        ("3", "1", "66.67"),
        ("8", "10", "-25.00"),
        ("10", "0", "100.00"),
    ],
)
def test_margin_is_a_percentage_of_the_sell_rounded_half_up(sell, cost, expected):
    assert margin(Decimal(sell), Decimal(cost)) == Decimal(expected)


@pytest.mark.parametrize(
    ("sell", "cost"), [(None, Decimal(1)), (Decimal(1), None), (Decimal(0), Decimal(1))]
)
def test_margin_is_undefined_without_a_sell_or_a_cost(sell, cost):
    assert margin(sell, cost) is None


def test_margin_of_extreme_stored_values_needs_no_wider_context():
    huge = Decimal("9" * 15 + ".99")
    tiny = Decimal("0.01")
    assert margin(tiny, huge) == Decimal("-9999999999999999800.00")
