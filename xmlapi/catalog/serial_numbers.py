"""Serial numbers of serialized products.

A serial is unique per product; only a product with ``serialized`` set takes new ones
(those it has keep being readable, changeable and deletable when the flag goes off).
Every write recounts the product's available stock (``inventory.recount``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xmlapi.catalog import inventory, reference
from xmlapi.catalog.costs import check_not_negative
from xmlapi.catalog.errors import Conflict, NotFound, RuleBroken
from xmlapi.catalog.products import get_plain
from xmlapi.catalog.writes import committing
from xmlapi.models import Product, SerialNumber

FIELDS = ("serial", "status", "note", "cost", "warehouse_id")


def listing(session: Session, product_id: int) -> list[SerialNumber]:
    """The product's serial numbers in id order; raises NotFound."""
    get_plain(session, product_id)
    return list(
        session.scalars(
            select(SerialNumber)
            .where(SerialNumber.product_id == product_id)
            .order_by(SerialNumber.id)
        )
    )


def get(session: Session, product_id: int, serial_id: int) -> SerialNumber:
    """The product's serial number ``serial_id``, as stored; raises NotFound."""
    serial = session.get(SerialNumber, serial_id, populate_existing=True)
    if serial is None or serial.product_id != product_id:
        get_plain(session, product_id)  # a missing product says so
        raise NotFound(f"Product {product_id} has no serial number with id {serial_id}.")
    return serial


def create(session: Session, product_id: int, values: Mapping[str, Any]) -> int:
    """Add a serial number from ``values`` (see ``payloads.SerialNumberSchema``); commits;
    returns its id."""
    product = get_plain(session, product_id)
    if not product.serialized:
        raise RuleBroken(
            f"Product {product_id} is not serialized; it takes no serial numbers.",
            {"serialized": "Set it on the product first."},
        )
    if values.get("serial") is None:
        raise RuleBroken(
            "A new serial number needs serial.", {"serial": "Missing data for required field."}
        )
    serial = SerialNumber(product_id=product_id)
    _write(session, product, serial, values)
    return serial.id


def update(session: Session, product_id: int, serial_id: int, values: Mapping[str, Any]) -> None:
    """Change what ``values`` carries and nothing else; commits."""
    serial = get(session, product_id, serial_id)
    if "serial" in values and values["serial"] is None:
        raise RuleBroken("serial cannot be emptied.", {"serial": "May not be empty."})
    _write(session, get_plain(session, product_id), serial, values)


def delete(session: Session, product_id: int, serial_id: int) -> None:
    """Delete the serial number; commits."""
    serial = get(session, product_id, serial_id)
    product = get_plain(session, product_id)
    with committing(session):
        session.delete(serial)
        _settle(session, product)


def _write(
    session: Session, product: Product, serial: SerialNumber, values: Mapping[str, Any]
) -> None:
    check_not_negative(values, "cost")
    if values.get("warehouse_id") is not None:
        reference.check_exists(
            session, reference.kind("warehouses"), values["warehouse_id"], "warehouse_id"
        )
    if values.get("serial") is not None:
        _check_unique(session, product.id, values["serial"], serial.id)
    with committing(session, _duplicate):
        for name in FIELDS:
            if name in values:
                setattr(serial, name, values[name])
        session.add(serial)
        _settle(session, product)


def _check_unique(session: Session, product_id: int, serial: str, serial_id: int | None) -> None:
    same = select(SerialNumber.id).where(
        SerialNumber.product_id == product_id, SerialNumber.serial == serial
    )
    if serial_id is not None:
        same = same.where(SerialNumber.id != serial_id)
    if session.scalar(same) is not None:
        raise _duplicate()


def _duplicate(_exc: IntegrityError | None = None) -> Conflict:
    return Conflict("The product has this serial number already.", {"serial": "Already in use."})


def _settle(session: Session, product: Product) -> None:
    session.flush()
    inventory.recount(session, product)
