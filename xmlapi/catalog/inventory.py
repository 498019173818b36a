"""Stock levels.

A serialized product's ``available`` is the number of its serials in stock (status
``IN_STOCK``); it is recounted on every serial write and cannot be set by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xmlapi.catalog.errors import InvalidValue, NotFound, RuleBroken
from xmlapi.catalog.writes import committing
from xmlapi.models import Product, SerialNumber

LEVELS = (
    "available",
    "reserved",
    "coming_for_stock",
    "coming_for_customer",
    "warehouses",
    "in_transit",
)
IN_STOCK = 0  # the serial status that counts as on hand; any other (sold, ...) does not


def total(levels: Any) -> Decimal:
    """Stock on hand: available, reserved, in other warehouses and in transit.

    What is only on order (coming for stock or for a customer) is not counted.
    """
    return levels.available + levels.reserved + levels.warehouses + levels.in_transit


def recount(session: Session, product: Product) -> None:
    """Set a serialized product's ``available`` to its serials in stock (flushes first)."""
    if not product.serialized:
        return
    in_stock = session.scalar(
        select(func.count())
        .select_from(SerialNumber)
        .where(SerialNumber.product_id == product.id, SerialNumber.status == IN_STOCK)
    )
    product.available = Decimal(in_stock)


def levels(session: Session, product_id: int) -> Product:
    """The product with its stock levels as stored; raises NotFound."""
    product = session.get(Product, product_id, populate_existing=True)
    if product is None:
        raise NotFound(f"No product with id {product_id}.")
    return product


def update(session: Session, product_id: int, changes: Mapping[str, Decimal | None]) -> None:
    """Set the levels ``changes`` carries (empty means 0); commits.

    A serialized product's ``available`` follows its serials: setting it is a RuleBroken.
    """
    product = levels(session, product_id)
    with committing(session):
        apply(product, changes)


def apply(product: Product, changes: Mapping[str, Decimal | None]) -> None:
    """Set the levels ``changes`` carries on a loaded product, without committing;
    raises RuleBroken for a serialized product's ``available``."""
    if product.serialized and "available" in changes:
        raise RuleBroken(
            "A serialized product's available stock is the count of its serials in stock.",
            {"available": "Follows the serial numbers; add, change or delete those instead."},
        )
    for name, value in changes.items():
        setattr(product, name, value if value is not None else Decimal(0))


def set_on_hand(product: Product, quantity: Decimal, field: str = "on_hand") -> None:
    """Make the product's stock on hand (``total``) ``quantity`` by setting what is
    available; the other levels stay. Raises RuleBroken for a serialized product (its
    serials decide) and InvalidValue when the others already hold more than that."""
    if product.serialized:
        raise RuleBroken(
            "A serialized product's stock is the count of its serials in stock.",
            {field: "Follows the serial numbers; add, change or delete those instead."},
        )
    # A product not yet flushed has no levels yet (the columns' defaults are 0).
    stored = {name: getattr(product, name) or Decimal(0) for name in LEVELS}
    elsewhere = total(SimpleNamespace(**(stored | {"available": Decimal(0)})))
    if quantity < elsewhere:
        raise InvalidValue(
            "The stock on hand cannot be less than what is reserved, in other "
            "warehouses and in transit.",
            {field: f"Must be at least {elsewhere} (reserved, in warehouses, in transit)."},
        )
    product.available = quantity - elsewhere
