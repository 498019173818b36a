"""Documents loaded into change sets (faces/legacy/payloads.py), without HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from xmlapi.faces.legacy import payloads


def element(text: str) -> etree._Element:
    return etree.fromstring(text)


def test_a_cost_loads_into_its_columns_rounded_to_their_scale():
    cost = element(
        "<cost><raw>1.23456</raw><supplier id='3'/>"
        "<supplier_product_code>X</supplier_product_code><default>true</default></cost>"
    )
    assert payloads.load_cost(cost) == {
        "raw": Decimal("1.2346"),
        "supplier_id": 3,
        "supplier_product_code": "X",
        "default": True,
    }


def test_an_empty_reference_is_none_and_absent_fields_stay_absent():
    serial = element(
        "<serial_number><serial>S</serial><status>1</status><warehouse/></serial_number>"
    )
    assert payloads.load_serial_number(serial) == {"serial": "S", "status": 1, "warehouse_id": None}


def test_an_empty_stock_level_is_none():
    levels = payloads.load_inventory(
        element("<inventory><available>2.5</available><reserved/></inventory>")
    )
    assert levels == {"available": Decimal("2.5"), "reserved": None}


@pytest.mark.parametrize(
    ("load", "text", "fields"),
    [
        (payloads.load_cost, "<cost><supplier id='x'/></cost>", {"supplier": "Not a valid id."}),
        (
            payloads.load_inventory,
            "<inventory><available>abc</available></inventory>",
            {"available": "Not a valid number."},
        ),
        (
            payloads.load_serial_number,
            "<serial_number><status>-1</status></serial_number>",
            {
                "status": "Must be greater than or equal to 0 and less than or equal to "
                f"{2**31 - 1}."
            },
        ),
    ],
)
def test_invalid_values_are_named_by_their_field(load, text, fields):
    with pytest.raises(payloads.PayloadError) as caught:
        load(element(text))
    assert caught.value.fields == fields


def test_values_sent_back_unchanged_are_left_out_of_the_change_set():
    sent = element("<cost><raw>2</raw><supplier_product_code>X</supplier_product_code></cost>")
    stored = element("<cost><raw>2.0</raw><supplier_product_code>Y</supplier_product_code></cost>")
    assert payloads.load_cost(sent, stored) == {"supplier_product_code": "X"}
