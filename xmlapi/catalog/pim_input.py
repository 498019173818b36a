"""Checked values of a PIM product document: every field's type and range is verified
here, before anything is written; a wrong one is an InvalidValue naming its path in the
document (``product.variants.jacket-red.code``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from xmlapi.catalog.errors import InvalidValue

MAX_CODE = 255  # codes and names of things other than products
MAX_PRODUCT_CODE = 1023
MAX_NAME = 4096
MAX_URL = 2048
MAX_ITEMS = 1000  # entries of one list in a document
MAX_PRODUCTS = 5000  # products of one document, variants included
MAX_AMOUNT = Decimal(10) ** 16  # Money: 18 digits, 2 after the point
MAX_QTY = Decimal(10) ** 11  # Quantity: 18 digits, 7 after the point
MAX_MEASURE = Decimal(10) ** 14
MAX_INT = 2**31 - 1
STATUSES = ("active", "inactive")
STOCK_STATES = ("in_stock", "out_of_stock", "back_order", "pre_order")
TIME_UNITS = ("hour", "day", "week", "month")
STYLES = ("static", "dynamic")
EMPTY_KIT = "Empty kit"
CLONED_KIT = "Clone from existing SKU"
KIT_MODES = (EMPTY_KIT, CLONED_KIT)
MAX_LOCALE = 35
# A language code, with a region or script after it: en, en-AU, en_AU, zh-Hant-TW.
LOCALE = re.compile(r"[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*")


def invalid(path: str, message: str) -> InvalidValue:
    return InvalidValue(f"{path}: {message}", {path: message})


def text(value: Any, path: str, limit: int = MAX_CODE, *, empty: bool = False) -> str:
    """A string of at most ``limit`` characters without control characters."""
    if not isinstance(value, str):
        raise invalid(path, "Must be a string.")
    value = value.strip()
    if not value and not empty:
        raise invalid(path, "Must not be empty.")
    if len(value) > limit:
        raise invalid(path, f"At most {limit} characters.")
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value) or "\x7f" in value:
        raise invalid(path, "Control characters are not allowed.")
    return value


def optional_text(value: Any, path: str, limit: int = MAX_CODE) -> str | None:
    return None if value is None else text(value, path, limit, empty=True)


def integer(value: Any, path: str, low: int = 0, high: int = MAX_INT) -> int:
    """A whole number from ``low`` to ``high`` (booleans are not numbers)."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(path, "Must be a whole number.")
    if not low <= value <= high:
        raise invalid(path, f"Must be from {low} to {high}.")
    return value


def ident(value: Any, path: str) -> int:
    return integer(value, path, 1)


def decimal(value: Any, path: str, limit: Decimal, *, negative: bool = False) -> Decimal:
    """A number (or a numeric string) under ``limit`` in size."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise invalid(path, "Must be a number.")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise invalid(path, "Must be a number.") from None
    if not number.is_finite() or abs(number) >= limit:
        raise invalid(path, f"Must be smaller than {limit}.")
    if number < 0 and not negative:
        raise invalid(path, "Must not be negative.")
    return number


def optional_decimal(value: Any, path: str, limit: Decimal) -> Decimal | None:
    return None if value is None else decimal(value, path, limit)


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(path, "Must be true or false.")
    return value


def choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    value = text(value, path)
    if value not in choices:
        raise invalid(path, f"Must be one of {', '.join(choices)}.")
    return value


def timestamp(value: Any, path: str) -> dt.datetime:
    """An ISO 8601 time, in UTC; without a zone it is UTC."""
    value = text(value, path, 64)
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(path, "Must be an ISO 8601 time (2016-05-30T05:13:26Z).") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the first UTC year
        raise invalid(path, "Out of range: from year 1 to 9999 in UTC.") from None


def optional_timestamp(value: Any, path: str) -> dt.datetime | None:
    return None if value is None else timestamp(value, path)


def locale(value: Any, path: str) -> str:
    """A language code (en, en-AU)."""
    value = text(value, path, MAX_LOCALE)
    if not LOCALE.fullmatch(value):
        raise invalid(path, "Must be a language code such as en or en-AU.")
    return value


def kit_mode(value: Any, path: str) -> str:
    """One of KIT_MODES, in any case."""
    value = text(value, path)
    for mode in KIT_MODES:
        if value.lower() == mode.lower():
            return mode
    raise invalid(path, f"Must be one of {', '.join(KIT_MODES)}.")


def mapping(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(path, "Must be an object.")
    return value


def items(value: Any, path: str) -> list[Any]:
    """A list of at most MAX_ITEMS entries; null is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(path, "Must be a list.")
    if len(value) > MAX_ITEMS:
        raise invalid(path, f"At most {MAX_ITEMS} entries.")
    return value


def objects(value: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    """The entries of a list of objects, each with its path."""
    return [
        (f"{path}.{i}", mapping(item, f"{path}.{i}")) for i, item in enumerate(items(value, path))
    ]


@dataclass(frozen=True)
class ProductRef:
    """A product named by id or by code (one of them)."""

    id: int | None = None
    code: str | None = None


def product_ref(entry: dict[str, Any], path: str, id_key: str | None, code_key: str) -> ProductRef:
    """The product an entry names by ``id_key`` or ``code_key`` (None: by code only)."""
    if id_key is not None and entry.get(id_key) is not None:
        return ProductRef(id=ident(entry[id_key], f"{path}.{id_key}"))
    if entry.get(code_key) is not None:
        return ProductRef(code=text(entry[code_key], f"{path}.{code_key}", MAX_PRODUCT_CODE))
    if id_key is None:
        raise invalid(f"{path}.{code_key}", "Required.")
    raise invalid(path, f"Name the product by {id_key} or {code_key}.")


@dataclass
class ProductInput:
    """One product of a document and the variants under it."""

    path: str
    fields: dict[str, Any]  # the plain fields sent: code, name, status, ...
    variants: list[ProductInput] = field(default_factory=list)
    parent: ProductInput | None = None

    @property
    def code(self) -> str | None:
        return self.fields.get("code")

    def walk(self):
        """This product and every variant under it, parents first."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.variants))


PLAIN_TEXT = {
    "code": MAX_PRODUCT_CODE,
    "_new_code": MAX_PRODUCT_CODE,
    "name": MAX_NAME,
    "product_type": 50,
    "attribute_set": MAX_CODE,
    "identifier_name": MAX_CODE,
    "entity_key": MAX_CODE,
    "product_class_name": MAX_CODE,
    "product_family_code": MAX_CODE,
    "base_sku_code_for_clone": MAX_PRODUCT_CODE,
}
KNOWN = {
    *PLAIN_TEXT,
    "id",
    "status",
    "discontinued",
    "locale",
    "brand",
    "product_attributes",
    "dimension",
    "packed_dimension",
    "price_items",
    "categories",
    "media_items",
    "inventories",
    "entity_identifiers",
    "variants",
    "product_variations",
    "parent_variations",
    "kit_members",
    "parent_kits",
    "groups",
    "group_members",
    "child_related_products",
    "parent_related_products",
    "shipping_zones",
    "catalogs",
    "kit_skus",
    "kit_create_mode",
    "virtual_products",
}


def product_document(document: dict[str, Any]) -> ProductInput:
    """The ``product`` of a request document with its variants, plainly checked."""
    if "product" not in document:
        raise invalid("product", 'Send the product as {"product": {...}}.')
    root = _product(document["product"], "product", None)
    if sum(1 for _ in root.walk()) > MAX_PRODUCTS:
        raise invalid("product.variants", f"At most {MAX_PRODUCTS} products in one document.")
    return root


def _product(value: Any, path: str, parent: ProductInput | None) -> ProductInput:
    raw = mapping(value, path)
    unknown = sorted(set(raw) - KNOWN)
    if unknown:
        raise invalid(f"{path}.{unknown[0]}", "Not a field this service knows.")
    fields: dict[str, Any] = {}
    for name, limit in PLAIN_TEXT.items():
        if raw.get(name) is not None:
            fields[name] = text(raw[name], f"{path}.{name}", limit)
    if raw.get("id") is not None:
        fields["id"] = ident(raw["id"], f"{path}.id")
    if raw.get("status") is not None:
        fields["status"] = choice(raw["status"], f"{path}.status", STATUSES)
    if raw.get("discontinued") is not None:
        fields["discontinued"] = boolean(raw["discontinued"], f"{path}.discontinued")
    if raw.get("locale") is not None:
        fields["locale"] = locale(raw["locale"], f"{path}.locale")
    if raw.get("kit_create_mode") is not None:
        fields["kit_create_mode"] = kit_mode(raw["kit_create_mode"], f"{path}.kit_create_mode")
    for name in KNOWN - set(PLAIN_TEXT) - set(fields) - {"variants"}:
        if raw.get(name) is not None:
            fields[name] = raw[name]
    node = ProductInput(path, fields, parent=parent)
    if parent is not None and node.code is None:
        raise invalid(f"{path}.code", "Every variant names its code.")
    for key, child in mapping(raw.get("variants") or {}, f"{path}.variants").items():
        child_path = f"{path}.variants.{key[:100]}"
        node.variants.append(_product(child, child_path, node))
    return node
