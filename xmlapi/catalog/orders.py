"""Orders, their boxes and the items packed in them, within one organization.

An item is what was packed: it keeps its own copy of the product fields (the names and
typed values of ``readmodel.ProductFields``: ``Price``, ``Weight``, aware datetimes)
plus its ``quantity``. Posted with ``code`` and no other product field, it is filled
from the organization's product of that code; a later change to the product does not
rewrite it. Anything of another organization, or a box under another order, is
NotFound: never a refusal that would tell it exists.

The read model of this concern (``OrderView``, ``BoxView``, ``ItemView``) lives here:
faces format these and compute nothing. A list page is read in three statements
whatever its size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xmlapi.catalog import product_sheets, reads
from xmlapi.catalog.errors import Conflict, NotFound
from xmlapi.catalog.item_fields import (
    CUSTOM_FIELDS,
    DATE_FIELDS,
    NAME_LENGTH,
    PRODUCT_FIELDS,
    QUANTITY,
    TEXT_FIELDS,
    ItemCustomField,
    check_custom_fields,
    check_product_fields,
    check_quantity,
    check_text,
    invalid,
)
from xmlapi.catalog.listing import Keyset, after, cursor_after
from xmlapi.catalog.organizations import Scope
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.readmodel import CustomField, Price, ProductFields, Weight
from xmlapi.catalog.writes import committing
from xmlapi.models import Box, BoxItem, Order, Product
from xmlapi.models.types import utcnow

T = TypeVar("T")


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
class ItemView:
    """An item as packed: ``fields`` its copy of the product fields (their
    ``quantity`` is the item's), and its custom fields with their encodings."""

    id: int
    organization_id: int
    order_id: int
    box_id: int
    quantity: int
    fields: ProductFields
    custom_fields: tuple[tuple[str, ItemCustomField], ...]
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: ``count`` rows in all (from the cursor on, keyset paging),
    ``results`` those of the page; keyset paging's ``cursor`` is after its last row."""

    count: int
    results: tuple[T, ...]
    cursor: Keyset | None = None


@dataclass(frozen=True)
class Paging:
    """Which page: ``limit`` rows from ``offset`` in id order or, keyset paging, after
    the cursor ``after`` in (updated_at, id) order."""

    limit: int
    offset: int = 0
    after: Keyset | None = None


def order_view(order: Order) -> OrderView:
    return OrderView(
        order.id, order.organization_id, order.number, order.created_at, order.updated_at
    )


def box_view(box: Box) -> BoxView:
    return BoxView(box.id, box.organization_id, box.order_id, box.created_at, box.updated_at)


def item_view(item: BoxItem, order_id: int) -> ItemView:
    custom = tuple(
        (name, ItemCustomField(field["value"], field.get("type"), field.get("encoding")))
        for name, field in (item.custom_fields or {}).items()
    )
    fields = ProductFields(
        quantity=Decimal(item.quantity),
        unit_price=None if item.unit_price is None else Price(item.unit_price, item.currency),
        unit_weight=(
            None if item.weight_amount is None else Weight(item.weight_amount, item.weight_unit)
        ),
        image_photo_id=None,
        custom_fields=tuple((name, CustomField(field.value, field.type)) for name, field in custom),
        **{name: getattr(item, name) for name in (*TEXT_FIELDS, *DATE_FIELDS)},
        kind=item.kind,
        joint_production=item.joint_production,
    )
    return ItemView(
        id=item.id,
        organization_id=item.organization_id,
        order_id=order_id,
        box_id=item.box_id,
        quantity=item.quantity,
        fields=fields,
        custom_fields=custom,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


# Orders --------------------------------------------------------------------------------


def _number_taken(number: str) -> Callable[[IntegrityError], Conflict]:
    def conflict(_exc: IntegrityError) -> Conflict:
        message = f"An order numbered {number!r} exists already."
        return Conflict(message, {"number": message})

    return conflict


def create_order(session: Session, scope: Scope, number: Any) -> OrderView:
    """A new order numbered ``number`` (unique in the organization); commits."""
    if number is None:
        raise invalid("number", "This field is required.")
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


def list_orders(session: Session, scope: Scope, paging: Paging) -> Page[OrderView]:
    """A page of the organization's orders, oldest first; two statements."""
    query = select(Order).where(Order.organization_id == scope.organization_id)
    return _page(session, query, Order, paging, order_view)


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


def _page(session: Session, query: Select, model, paging: Paging, view: Callable) -> Page:
    """How many rows ``query`` matches and the views of the page's, in two statements."""
    if paging.after is None:
        page = query.order_by(model.id).offset(paging.offset)
    else:
        later = after(paging.after, model.updated_at, model.id)
        query = query if later is None else query.where(later)
        page = query.order_by(model.updated_at, model.id)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(page.limit(paging.limit)))
    cursor = None
    if paging.after is not None:
        cursor = cursor_after(rows, paging.after, stamp="updated_at")
    return Page(count, tuple(view(row) for row in rows), cursor)


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


def list_boxes(session: Session, scope: Scope, order_id: int, paging: Paging) -> Page[BoxView]:
    """A page of the order's boxes, oldest first; three statements."""
    _order(session, scope, order_id)
    query = select(Box).where(
        Box.order_id == order_id, Box.organization_id == scope.organization_id
    )
    return _page(session, query, Box, paging, box_view)


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
    """The item under its box and order, in one statement; raises NotFound."""
    item = session.scalar(
        select(BoxItem)
        .join(Box, Box.id == BoxItem.box_id)
        .where(
            BoxItem.id == item_id,
            BoxItem.box_id == box_id,
            BoxItem.organization_id == scope.organization_id,
            Box.order_id == order_id,
        )
    )
    if item is None:
        raise NotFound(f"Box {box_id} of order {order_id} has no item with id {item_id}.")
    return item


def get_item(session: Session, scope: Scope, order_id: int, box_id: int, item_id: int) -> ItemView:
    return item_view(_item(session, scope, order_id, box_id, item_id), order_id)


def get_custom_field(
    session: Session, scope: Scope, order_id: int, box_id: int, item_id: int, name: str
) -> ItemCustomField:
    """The item's custom field ``name``; raises NotFound."""
    fields = dict(get_item(session, scope, order_id, box_id, item_id).custom_fields)
    if name not in fields:
        raise NotFound(f"Item {item_id} has no custom field named {name!r}.")
    return fields[name]


def list_items(
    session: Session, scope: Scope, order_id: int, box_id: int, paging: Paging
) -> Page[ItemView]:
    """A page of the box's items, oldest first; three statements whatever its size."""
    _box(session, scope, order_id, box_id)
    query = select(BoxItem).where(
        BoxItem.box_id == box_id, BoxItem.organization_id == scope.organization_id
    )
    return _page(session, query, BoxItem, paging, lambda item: item_view(item, order_id))


def create_item(
    session: Session,
    scope: Scope,
    order_id: int,
    box_id: int,
    values: Mapping[str, Any],
    rules: Pricing,
) -> ItemView:
    """A new item in the box from ``values`` (product fields, ``quantity``, required,
    and ``custom_fields``); with ``code`` and no other product field, the rest is
    copied from the organization's product of that code, its price read under
    ``rules``. Commits."""
    box = _box(session, scope, order_id, box_id)
    if values.get(QUANTITY) is None:
        raise invalid(QUANTITY, "This field is required.")
    if _names_only_code(values):
        values = {**product_copy(session, scope, values["code"], rules), **values}
    now = utcnow()
    item = BoxItem(
        organization_id=scope.organization_id, box_id=box.id, created_at=now, updated_at=now
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
    """Change the fields ``changes`` names (``custom_fields`` replaces them all; a
    price without a currency keeps the item's); commits."""
    item = _item(session, scope, order_id, box_id, item_id)
    if QUANTITY in changes and changes[QUANTITY] is None:
        raise invalid(QUANTITY, "This field may not be null.")
    with committing(session):
        _apply(item, changes)
        item.updated_at = utcnow()
    return item_view(item, order_id)


def delete_item(session: Session, scope: Scope, order_id: int, box_id: int, item_id: int) -> None:
    """Delete the item; commits."""
    item = _item(session, scope, order_id, box_id, item_id)
    with committing(session):
        session.delete(item)


def _apply(item: BoxItem, values: Mapping[str, Any]) -> None:
    """Set the checked ``values`` on ``item`` (on an error the caller rolls back or
    drops the item)."""
    fields = check_product_fields(values)
    quantity = check_quantity(values[QUANTITY]) if QUANTITY in values else None
    custom = None
    if values.get(CUSTOM_FIELDS, {}) is not None:
        custom = check_custom_fields(values.get(CUSTOM_FIELDS, {}))
    for name in (*TEXT_FIELDS, *DATE_FIELDS, "kind", "joint_production"):
        if name in fields:
            setattr(item, name, fields[name])
    if "unit_price" in fields:
        price = fields["unit_price"]
        item.unit_price = None if price is None else price.amount
        if price is None or price.currency is not None:
            item.currency = None if price is None else price.currency
    if "unit_weight" in fields:
        weight = fields["unit_weight"]
        item.weight_amount = None if weight is None else weight.amount
        item.weight_unit = None if weight is None else weight.unit
    if quantity is not None:
        item.quantity = quantity
    if CUSTOM_FIELDS in values or item.custom_fields is None:
        item.custom_fields = custom or {}


# Filling an item from the catalog ------------------------------------------------------


def _names_only_code(values: Mapping[str, Any]) -> bool:
    """Whether ``values`` give a code and no other product field."""
    given = [name for name in PRODUCT_FIELDS if name in values]
    return given == ["code"] and values["code"] is not None


def product_copy(session: Session, scope: Scope, code: Any, rules: Pricing) -> dict[str, Any]:
    """The product fields and custom fields of the organization's product ``code``, as
    ``create_item`` takes them (its price under ``rules``); raises InvalidValue naming
    ``code`` when the organization has no such product."""
    code = check_text("code", code, BoxItem.__table__.c.code.type.length)
    product_id = session.scalar(
        select(Product.id).where(
            Product.organization_id == scope.organization_id, Product.code == code
        )
    )
    if product_id is None:
        raise invalid("code", f"No product with code {code!r} in this organization.")
    fields = reads.fields_of(product_sheets.sheet_row(session.connection(), product_id), rules)
    copy = {name: getattr(fields, name) for name in PRODUCT_FIELDS}
    copy[CUSTOM_FIELDS] = {
        name: ItemCustomField(field.value, field.type) for name, field in fields.custom_fields
    }
    return copy
