"""The field vocabulary is one table: the documents' schemas agree with it, and the
catalog enforces it without any face (no HTTP here)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from tests.conftest import empty_tables
from xmlapi.catalog import costs, products, reference
from xmlapi.catalog.errors import InvalidValue
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.vocabulary import (
    CODE_SUFFIXES,
    DESCRIPTION_SUFFIXES,
    FLAGS,
    KEYWORD_SLOTS,
    LIST_FLAGS,
    WRITABLE_FLAGS,
)
from xmlapi.db import session_scope
from xmlapi.faces.legacy.xml.schemas import SCHEMAS_DIR

XS = "{http://www.w3.org/2001/XMLSchema}"
PRICING = Pricing(tax_inclusive=False, default_tax_rate=Decimal(0))


def element(schema: str, path: str) -> etree._Element:
    """The declaration of the element at ``path`` (names joined by /) in ``schema``."""
    node = etree.parse(str(SCHEMAS_DIR / schema)).getroot()
    for name in path.split("/"):
        node = next(e for e in node.iter(f"{XS}element") if e.get("name") == name)
    return node


def children(declaration: etree._Element) -> list[str]:
    return [e.get("name") for e in declaration.iter(f"{XS}element")][1:]


def test_the_schemas_list_the_vocabularys_flags():
    assert children(element("out/product.xsd", "flags")) == list(FLAGS)
    assert children(element("in/product.xsd", "flags")) == list(WRITABLE_FLAGS)
    assert children(element("out/products.xsd", "flags")) == list(LIST_FLAGS)


def test_the_schemas_list_the_vocabularys_suffixes_and_keyword_slots():
    for name, known in (
        ("code_suffix", CODE_SUFFIXES),
        ("description_suffix", DESCRIPTION_SUFFIXES),
    ):
        values = [e.get("value") for e in element("in/product.xsd", name).iter(f"{XS}enumeration")]
        assert values == list(known)
    keyword = element("in/product.xsd", "keywords/keyword")
    assert keyword.get("maxOccurs") == str(KEYWORD_SLOTS)


@pytest.fixture
def session(engine):
    with session_scope(engine) as session:
        yield session
    empty_tables(engine)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"keywords": ["a", "b", "c", "d"]}, "keywords"),
        ({"code_suffix": "NOPE"}, "code_suffix"),
        ({"description_suffix": "SIZE"}, "description_suffix"),
    ],
)
def test_the_catalog_refuses_values_outside_the_vocabulary(session, changes, field):
    with pytest.raises(InvalidValue) as refused:
        products.create(session, {"code": "V", **changes}, PRICING)
    assert list(refused.value.fields) == [field]


def test_costs_are_never_negative(session):
    product = products.create(session, {"code": "C"}, PRICING)
    with pytest.raises(InvalidValue) as refused:
        costs.create(
            session, product.id, {"supplier_id": 1, "supplier_product_code": "S", "raw": -1}
        )
    assert list(refused.value.fields) == ["raw"]


@pytest.mark.parametrize("rate", [Decimal(0), Decimal("-1")])
def test_exchange_rates_are_above_zero(session, rate):
    currencies = reference.kind("currencies")
    with pytest.raises(InvalidValue) as refused:
        reference.create(
            session, currencies, {"code": "EUR", "name": "Euro", "exchange_rate": rate}
        )
    assert list(refused.value.fields) == ["exchange_rate"]


def test_the_xml_render_writes_the_vocabulary():
    """render keeps its own copy (it may import nothing from the catalog but the read
    model's types): the copy must be the vocabulary."""
    from xmlapi.faces.legacy.xml import render

    assert render.FLAGS == FLAGS
    assert render.LIST_FLAGS == LIST_FLAGS
    assert render.KEYWORD_SLOTS == KEYWORD_SLOTS
