"""The edit form's fields as typed, checked values: text within its column, decimals
rounded to their column and within its range, flags as checkboxes."""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from werkzeug.datastructures import MultiDict

from xmlapi.catalog.inventory import LEVELS
from xmlapi.catalog.vocabulary import WRITABLE_FLAGS
from xmlapi.models.types import MONEY, QUANTITY, ExactDecimal

TEXTS = {"description": 4096, "short_description": 4096}
PRICES = ("sell_price", "sell_web")
INT_MAX = 2**31 - 1


class FormInvalid(ValueError):
    """Fields of a form hold values they cannot take; ``fields`` says which and why."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("Some fields have values they cannot take; nothing was saved.")
        self.fields = fields


def text(raw: str, limit: int) -> str | None:
    """Text without control characters (tabs and newlines aside), at most ``limit``."""
    value = raw.replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise ValueError(f"At most {limit} characters.")
    if any(unicodedata.category(c) in {"Cc", "Cs"} and c not in "\t\n" for c in value):
        raise ValueError("Contains a control character.")
    return value or None


def decimal(raw: str, column: ExactDecimal) -> Decimal | None:
    """A number as its column stores it (rounded half up), or None when empty."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        number = Decimal(raw) if len(raw) <= 64 else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError("Not a number.")
    too_large = ValueError(
        f"Must be below {column.largest} once rounded to {column.scale} decimals."
    )
    if number.adjusted() >= column.precision - column.scale:
        raise too_large
    rounded = number.quantize(column.quantum, rounding=ROUND_HALF_UP)
    if abs(rounded) >= column.largest:
        raise too_large
    return rounded


def whole_number(raw: str, minimum: int = 0) -> int:
    raw = raw.strip()
    if (
        not raw.isascii()
        or not raw.isdigit()
        or len(raw) > 10
        or not minimum <= int(raw) <= INT_MAX
    ):
        raise ValueError(f"A whole number from {minimum} to {INT_MAX}.")
    return int(raw)


def load_edit(
    form: MultiDict, serialized: bool
) -> tuple[dict[str, Any], dict[str, Decimal | None]]:
    """The product changes and stock levels of the edit form; raises FormInvalid. A
    serialized product's ``available`` follows its serials and is not read."""
    changes: dict[str, Any] = {}
    stock: dict[str, Decimal | None] = {}
    problems: dict[str, str] = {}

    def read(name: str, target: dict, parse) -> None:
        if name not in form:
            return
        try:
            target[name] = parse(form[name])
        except ValueError as exc:
            problems[name] = str(exc)

    for name, limit in TEXTS.items():
        read(name, changes, lambda raw, limit=limit: text(raw, limit))
    for name in PRICES:
        read(name, changes, lambda raw: decimal(raw, MONEY))
    for name in LEVELS:
        if not (serialized and name == "available"):
            read(name, stock, lambda raw: decimal(raw, QUANTITY))
    if "flags" in form:  # the form lists its checkboxes, so an unticked one means false
        changes.update({flag: flag in form for flag in WRITABLE_FLAGS})
    if problems:
        raise FormInvalid(problems)
    return changes, stock


def load_sort_order(form: MultiDict) -> int:
    try:
        return whole_number(form.get("sort_order", ""))
    except ValueError as exc:
        raise FormInvalid({"sort_order": str(exc)}) from None
