"""What a box item's values may be: the product fields (the names and typed values of
``readmodel.ProductFields``), its quantity and its custom fields. Every check raises
InvalidValue naming the field as the wire does; text is held to its column's length
and to characters a database stores as given.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xmlapi.catalog import product_sheets
from xmlapi.catalog.errors import InvalidValue
from xmlapi.catalog.readmodel import Price, Weight
from xmlapi.models import BoxItem
from xmlapi.models.types import MEASURE, MONEY

KINDS = product_sheets.KINDS
WEIGHT_UNITS = product_sheets.WEIGHT_UNITS
QUANTITY_MAX = 2**31 - 1  # an integer column on both databases
CUSTOM_FIELDS_MAX = 100  # per item
CUSTOM_VALUE_LENGTH = 1_000_000  # characters (shipping labels travel as custom fields)
NAME_LENGTH = 255
ENCODING_LENGTH = 64
CURRENCY = re.compile(r"[A-Z]{3}")

DATE_FIELDS = ("net_cost_begin_date", "net_cost_end_date")
# Text fields of an item: the product's fields that hold text (an item keeps its own
# copy of every product field); their longest values are their columns'. Their order is
# the order of the checks: the first wrong one is the field an error names.
TEXT_FIELDS = (
    *product_sheets.SHARED,
    *(
        name
        for name in product_sheets.STORED
        if name not in (*DATE_FIELDS, "kind", "joint_production")
    ),
)
# Every product field an item copies (custom fields aside).
PRODUCT_FIELDS = (
    *TEXT_FIELDS,
    *DATE_FIELDS,
    "kind",
    "unit_price",
    "unit_weight",
    "joint_production",
)
QUANTITY = "quantity"
CUSTOM_FIELDS = "custom_fields"


@dataclass(frozen=True, slots=True)
class ItemCustomField:
    """A custom field of an item: its value, and its media type and encoding if told."""

    value: str
    type: str | None = None
    encoding: str | None = None


def invalid(field: str, message: str) -> InvalidValue:
    return InvalidValue(message, {field: message})


def check_text(field: str, value: Any, length: int, *, blank: bool = False) -> str:
    """``value`` if it is text of at most ``length`` characters (and at least one
    unless ``blank``) that a database stores as given: no NUL or other control
    characters but tab and line ends, no lone surrogates (which UTF-8 cannot carry)."""
    if not isinstance(value, str):
        raise invalid(field, "Not a valid string.")
    if not value and not blank:
        raise invalid(field, "This field may not be blank.")
    if len(value) > length:
        raise invalid(field, f"Ensure this field has no more than {length} characters.")
    for char in value:
        if char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cs"):
            raise invalid(field, f"Character U+{ord(char):04X} is not allowed.")
    return value


def check_quantity(value: Any) -> int:
    """A whole number of items in a box: 1 to QUANTITY_MAX."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(QUANTITY, "A valid integer is required.")
    if not 0 < value <= QUANTITY_MAX:
        raise invalid(QUANTITY, f"Ensure this value is between 1 and {QUANTITY_MAX}.")
    return value


def _check_amount(field: str, value: Any, column, *, signed: bool) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise invalid(field, "A valid number is required.")
    if not signed and value < 0:
        raise invalid(field, "Ensure this value is not negative.")
    if abs(value) >= column.largest:
        raise invalid(field, f"Ensure this value is less than {column.largest}.")
    if value.as_tuple().exponent < -column.scale:  # type: ignore[operator]
        raise invalid(field, f"Ensure there are no more than {column.scale} decimal places.")
    return value


def _check_price(value: Any) -> Price:
    """An amount (negative for a discount) and an ISO 4217 code, or no code."""
    if not isinstance(value, Price):
        raise invalid("unit_price", "A price such as 88.00 USD is required.")
    _check_amount("unit_price", value.amount, MONEY, signed=True)
    if value.currency is not None and not CURRENCY.fullmatch(str(value.currency)):
        raise invalid("unit_price", "A currency is an ISO 4217 code of three letters.")
    return value


def _check_weight(value: Any) -> Weight:
    if not isinstance(value, Weight):
        raise invalid("unit_weight", "A weight such as 180 g is required.")
    _check_amount("unit_weight", value.amount, MEASURE, signed=False)
    if value.unit not in WEIGHT_UNITS:
        raise invalid("unit_weight", f"The unit must be one of: {', '.join(WEIGHT_UNITS)}.")
    return value


def _check_kind(value: Any) -> str:
    if value not in KINDS:
        raise invalid("kind", f"Must be one of: {', '.join(KINDS)}.")
    return value


def _check_date(field: str, value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise invalid(field, "A datetime with a timezone is required.")
    return value


def _check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise invalid("joint_production", "Must be true or false.")
    return value


def _text_check(name: str) -> Callable[[Any], str]:
    """A field's check: an empty string is kept (a product may have one to copy)."""
    length = BoxItem.__table__.c[name].type.length
    return lambda value: check_text(name, value, length, blank=True)


def _date_check(name: str) -> Callable[[Any], dt.datetime]:
    return lambda value: _check_date(name, value)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    **{name: _text_check(name) for name in TEXT_FIELDS},
    **{name: _date_check(name) for name in DATE_FIELDS},
    "kind": _check_kind,
    "unit_price": _check_price,
    "unit_weight": _check_weight,
    "joint_production": _check_bool,
}


def check_product_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The product fields of ``values``, checked (None clears a field); raises
    InvalidValue naming the first field that is wrong."""
    return {
        name: None if values[name] is None else _CHECKS[name](values[name])
        for name in PRODUCT_FIELDS
        if name in values
    }


def check_custom_fields(value: Any) -> dict[str, dict[str, str]]:
    """What the item stores of custom fields (name -> ItemCustomField), in their order."""
    if not isinstance(value, Mapping):
        raise invalid(CUSTOM_FIELDS, "Expected an object of name -> field.")
    if len(value) > CUSTOM_FIELDS_MAX:
        raise invalid(CUSTOM_FIELDS, f"An item has at most {CUSTOM_FIELDS_MAX} custom fields.")
    stored = {}
    for name, field in value.items():
        check_text(CUSTOM_FIELDS, name, NAME_LENGTH)
        if not isinstance(field, ItemCustomField):
            raise invalid(CUSTOM_FIELDS, f"Field {name!r}: expected a value.")
        value = check_text(CUSTOM_FIELDS, field.value, CUSTOM_VALUE_LENGTH, blank=True)
        stored[name] = {"value": value} | {
            key: check_text(CUSTOM_FIELDS, text, length)
            for key, text, length in (
                ("type", field.type, NAME_LENGTH),
                ("encoding", field.encoding, ENCODING_LENGTH),
            )
            if text is not None
        }
    return stored
