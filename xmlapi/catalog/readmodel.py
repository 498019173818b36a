"""The read model: what a product and what hangs under it *are*, for any face to format.

Plain frozen values built by ``catalog.reads`` from loaded rows, with every derived
figure (cost summary, converted costs, margin, stock total, sell price under the pricing
rule, photo scales in order) already computed. A figure the stored values cannot give
is None. Faces format these objects and compute nothing; this module imports nothing
from the rest of the catalog.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    """One field of a reference row; ``target`` is the kind (its plural) a reference
    field points at (its ``value`` is then the id), None for a plain value."""

    name: str
    value: Any
    target: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceItem:
    """A row of reference data (a currency, a category, ...): ``tag`` is what documents
    call one, ``kind`` the plural naming its kind."""

    tag: str
    kind: str
    id: int
    values: tuple[ReferenceValue, ...]


@dataclass(frozen=True, slots=True)
class CostSummary:
    """A product's ``costs`` block: the default cost raw and in the product's currency,
    and the mean of all its costs in that currency. All None without costs."""

    cost: Decimal | None
    average: Decimal | None
    raw: Decimal | None


NO_COSTS = CostSummary(None, None, None)


@dataclass(frozen=True, slots=True)
class CostLine:
    """A supplier cost; ``cost`` is ``raw`` converted from the supplier's currency
    (``currency``) into the product's."""

    id: int
    product_id: int
    raw: Decimal
    currency: ReferenceItem | None
    cost: Decimal | None
    supplier_id: int | None
    supplier_product_code: str | None
    is_default: bool


@dataclass(frozen=True, slots=True)
class StockLevels:
    """Stock levels and ``total``, the stock on hand."""

    available: Decimal
    reserved: Decimal
    coming_for_stock: Decimal
    coming_for_customer: Decimal
    warehouses: Decimal
    in_transit: Decimal
    total: Decimal

    def levels(self) -> tuple[tuple[str, Decimal], ...]:
        """(name, quantity) of each stored level, in the contract's order (not the total)."""
        return (
            ("available", self.available),
            ("reserved", self.reserved),
            ("coming_for_stock", self.coming_for_stock),
            ("coming_for_customer", self.coming_for_customer),
            ("warehouses", self.warehouses),
            ("in_transit", self.in_transit),
        )


@dataclass(frozen=True, slots=True)
class Serial:
    """A serial number of a product."""

    id: int
    product_id: int
    status: int | None
    note: str | None
    cost: Decimal | None
    serial: str | None
    warehouse_id: int | None


@dataclass(frozen=True, slots=True)
class Scale:
    """One stored scale of a photo; ``name`` is its file's name, never a storage path."""

    name: str
    size: str
    format: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Photo:
    """A product photo with its scales in the contract's order (512, 256, original)."""

    id: int
    product_id: int
    sort_order: int
    scales: tuple[Scale, ...]
    source_name: str | None


@dataclass(frozen=True, slots=True)
class Related:
    """A product related to another, and how it is added along."""

    related_id: int
    quantity: Decimal
    auto_add: bool


@dataclass(frozen=True, slots=True)
class ProductDetail:
    """Everything a product's full render shows."""

    id: int
    class_id: int | None
    currency_id: int | None
    code: str | None
    costs: CostSummary
    supplier_costs: tuple[CostLine, ...]
    # flags
    current: bool
    editable: bool
    gift_card: bool
    inventoried: bool
    new_cost: bool
    new_import: bool
    new_update: bool
    no_live_rules: bool
    no_profit: bool
    serialized: bool
    web: bool
    editable_sell: bool
    master_model: bool
    sell_price: Decimal | None  # under the pricing rule: sell or sell_tax_inclusive
    created: dt.datetime
    modified: dt.datetime
    description: str | None
    short_description: str | None
    long_web_description: str | None
    family: str | None
    gl_asset: str | None
    gl_cogs_expense: str | None
    gl_income: str | None
    product_id: str | None
    stock: StockLevels
    margin: Decimal | None  # of the tax-exclusive sell over the default cost
    minimum_margin: Decimal | None
    color: str | None
    height: Decimal | None
    length: Decimal | None
    size: str | None
    weight: Decimal | None
    width: Decimal | None
    reorder_amount: Decimal | None
    reorder_calc: Decimal | None
    reorder_point: Decimal | None
    reorder_type: int | None
    sell: Decimal | None
    sell_tax_inclusive: Decimal | None
    sell_web: Decimal | None
    supplier_id: int | None
    supplier_code: str | None
    upc: str | None
    web_inventory: str | None
    keywords: tuple[str, ...]
    multi_store_label: str | None
    multi_store_master_label: str | None
    pos_category: ReferenceItem | None
    web_category: ReferenceItem | None
    related: tuple[Related, ...]
    serial_numbers: tuple[Serial, ...]
    photo_ids: tuple[int, ...]  # in sort order
    tax_exemption: ReferenceItem | None
    master_id: int | None
    product_color_id: int | None
    product_size_id: int | None
    manufacturer_part_number: str | None
    manufacturer_pricing_option_code: str | None


@dataclass(frozen=True, slots=True)
class ListItem:
    """A product as lists show it; ``version`` tells caches when it changed."""

    id: int
    version: int
    code: str | None
    inventoried: bool
    editable_sell: bool
    master_model: bool
    sell_price: Decimal | None
    description: str | None
    stock: StockLevels
    photo_ids: tuple[int, ...]  # in sort order
