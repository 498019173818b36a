"""Supplier costs: the costs of a product, its default cost, and the summary they drive.

A product with costs has exactly one default cost: the first cost becomes it, marking
another one moves it, deleting it promotes the remaining cost listed first. The
product's supplier and supplier_code follow the default cost unless the product names
them itself (``supplier_overridden``); its ``flags/new_cost`` turns true whenever the
default cost changes.

The product's cost summary (raw, cost, average) is not stored but derived from its
supplier costs when rendered, so exchange-rate and currency changes (of the product
or of a supplier) show at once without touching, versioning or locking any product.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from xmlapi.catalog import products, reference
from xmlapi.catalog.errors import InvalidValue, NotFound, RuleBroken
from xmlapi.catalog.pricing import wide
from xmlapi.catalog.readmodel import NO_COSTS, CostSummary
from xmlapi.catalog.writes import committing
from xmlapi.models import Currency, Product, SupplierCost

COST_QUANTUM = Decimal("0.0001")
DEFAULT = "default"


def convert(raw: Decimal, source: Currency | None, target: Currency | None) -> Decimal:
    """``raw`` in the ``source`` currency expressed in the ``target`` currency.

    An exchange rate is the worth of one unit of a currency in the base currency;
    a missing currency counts as the base currency.
    """
    source_rate = source.exchange_rate if source is not None else Decimal(1)
    target_rate = target.exchange_rate if target is not None else Decimal(1)
    with wide():
        return (raw * source_rate / target_rate).quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)


def in_product_currency(cost: SupplierCost, product: Product) -> Decimal:
    """The cost's raw amount, from its supplier's currency into the product's."""
    return convert(cost.raw, cost.supplier.currency, product.currency)


def summary(product: Product) -> CostSummary:
    """``raw`` and ``cost`` of the default cost, and ``average``: the mean of all the
    product's supplier costs in its currency. Empty when it has no costs.

    Needs the product's currency and its costs with their suppliers' currencies loaded.
    """
    costs = product.supplier_costs
    default = default_of(costs)
    if default is None:
        return NO_COSTS
    with wide():
        mean = sum(in_product_currency(c, product) for c in costs) / len(costs)
        return CostSummary(
            cost=in_product_currency(default, product),
            average=mean.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP),
            raw=default.raw,
        )


def default_of(costs: list[SupplierCost]) -> SupplierCost | None:
    return next((cost for cost in costs if cost.is_default), None)


# Reading -------------------------------------------------------------------------------


def product_with_costs(session: Session, product_id: int) -> Product:
    """The product, its currency and its costs with their suppliers' currencies, in two
    statements whatever the number of costs; raises NotFound."""
    return products.load(session, product_id, *products.WITH_COSTS)


def find(product: Product, cost_id: int) -> SupplierCost:
    """The product's cost ``cost_id`` (its costs loaded); raises NotFound."""
    for cost in product.supplier_costs:
        if cost.id == cost_id:
            return cost
    raise NotFound(f"Product {product.id} has no cost with id {cost_id}.")


# Writing -------------------------------------------------------------------------------


def create(session: Session, product_id: int, values: Mapping[str, Any]) -> int:
    """Add a cost from ``values`` (see ``payloads.CostSchema``); commits; returns its id."""
    missing = [
        name for name in ("supplier_id", "supplier_product_code") if values.get(name) is None
    ]
    check_not_negative(values, "raw")
    if missing:
        raise RuleBroken(
            "A new cost needs a supplier and the supplier's product code.",
            {name: "Missing data for required field." for name in missing},
        )
    with committing(session):
        product = product_with_costs(session, product_id)
        before = _key(default_of(product.supplier_costs))
        _check_supplier(session, values)
        cost = SupplierCost(
            supplier_id=values["supplier_id"],
            supplier_product_code=values["supplier_product_code"],
            raw=_raw(values.get("raw")),
            is_default=False,
        )
        product.supplier_costs.append(cost)
        session.flush()
        if values.get(DEFAULT) or len(product.supplier_costs) == 1:
            _make_default(session, product, cost)
        _settle(product, before)
        return cost.id


def update(session: Session, product_id: int, cost_id: int, values: Mapping[str, Any]) -> None:
    """Change what ``values`` carries of the cost and nothing else; commits."""
    check_not_negative(values, "raw")
    for name in ("supplier_id", "supplier_product_code"):
        if name in values and values[name] is None:
            raise RuleBroken(
                "A cost's supplier and supplier product code cannot be emptied.",
                {name: "May not be empty."},
            )
    with committing(session):
        product = product_with_costs(session, product_id)
        cost = find(product, cost_id)
        before = _key(default_of(product.supplier_costs))
        _check_supplier(session, values)
        if values.get(DEFAULT) is False and cost.is_default:
            raise RuleBroken(
                "A product's default cost cannot be unmarked; mark another cost default.",
                {DEFAULT: "Mark another cost default instead."},
            )
        for name in ("supplier_id", "supplier_product_code"):
            if name in values:
                setattr(cost, name, values[name])
        if "raw" in values:
            cost.raw = _raw(values["raw"])
        if values.get(DEFAULT):
            _make_default(session, product, cost)
        _settle(product, before)


def delete(session: Session, product_id: int, cost_id: int) -> None:
    """Delete the cost; when it was the default, the cost listed first takes over. Commits."""
    with committing(session):
        product = product_with_costs(session, product_id)
        cost = find(product, cost_id)
        before = _key(default_of(product.supplier_costs))
        product.supplier_costs.remove(cost)
        session.flush()
        if cost.is_default and product.supplier_costs:
            _make_default(session, product, product.supplier_costs[0])
        _settle(product, before)


def check_not_negative(values: Mapping[str, Any], name: str) -> None:
    """Costs are never below zero: raise InvalidValue naming ``name`` when it is."""
    if values.get(name) is not None and values[name] < 0:
        raise InvalidValue(
            f"A {name} cannot be negative.", {name: "Must be greater than or equal to 0."}
        )


def _raw(value: Decimal | None) -> Decimal:
    """A raw amount as stored: 0 when empty, rounded half up to the column's scale."""
    return (value or Decimal(0)).quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)


def _check_supplier(session: Session, values: Mapping[str, Any]) -> None:
    if values.get("supplier_id") is not None:
        reference.check_exists(
            session, reference.kind("suppliers"), values["supplier_id"], "supplier_id"
        )


def _make_default(session: Session, product: Product, cost: SupplierCost) -> None:
    for other in product.supplier_costs:
        if other is not cost:
            other.is_default = False
    # Unmark first: the database allows one default per product at any moment.
    session.flush()
    cost.is_default = True


def _key(cost: SupplierCost | None) -> tuple | None:
    """What makes a default cost the same one: which cost, its supplier and raw."""
    return None if cost is None else (cost.id, cost.supplier_id, cost.raw)


def _settle(product: Product, default_before: tuple | None) -> None:
    """Make the product follow its (possibly new) default cost (its version moves with
    any change of its costs: see ``catalog.changes``)."""
    default = default_of(product.supplier_costs)
    if not product.supplier_overridden:
        product.supplier_id = default.supplier_id if default else None
        product.supplier_code = default.supplier_product_code if default else None
    if _key(default) != default_before:
        product.new_cost = True
