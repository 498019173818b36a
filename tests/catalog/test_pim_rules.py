"""PIM rules without HTTP: checked values of a document, attribute types on first use,
and upserts in the catalog's own transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xmlapi.catalog import pim, pim_input
from xmlapi.catalog.errors import InvalidValue, RuleBroken
from xmlapi.catalog.pim_attributes import infer_type
from xmlapi.catalog.pricing import Pricing
from xmlapi.db import session_scope
from xmlapi.models import Product


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        ("description", "x", "html"),
        ("colour", "Blue", "string"),
        ("hero", False, "boolean"),
        ("weight", Decimal("1.5"), "number"),
        ("npc", {"associated_id": [1]}, "association"),
        ("option1", {"code": "a"}, "single_option"),
        ("option4", [{"code": "A"}, {"code": "B"}], "multi_option"),
        ("spec", {"any": "thing"}, "json"),
    ],
)
def test_a_new_attribute_takes_its_type_from_its_first_value(code, value, expected):
    assert infer_type(code, value) == expected


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({}, "product"),
        ({"product": {"code": "a", "variants": {"v": {}}}}, "product.variants.v.code"),
        ({"product": {"code": "a", "status": "gone"}}, "product.status"),
        ({"product": {"code": "a\x01"}}, "product.code"),
        ({"product": {"id": 0}}, "product.id"),
        ({"product": {"code": "a", "what": 1}}, "product.what"),
    ],
)
def test_a_document_is_checked_before_anything_is_written(document, path):
    with pytest.raises(InvalidValue) as error:
        pim_input.product_document(document)
    assert path in error.value.fields


def test_numbers_are_checked_for_size_and_sign():
    with pytest.raises(InvalidValue):
        pim_input.decimal(Decimal("1e30"), "amount", pim_input.MAX_AMOUNT)
    with pytest.raises(InvalidValue):
        pim_input.decimal(-1, "amount", pim_input.MAX_AMOUNT)
    with pytest.raises(InvalidValue):
        pim_input.integer(True, "qty")
    assert pim_input.decimal("12.50", "amount", pim_input.MAX_AMOUNT) == Decimal("12.50")


def test_an_upsert_is_one_transaction(app, engine):
    tree = {
        "product": {
            "code": "r",
            "variants": {
                "a": {"code": "r-a"},
                "b": {"code": "r-b", "price_items": [{"amount": "x"}]},
            },
        }
    }
    with session_scope(engine) as session, pytest.raises(InvalidValue):
        pim.upsert(session, 1, tree, Pricing())
    with session_scope(engine) as session:
        assert session.query(Product).count() == 0


def test_a_product_cannot_be_a_variant_of_its_own_variant(app, engine):
    with session_scope(engine) as session:
        pim.upsert(
            session, 1, {"product": {"code": "r", "variants": {"a": {"code": "r-a"}}}}, Pricing()
        )
    with session_scope(engine) as session, pytest.raises(RuleBroken):
        pim.upsert(
            session,
            1,
            {"product": {"code": "r-a", "product_variations": [{"child_product_code": "r"}]}},
            Pricing(),
        )
