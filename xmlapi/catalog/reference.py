"""Reference data: the kinds of things a product points at, and how they are written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xmlapi import models
from xmlapi.catalog.errors import (
    Conflict,
    InvalidValue,
    NotFound,
    RuleBroken,
    UnknownReference,
)


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "str"  # "str", "decimal" or "ref"
    required: bool = False
    max_length: int = 255
    target: str | None = None  # for "ref": the plural of the kind pointed at
    positive: bool = False  # for "decimal": reads divide by it, so it must be above 0

    @property
    def attribute(self) -> str:
        return f"{self.name}_id" if self.type == "ref" else self.name


NAME = Field("name", required=True)
CODE = Field("code")


@dataclass(frozen=True)
class Kind:
    """One kind of reference data; ``name`` and ``plural`` are what documents call it,
    ``label`` and ``labels`` what a person reads. Where a face serves it is the face's."""

    name: str
    plural: str
    model: type
    fields: tuple[Field, ...]
    label: str
    labels: str


KINDS: tuple[Kind, ...] = (
    Kind("class", "classes", models.ProductClass, (NAME,), "class", "classes"),
    Kind(
        "currency",
        "currencies",
        models.Currency,
        (
            Field("code", required=True, max_length=3),
            NAME,
            Field("exchange_rate", type="decimal", positive=True),
        ),
        "currency",
        "currencies",
    ),
    Kind(
        "supplier",
        "suppliers",
        models.Supplier,
        (
            NAME,
            CODE,
            Field("currency", type="ref", target="currencies"),
        ),
        "supplier",
        "suppliers",
    ),
    Kind(
        "tax_exemption",
        "tax_exemptions",
        models.TaxExemption,
        (NAME, CODE),
        "tax exemption",
        "tax exemptions",
    ),
    Kind(
        "category",
        "pos_categories",
        models.PosCategory,
        (NAME,),
        "point-of-sale category",
        "point-of-sale categories",
    ),
    Kind(
        "category",
        "web_categories",
        models.WebCategory,
        (NAME,),
        "web category",
        "web categories",
    ),
    Kind(
        "warehouse",
        "warehouses",
        models.Warehouse,
        (NAME, CODE),
        "warehouse",
        "warehouses",
    ),
    Kind(
        "product_color",
        "product_colors",
        models.ProductColor,
        (NAME, CODE),
        "product colour",
        "product colours",
    ),
    Kind(
        "product_size",
        "product_sizes",
        models.ProductSize,
        (NAME, CODE),
        "product size",
        "product sizes",
    ),
)
KINDS_BY_PLURAL = {kind.plural: kind for kind in KINDS}


def kind(plural: str) -> Kind:
    return KINDS_BY_PLURAL[plural]


def get(session: Session, kind: Kind, ident: int) -> Any:
    """The ``kind`` row ``ident``; raises NotFound."""
    row = session.get(kind.model, ident)
    if row is None:
        raise NotFound(f"No {kind.label} with id {ident}.")
    return row


def listing(session: Session, kind: Kind) -> tuple[int, list[Any]]:
    total = session.scalar(select(func.count()).select_from(kind.model))
    rows = session.scalars(select(kind.model).order_by(kind.model.id)).all()
    return total, list(rows)


def create(session: Session, kind: Kind, values: Mapping[str, Any]) -> Any:
    """Create a ``kind`` row from ``values`` (field name -> value); commits."""
    missing = [f.name for f in kind.fields if f.required and values.get(f.name) is None]
    if missing:
        raise RuleBroken(
            f"A new {kind.label} needs {', '.join(missing)}.",
            {name: "Missing data for required field." for name in missing},  # no refs
        )
    row = kind.model()
    return _write(session, kind, row, values)


def update(session: Session, kind: Kind, ident: int, values: Mapping[str, Any]) -> Any:
    """Change the fields of row ``ident`` that ``values`` carries; commits."""
    row = get(session, kind, ident)
    for f in kind.fields:
        if f.required and f.name in values and values[f.name] is None:
            raise RuleBroken(
                f"The {f.name} of a {kind.label} cannot be emptied.",
                {f.attribute: "May not be empty."},
            )
    return _write(session, kind, row, values)


def _write(session: Session, kind: Kind, row: Any, values: Mapping[str, Any]) -> Any:
    _check_positive(kind, values)
    for f in kind.fields:
        if f.name not in values:
            continue
        value = values[f.name]
        if f.type == "ref" and value is not None:
            check_exists(session, KINDS_BY_PLURAL[f.target], value, f.attribute)
        setattr(row, f.attribute, value)
    session.add(row)
    try:
        session.flush()
        # Product renders embed reference data: count the change, so cached ones go stale.
        session.execute(
            sql_update(models.ReferenceGeneration).values(
                value=models.ReferenceGeneration.value + 1
            )
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"A {kind.label} with these values exists already.") from None
    return row


def _check_positive(kind: Kind, values: Mapping[str, Any]) -> None:
    """Refuse a value that reads divide by unless it is above 0 as the column stores it
    (rounded half up to its scale: 0.0000004 is a rate of 0)."""
    for f in kind.fields:
        if not f.positive or values.get(f.name) is None:
            continue
        quantum = kind.model.__table__.c[f.name].type.quantum
        if Decimal(values[f.name]).quantize(quantum, rounding=ROUND_HALF_UP) <= 0:
            raise InvalidValue(
                f"The {f.name} of a {kind.label} must be above 0.",
                {f.attribute: "Must be above 0 once rounded to the column."},
            )


def check_exists(session: Session, kind: Kind, ident: int, field: str) -> None:
    """Raise UnknownReference naming ``field`` unless ``kind`` row ``ident`` exists."""
    if session.get(kind.model, ident) is None:
        raise UnknownReference(field, ident, kind.label)
