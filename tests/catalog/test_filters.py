"""Filters: the text parsed into an expression that picks rows on a session
(catalog/filters.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.catalog.conftest import add_product
from xmlapi.catalog import filters
from xmlapi.catalog.filters import AllOf, Comparison, InvalidQuery, Not
from xmlapi.catalog.listing import filter_fields
from xmlapi.catalog.pricing import Pricing
from xmlapi.models import Product

FIELDS = filter_fields(Pricing())


@pytest.fixture
def catalog(session):
    for code, description, sell in [
        ("A-1", "Red Apple", "1.50"),
        ("A-2", "green apple", "2.00"),
        ("B-1", "Banana", None),
    ]:
        add_product(
            session,
            code=code,
            description=description,
            sell=Decimal(sell) if sell else None,
        )
    return session


def picked(session, text: str) -> list[str]:
    query = select(Product.code).where(filters.parse_filter(text, FIELDS)).order_by(Product.id)
    return list(session.scalars(query))


def test_the_tree_of_a_filter():
    assert filters.parse_tree('code == "A-1" AND NOT sell > 2', FIELDS) == AllOf(
        (
            Comparison("code", "==", "", ("A-1",)),
            Not(Comparison("sell", ">", "", (Decimal(2),))),
        )
    )


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ('code == "A-1"', ["A-1"]),
        ('code BEGINSWITH "A"', ["A-1", "A-2"]),
        ('description CONTAINS[c] "APPLE"', ["A-1", "A-2"]),
        ('description CONTAINS "apple"', ["A-2"]),
        ("sell >= 2", ["A-2"]),
        ("sell == nil", ["B-1"]),
        ("sell != 2", ["A-1", "B-1"]),
        ('code IN {"A-2", "B-1"}', ["A-2", "B-1"]),
        ("sell BETWEEN {1, 1.75}", ["A-1"]),
        ('NOT code ENDSWITH "1" OR sell < 1.6', ["A-1", "A-2"]),
        ('description LIKE "*an*"', ["B-1"]),
        ('description MATCHES "[A-Z].*"', ["A-1", "B-1"]),
        ("TRUEPREDICATE", ["A-1", "A-2", "B-1"]),
    ],
)
def test_a_filter_picks_what_it_says(catalog, text, codes):
    assert picked(catalog, text) == codes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "filter: the filter is empty at character 1."),
        ("sell == ", "filter: expected a value at character 9."),
        ('code == "A" AND', "filter: expected a field name at character 16."),
        ('sell == "x"', "filter: 'x' is not a valid number at character 9."),
    ],
)
def test_an_unreadable_filter_says_where_it_broke(text, message):
    with pytest.raises(InvalidQuery) as caught:
        filters.parse_filter(text, FIELDS)
    assert str(caught.value) == message
    assert list(caught.value.fields) == ["filter"]


def test_an_unknown_field_is_named():
    with pytest.raises(InvalidQuery) as caught:
        filters.parse_filter("colour == 1", FIELDS)
    assert str(caught.value).startswith("filter: unknown field 'colour' (fields: available, ")
    assert caught.value.position == 0


def test_order_by_puts_empty_values_first_ascending_and_last_descending(catalog):
    def ordered(text: str) -> list[str]:
        clauses = filters.parse_order_by(text, FIELDS)
        return list(catalog.scalars(select(Product.code).order_by(*clauses, Product.id)))

    assert ordered("sell") == ["B-1", "A-1", "A-2"]
    assert ordered("sell:DESC") == ["A-2", "A-1", "B-1"]
    with pytest.raises(InvalidQuery, match="order_by: direction must be asc or desc"):
        filters.parse_order_by("sell:up", FIELDS)
