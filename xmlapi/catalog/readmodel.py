"""The read model: what a product and what hangs under it *are*, for any face to format.

Plain frozen values built by ``catalog.reads`` from loaded rows, with every derived
figure (cost summary, converted costs, margin, stock total, sell price under the pricing
rule, photo scales in order) already computed. A figure the stored values cannot give
is None. Faces format these objects and compute nothing; this module imports nothing
from the rest of the catalog.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
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

    def restamped(self, modified: dt.datetime) -> ProductDetail:
        """The same detail last modified at ``modified`` (the stamp its write's commit
        gave it after the detail was read)."""
        return replace(self, modified=modified)


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


# The JSON faces' product (spec/products-json-api-orgs.txt) ----------------------------


@dataclass(frozen=True, slots=True)
class Price:
    """An amount of money; ``currency`` is its ISO 4217 code (None: none recorded)."""

    amount: Decimal
    currency: str | None


@dataclass(frozen=True, slots=True)
class Weight:
    """A weight in one of ``product_fields.WEIGHT_UNITS``."""

    amount: Decimal
    unit: str


@dataclass(frozen=True, slots=True)
class CustomField:
    value: str
    type: str | None = None


@dataclass(frozen=True, slots=True)
class ProductFields:
    """What the JSON faces show of a product (and of a box item copied from one).

    ``quantity`` is the stock on hand; ``image_photo_id`` is the photo that stands for
    the image when no ``image_link`` is set (None otherwise).
    """

    code: str | None
    description: str | None
    part_number: str | None
    kind: str | None
    quantity: Decimal
    unit_price: Price | None
    unit_weight: Weight | None
    image_link: str | None
    image_photo_id: int | None
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
    custom_fields: tuple[tuple[str, CustomField], ...]


@dataclass(frozen=True, slots=True)
class Source:
    """Where a product's data came from: this catalog records no outside source, so a
    product was retrieved when created and updated when last modified."""

    account: str | None
    channel: str | None
    id: str | None
    name: str | None
    retrieved_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ProductSheet:
    """A product as the JSON faces show it."""

    id: int
    organization_id: int
    tag: str  # the product's version tag (its ETag), as ``products.version_tag`` gives it
    fields: ProductFields
    source: Source
    created: dt.datetime
    modified: dt.datetime

    def restamped(self, modified: dt.datetime) -> ProductSheet:
        """The same sheet last modified at ``modified`` (see ProductDetail.restamped)."""
        return replace(self, modified=modified, source=replace(self.source, updated_at=modified))


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """A product's latest entry in the change feed (catalog.feed): ``kind`` is
    "upsert" or "delete" (a tombstone keeps id and code)."""

    seq: int
    product_id: int
    kind: str
    code: str | None
    version: int
    changed: dt.datetime


@dataclass(frozen=True, slots=True)
class FeedPage:
    """Feed entries after a cursor, in order; ``next_after`` is the cursor to ask with
    next, ``more`` whether entries after this page were already there."""

    after: int
    entries: list[FeedEntry]
    next_after: int
    more: bool


@dataclass(frozen=True, slots=True)
class LockState:
    """Who holds a product's lock until when; ``mine``: the asking session does."""

    holder: str
    until: dt.datetime
    mine: bool


@dataclass(frozen=True, slots=True)
class Variant:
    """A child of a master product, in its colour and size (their names)."""

    id: int
    code: str | None
    description: str | None
    color: str | None
    size: str | None
