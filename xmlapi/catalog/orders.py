"""Orders, their boxes and the items packed in them, within one organization.

An item is what was packed: it keeps its own copy of the product fields. Posted with
``code`` and no other product field, it is filled from the organization's product of
that code (a later change to the product does not rewrite it). Anything of another
organization, or a box under another order, is NotFound: never a refusal that would
tell it exists.

The read model of this concern (``OrderView``, ``BoxView``, ``ItemView``) lives here:
faces format these and compute nothing. A list page is read in a constant number of
statements whatever its size.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from xmlapi.catalog.errors import Conflict, InvalidValue, NotFound
from xmlapi.catalog.organizations import Scope
from xmlapi.catalog.writes import committing
from xmlapi.models import Box, BoxItem, BoxItemCustomField, Currency, Order, Product
from xmlapi.models.orders import CODE_LENGTH, URL_LENGTH
from xmlapi.models.types import MEASURE, MONEY, utcnow

T = TypeVar("T")

KINDS = ("goods", "discount", "tax", "adjustment")
WEIGHT_UNITS = ("lbs", "g", "kg", "mg", "oz")
QUANTITY_MAX = 2**31 - 1  # an integer column on both databases
CUSTOM_FIELDS_MAX = 100  # per item
CUSTOM_VALUE_LENGTH = 1_000_000  # characters (shipping labels travel as custom fields)
NAME_LENGTH = 255
CURRENCY = re.compile(r"[A-Z]{3}")

# Text fields of an item and their longest value.
TEXT_FIELDS: dict[str, int] = {
    "code": CODE_LENGTH,
    "description": 4096,
    "part_number": NAME_LENGTH,
    "image_link": URL_LENGTH,
    "link": URL_LENGTH,
    "pick_location": NAME_LENGTH,
    "origin_country_code": NAME_LENGTH,
    "commodity_code": NAME_LENGTH,
    "net_cost_code": NAME_LENGTH,
    "producer_info_code": NAME_LENGTH,
    "preference_criteria_code": NAME_LENGTH,
    "scheduleb_commodity_code": NAME_LENGTH,
    "export_type_code": NAME_LENGTH,
    "ups": NAME_LENGTH,
    "ean": NAME_LENGTH,
    "isbn": NAME_LENGTH,
}
DATE_FIELDS = ("net_cost_begin_date", "net_cost_end_date")
# Every product field an item copies, in the spec's order of mention.
PRODUCT_FIELDS = (
    *TEXT_FIELDS,
    "kind",
    "unit_price",
    "currency",
    "unit_weight",
    "weight_unit",
    "joint_production",
    *DATE_FIELDS,
)
QUANTITY = "quantity"
CUSTOM_FIELDS = "custom_fields"
# A domain field whose error is told under the field that carries it on the wire.
_TOLD_AS = {"currency": "unit_price", "weight_unit": "unit_weight"}


# Read model ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    organization_id: int
    number: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class BoxView:
    id: int
    organization_id: int
    order_id: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CustomFieldView:
    name: str
    value: str | None
    type: str | None
    encoding: str | None


@dataclass(frozen=True, slots=True)
class ItemView:
    """An item as packed: its own copy of the product fields, and ``quantity``."""

    id: int
    organization_id: int
    order_id: int
    box_id: int
    quantity: int
    code: str | None
    description: str | None
    part_number: str | None
    kind: str | None
    unit_price: Decimal | None
    currency: str | None
    unit_weight: Decimal | None
    weight_unit: str | None
    image_link: str | None
    link: str | None
    pick_location: str | None
    origin_country_code: str | None
    joint_production: bool | None
    commodity_code: str | None
    net_cost_code: str | None
    net_cost_begin_date: dt.datetime | None
    net_cost_end_date: dt.datetime | None
    producer_info_code: str | None
    preference_criteria_code: str | None
    scheduleb_commodity_code: str | None
    export_type_code: str | None
    ups: str | None
    ean: str | None
    isbn: str | None
    custom_fields: tuple[CustomFieldView, ...]
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: ``count`` rows in all, ``results`` those of the page."""

    count: int
    results: tuple[T, ...]


def order_view(order: Order) -> OrderView:
    return OrderView(
        order.id, order.organization_id, order.number, order.created_at, order.updated_at
    )


def box_view(box: Box) -> BoxView:
    return BoxView(box.id, box.organization_id, box.order_id, box.created_at, box.updated_at)


def item_view(item: BoxItem, order_id: int) -> ItemView:
    """The item's read model (its custom fields loaded)."""
    fields = tuple(
        CustomFieldView(field.name, field.value, field.type, field.encoding)
        for field in sorted(item.custom_fields, key=lambda field: field.name)
    )
    return ItemView(
        id=item.id,
        organization_id=item.organization_id,
        order_id=order_id,
        box_id=item.box_id,
        quantity=item.quantity,
        **{name: getattr(item, name) for name in PRODUCT_FIELDS},
        custom_fields=fields,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


# Checking values -----------------------------------------------------------------------


def _invalid(field: str, message: str) -> InvalidValue:
    field = _TOLD_AS.get(field, field)
    return InvalidValue(message, {field: message})


def check_text(field: str, value: Any, length: int) -> str:
    """``value`` if it is text of 1 to ``length`` characters that a database stores
    as given: no NUL or other control characters but tab and line ends, no lone
    surrogates (which UTF-8 cannot carry)."""
    if not isinstance(value, str):
        raise _invalid(field, "Not a valid string.")
    if not value:
        raise _invalid(field, "This field may not be blank.")
    if len(value) > length:
        raise _invalid(field, f"Ensure this field has no more than {length} characters.")
    for char in value:
        if char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cs"):
            raise _invalid(field, f"Character U+{ord(char):04X} is not allowed.")
    return value


def check_quantity(value: Any) -> int:
    """A whole number of items in a box: 1 to QUANTITY_MAX."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(QUANTITY, "A valid integer is required.")
    if not 0 < value <= QUANTITY_MAX:
        raise _invalid(QUANTITY, f"Ensure this value is between 1 and {QUANTITY_MAX}.")
    return value


def _check_decimal(field: str, value: Any, column, *, signed: bool) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _invalid(field, "A valid number is required.")
    if not signed and value < 0:
        raise _invalid(field, "Ensure this value is not negative.")
    if abs(value) >= column.largest:
        raise _invalid(field, f"Ensure this value is less than {column.largest}.")
    if value.as_tuple().exponent < -column.scale:  # type: ignore[operator]
        raise _invalid(field, f"Ensure there are no more than {column.scale} decimal places.")
    return value


def _check_choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise _invalid(field, f"Must be one of: {', '.join(choices)}.")
    return value


def _check_currency(value: Any) -> str:
    if not isinstance(value, str) or not CURRENCY.fullmatch(value):
        raise _invalid("currency", "A currency is an ISO 4217 code of three letters.")
    return value


def _check_date(field: str, value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise _invalid(field, "A datetime with a timezone is required.")
    return value


def _check_bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _invalid(field, "Must be a valid boolean.")
    return value


_CHECKS: dict[str, Callable[[Any], Any]] = {
    **{
        name: (lambda v, n=name, k=length: check_text(n, v, k))
        for name, length in TEXT_FIELDS.items()
    },
    **{name: (lambda v, n=name: _check_date(n, v)) for name in DATE_FIELDS},
    "kind": lambda v: _check_choice("kind", v, KINDS),
    "unit_price": lambda v: _check_decimal("unit_price", v, MONEY, signed=True),
    "currency": _check_currency,
    "unit_weight": lambda v: _check_decimal("unit_weight", v, MEASURE, signed=False),
    "weight_unit": lambda v: _check_choice("weight_unit", v, WEIGHT_UNITS),
    "joint_production": lambda v: _check_bool("joint_production", v),
}


def check_product_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """The product fields of ``values``, checked (None clears a field); raises
    InvalidValue naming the first field that is wrong. A price needs its currency and
    a weight its unit."""
    return {
        name: None if values[name] is None else _CHECKS[name](values[name])
        for name in PRODUCT_FIELDS
        if name in values
    }


def _check_pairs(item: BoxItem) -> None:
    """An amount and its unit go together: both or neither."""
    for amount, unit in (("unit_price", "currency"), ("unit_weight", "weight_unit")):
        if (getattr(item, amount) is None) != (getattr(item, unit) is None):
            raise _invalid(amount, f"Give {amount} with its {unit.replace('_', ' ')}.")


def check_custom_fields(value: Any) -> list[BoxItemCustomField]:
    """Rows for a ``custom_fields`` mapping: name -> {"value", "type"?, "encoding"?}."""
    if not isinstance(value, Mapping):
        raise _invalid(CUSTOM_FIELDS, "Expected an object of name -> field.")
    if len(value) > CUSTOM_FIELDS_MAX:
        raise _invalid(CUSTOM_FIELDS, f"An item has at most {CUSTOM_FIELDS_MAX} custom fields.")
    rows = []
    for name, field in value.items():
        check_text(CUSTOM_FIELDS, name, NAME_LENGTH)
        if not isinstance(field, Mapping):
            raise _invalid(CUSTOM_FIELDS, f"Field {name!r}: expected an object with a value.")
        rows.append(
            BoxItemCustomField(
                name=name,
                value=_optional_text(field.get("value"), CUSTOM_VALUE_LENGTH, allow_empty=True),
                type=_optional_text(field.get("type"), NAME_LENGTH),
                encoding=_optional_text(field.get("encoding"), 64),
            )
        )
    return rows


def _optional_text(value: Any, length: int, *, allow_empty: bool = False) -> str | None:
    if value is None or (allow_empty and value == ""):
        return value
    return check_text(CUSTOM_FIELDS, value, length)


# Orders --------------------------------------------------------------------------------


def _number_taken(number: str) -> Callable[[IntegrityError], Conflict]:
    def conflict(_exc: IntegrityError) -> Conflict:
        message = f"An order numbered {number!r} exists already."
        return Conflict(message, {"number": message})

    return conflict


def create_order(session: Session, scope: Scope, number: Any) -> OrderView:
    """A new order numbered ``number`` (unique in the organization); commits."""
    if number is None:
        raise _invalid("number", "This field is required.")
    number = check_text("number", number, NAME_LENGTH)
    taken = _number_taken(number)
    existing = select(Order.id).where(
        Order.organization_id == scope.organization_id, Order.number == number
    )
    if session.scalar(existing) is not None:
        raise taken(None)  # type: ignore[arg-type]
    now = utcnow()
    order = Order(
        organization_id=scope.organization_id, number=number, created_at=now, updated_at=now
    )
    with committing(session, taken):  # two writers at once: the unique key decides
        session.add(order)
    return order_view(order)


def _order(session: Session, scope: Scope, order_id: int) -> Order:
    order = session.scalar(
        select(Order).where(Order.id == order_id, Order.organization_id == scope.organization_id)
    )
    if order is None:
        raise NotFound(f"No order with id {order_id}.")
    return order


def get_order(session: Session, scope: Scope, order_id: int) -> OrderView:
    return order_view(_order(session, scope, order_id))


def list_orders(session: Session, scope: Scope, offset: int, limit: int) -> Page[OrderView]:
    """A page of the organization's orders, oldest first; two statements."""
    query = select(Order).where(Order.organization_id == scope.organization_id)
    count, rows = _page(session, query, Order.id, offset, limit)
    return Page(count, tuple(order_view(order) for order in rows))


def delete_order(session: Session, scope: Scope, order_id: int) -> None:
    """Delete the order, its boxes and their items; commits."""
    with committing(session):
        deleted = session.execute(
            delete(Order).where(
                Order.id == order_id, Order.organization_id == scope.organization_id
            )
        )
        if deleted.rowcount == 0:
            raise NotFound(f"No order with id {order_id}.")


def _page(session: Session, query: Select, order_by, offset: int, limit: int) -> tuple[int, list]:
    count = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(session.scalars(query.order_by(order_by).offset(offset).limit(limit)))
    return count or 0, rows


# Boxes ---------------------------------------------------------------------------------


def _box_query(scope: Scope, order_id: int, box_id: int) -> Select:
    return select(Box).where(
        Box.id == box_id,
        Box.order_id == order_id,
        Box.organization_id == scope.organization_id,
    )


def _box(session: Session, scope: Scope, order_id: int, box_id: int) -> Box:
    box = session.scalar(_box_query(scope, order_id, box_id))
    if box is None:
        raise NotFound(f"Order {order_id} has no box with id {box_id}.")
    return box


def create_box(session: Session, scope: Scope, order_id: int) -> BoxView:
    """A new box for the order; commits."""
    order = _order(session, scope, order_id)
    now = utcnow()
    box = Box(
        organization_id=scope.organization_id, order_id=order.id, created_at=now, updated_at=now
    )
    with committing(session):
        session.add(box)
    return box_view(box)


def get_box(session: Session, scope: Scope, order_id: int, box_id: int) -> BoxView:
    return box_view(_box(session, scope, order_id, box_id))


def list_boxes(
    session: Session, scope: Scope, order_id: int, offset: int, limit: int
) -> Page[BoxView]:
    """A page of the order's boxes, oldest first; three statements."""
    _order(session, scope, order_id)
    query = select(Box).where(
        Box.order_id == order_id, Box.organization_id == scope.organization_id
    )
    count, rows = _page(session, query, Box.id, offset, limit)
    return Page(count, tuple(box_view(box) for box in rows))


def delete_box(session: Session, scope: Scope, order_id: int, box_id: int) -> None:
    """Delete the box and its items; commits."""
    with committing(session):
        deleted = session.execute(
            delete(Box).where(
                Box.id == box_id,
                Box.order_id == order_id,
                Box.organization_id == scope.organization_id,
            )
        )
        if deleted.rowcount == 0:
            raise NotFound(f"Order {order_id} has no box with id {box_id}.")


# Items ---------------------------------------------------------------------------------


def _item(session: Session, scope: Scope, order_id: int, box_id: int, item_id: int) -> BoxItem:
    """The item with its custom fields, in two statements; raises NotFound."""
    item = session.scalar(
        select(BoxItem)
        .join(Box, Box.id == BoxItem.box_id)
        .where(
            BoxItem.id == item_id,
            BoxItem.box_id == box_id,
            BoxItem.organization_id == scope.organization_id,
            Box.order_id == order_id,
        )
        .options(selectinload(BoxItem.custom_fields))
    )
    if item is None:
        raise NotFound(f"Box {box_id} of order {order_id} has no item with id {item_id}.")
    return item


def get_item(session: Session, scope: Scope, order_id: int, box_id: int, item_id: int) -> ItemView:
    return item_view(_item(session, scope, order_id, box_id, item_id), order_id)


def get_custom_field(
    session: Session, scope: Scope, order_id: int, box_id: int, item_id: int, name: str
) -> CustomFieldView:
    """The item's custom field ``name``; raises NotFound."""
    item = get_item(session, scope, order_id, box_id, item_id)
    for field in item.custom_fields:
        if field.name == name:
            return field
    raise NotFound(f"Item {item_id} has no custom field named {name!r}.")


def list_items(
    session: Session, scope: Scope, order_id: int, box_id: int, offset: int, limit: int
) -> Page[ItemView]:
    """A page of the box's items, oldest first; four statements whatever the page size."""
    _box(session, scope, order_id, box_id)
    query = (
        select(BoxItem)
        .where(BoxItem.box_id == box_id, BoxItem.organization_id == scope.organization_id)
        .options(selectinload(BoxItem.custom_fields))
    )
    count, rows = _page(session, query, BoxItem.id, offset, limit)
    return Page(count, tuple(item_view(item, order_id) for item in rows))


def create_item(
    session: Session, scope: Scope, order_id: int, box_id: int, values: Mapping[str, Any]
) -> ItemView:
    """A new item in the box from ``values`` (product fields, ``quantity``, required,
    and ``custom_fields``); with ``code`` and no other product field, the rest is copied
    from the organization's product of that code. Commits."""
    box = _box(session, scope, order_id, box_id)
    if values.get(QUANTITY) is None:
        raise _invalid(QUANTITY, "This field is required.")
    if _names_only_code(values):
        values = {**product_copy(session, scope, values["code"]), **values}
    now = utcnow()
    item = BoxItem(
        organization_id=scope.organization_id,
        box_id=box.id,
        created_at=now,
        updated_at=now,
        custom_fields=[],
    )
    _apply(item, values)
    with committing(session):
        session.add(item)
    return item_view(item, order_id)


def update_item(
    session: Session,
    scope: Scope,
    order_id: int,
    box_id: int,
    item_id: int,
    changes: Mapping[str, Any],
) -> ItemView:
    """Change the fields ``changes`` names (``custom_fields`` replaces them all);
    commits."""
    item = _item(session, scope, order_id, box_id, item_id)
    if QUANTITY in changes and changes[QUANTITY] is None:
        raise _invalid(QUANTITY, "This field may not be null.")
    with committing(session):
        _apply(item, changes)
        item.updated_at = utcnow()
    return item_view(item, order_id)


def delete_item(session: Session, scope: Scope, order_id: int, box_id: int, item_id: int) -> None:
    """Delete the item and its custom fields; commits."""
    item = _item(session, scope, order_id, box_id, item_id)
    with committing(session):
        session.delete(item)


def _apply(item: BoxItem, values: Mapping[str, Any]) -> None:
    """Set the checked ``values`` on ``item`` (on an error the caller rolls back or
    drops the item)."""
    fields = check_product_fields(values)
    quantity = check_quantity(values[QUANTITY]) if QUANTITY in values else None
    custom = check_custom_fields(values[CUSTOM_FIELDS]) if CUSTOM_FIELDS in values else None
    for name, value in fields.items():
        setattr(item, name, value)
    _check_pairs(item)
    if quantity is not None:
        item.quantity = quantity
    if custom is not None:
        item.custom_fields = custom


# Filling an item from the catalog ------------------------------------------------------


def _names_only_code(values: Mapping[str, Any]) -> bool:
    """Whether ``values`` give a code and no other product field."""
    given = [name for name in PRODUCT_FIELDS if name in values]
    return given == ["code"] and values["code"] is not None


def product_copy(session: Session, scope: Scope, code: Any) -> dict[str, Any]:
    """The product fields (and custom fields) of the organization's product ``code``;
    raises InvalidValue naming ``code`` when it has none."""
    code = check_text("code", code, CODE_LENGTH)
    fields = product_fields(session, scope, code)
    if fields is None:
        raise _invalid("code", f"No product with code {code!r} in this organization.")
    return fields


def product_fields(session: Session, scope: Scope, code: str) -> dict[str, Any] | None:
    """What an item copies of the organization's product ``code`` (None: no such
    product), in one statement."""
    row = session.execute(
        select(Product.code, Product.description, Product.sell, Currency.code)
        .outerjoin(Currency, Currency.id == Product.currency_id)
        .where(Product.organization_id == scope.organization_id, Product.code == code)
    ).first()
    if row is None:
        return None
    code, description, price, currency = row
    priced = price is not None and currency is not None
    return {
        "code": code,
        "description": description,
        "unit_price": price if priced else None,
        "currency": currency if priced else None,
    }
