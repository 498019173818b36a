"""PIM rules without HTTP: checked values of a document, attribute types on first use,
and upserts in the catalog's own transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xmlapi.catalog import pim, pim_input
from xmlapi.catalog.errors import InvalidValue, RuleBroken
from xmlapi.catalog.pim_attributes import infer_type
from xmlapi.catalog.pim_kits import is_kit
from xmlapi.catalog.pim_virtuals import virtual_inputs
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


@pytest.mark.parametrize("value", ["en", "en-AU", "en_AU", "zh-Hant-TW", "fil"])
def test_a_locale_is_a_language_code(value):
    assert pim_input.locale(value, "locale") == value


@pytest.mark.parametrize("value", ["", "EN", "english", "en-", "e", 5, None, "en-" + "A" * 9])
def test_anything_else_is_no_locale(value):
    with pytest.raises(InvalidValue):
        pim_input.locale(value, "locale")


def test_kit_modes_are_the_specs_two_in_any_case():
    assert pim_input.kit_mode("empty KIT", "m") == pim_input.EMPTY_KIT
    assert pim_input.kit_mode("Clone from existing SKU", "m") == pim_input.CLONED_KIT
    with pytest.raises(InvalidValue):
        pim_input.kit_mode("Clone", "m")


def test_a_code_only_reference_needs_its_code():
    assert pim_input.product_ref({"product_code": "a"}, "p", None, "product_code").code == "a"
    with pytest.raises(InvalidValue) as error:
        pim_input.product_ref({"product_id": 1}, "p", None, "product_code")
    assert "p.product_code" in error.value.fields


def _node(virtuals):
    return pim_input.product_document({"product": {"code": "a", "virtual_products": virtuals}})


def test_virtual_products_take_their_code_from_their_key_unless_they_name_one():
    ones = virtual_inputs(_node({"k1": {"name": "n"}, "k2": {"code": "c2", "status": "active"}}))
    assert [(one.code, one.name, one.status) for one in ones] == [
        ("k1", "n", None),
        ("c2", None, "active"),
    ]


@pytest.mark.parametrize(
    ("virtuals", "path"),
    [
        ({"k": {"code": "k", "x": 1}}, "product.virtual_products.k.x"),
        ({"a": {"code": "b"}, "b": {}}, "product.virtual_products.b.code"),
        ({str(i): {} for i in range(1001)}, "product.virtual_products"),
        ({"k": {"status": "gone"}}, "product.virtual_products.k.status"),
    ],
)
def test_virtual_products_are_checked_before_anything_is_written(virtuals, path):
    with pytest.raises(InvalidValue) as error:
        virtual_inputs(_node(virtuals))
    assert path in error.value.fields


def _upsert(engine, product):
    with session_scope(engine) as session:
        return pim.upsert(session, 1, {"product": product}, Pricing())


def test_a_product_given_members_is_a_kit_and_no_member(app, engine):
    _upsert(engine, {"code": "sku"})
    kit = _upsert(engine, {"code": "kit", "kit_skus": [{"product_code": "sku", "qty": 2}]})
    with session_scope(engine) as session:
        assert is_kit(session, kit)
        assert not is_kit(session, kit + 100)
    with pytest.raises(RuleBroken):
        _upsert(engine, {"code": "big", "kit_skus": [{"product_code": "kit", "qty": 1}]})


def test_a_kit_cloned_from_itself_or_a_kit_is_refused(app, engine):
    _upsert(engine, {"code": "kit", "kit_create_mode": "Empty kit", "attribute_set": "A"})
    clone = {"kit_create_mode": pim_input.CLONED_KIT}
    with pytest.raises(InvalidValue):
        _upsert(engine, {"code": "k", **clone, "base_sku_code_for_clone": "k"})
    with pytest.raises(RuleBroken):
        _upsert(engine, {"code": "k", **clone, "base_sku_code_for_clone": "kit"})
    with session_scope(engine) as session:
        assert session.query(Product).count() == 1


def test_a_clone_copies_the_products_own_columns_but_not_its_identity(app, engine):
    base = _upsert(engine, {"code": "sku", "name": "Bottle", "product_family_code": "F"})
    with session_scope(engine) as session:
        source = session.get(Product, base)
        source.upc = "12345"
        source.keyword1 = "oil"
    kit = _upsert(
        engine,
        {"code": "kit", "kit_create_mode": pim_input.CLONED_KIT, "base_sku_code_for_clone": "sku"},
    )
    with session_scope(engine) as session:
        copy = session.get(Product, kit)
        assert (copy.code, copy.description, copy.family, copy.keyword1) == (
            "kit",
            "Bottle",
            "F",
            "oil",
        )
        assert copy.upc is None and copy.available == 0
