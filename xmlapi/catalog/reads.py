"""What faces read: the read model (``catalog.readmodel``) built from loaded rows.

The one place a product's detail, its list items, cost lines, stock, photos and serial
numbers are composed, each derived figure computed here and nowhere else. Loaders read
their rows in a constant number of statements whatever the number of costs, serials or
photos; builders take rows already loaded (the answer of a write, say).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, Row
from sqlalchemy.orm import Session

from xmlapi.catalog import (
    costs,
    inventory,
    listing,
    locks,
    photos,
    pricing,
    product_sheets,
    products,
    reference,
    serial_numbers,
    variants,
)
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.readmodel import (
    NO_COSTS,
    CostLine,
    ListItem,
    LockState,
    Photo,
    Price,
    ProductDetail,
    ProductFields,
    ProductSheet,
    ReferenceItem,
    ReferenceValue,
    Related,
    Scale,
    Serial,
    Source,
    StockLevels,
    Variant,
    Weight,
)
from xmlapi.catalog.reference import KINDS_BY_PLURAL, Kind
from xmlapi.models import Product, ProductPhoto, SerialNumber, SupplierCost

log = logging.getLogger(__name__)
T = TypeVar("T")


def derived(figure: str, owner: str, compute: Callable[[], T]) -> T | None:
    """A figure derived from stored values, or None (logged) when they cannot give one:
    a read never fails on what is stored (a zero exchange rate written past the API)."""
    try:
        return compute()
    except ArithmeticError as exc:
        log.warning("%s of %s cannot be computed from its stored values: %r", figure, owner, exc)
        return None


# Products ------------------------------------------------------------------------------

# What a product's detail composes; every other field is a column shown as stored.
_COMPOSED = {
    "costs",
    "supplier_costs",
    "sell_price",
    "stock",
    "margin",
    "keywords",
    "pos_category",
    "web_category",
    "tax_exemption",
    "related",
    "serial_numbers",
    "photo_ids",
}
_STORED = tuple(f.name for f in dataclasses.fields(ProductDetail) if f.name not in _COMPOSED)


def product_detail(session: Session, product_id: int, rules: Pricing) -> ProductDetail:
    """The product's detail, loaded in a constant number of statements; raises NotFound."""
    return detail_of(products.get(session, product_id), rules)


def detail_of(product: Product, rules: Pricing) -> ProductDetail:
    """The detail of a product loaded as ``products.get`` loads it."""
    owner = f"product {product.id}"
    summary = derived("costs", owner, lambda: costs.summary(product)) or NO_COSTS
    return ProductDetail(
        **{name: getattr(product, name) for name in _STORED},
        costs=summary,
        supplier_costs=tuple(cost_line_of(cost, product) for cost in product.supplier_costs),
        sell_price=rules.sell_price(product),
        stock=stock_of(product),
        margin=derived("margin", owner, lambda: pricing.margin(product.sell, summary.cost)),
        keywords=tuple(product.keywords),
        pos_category=_embedded("pos_categories", product.pos_category),
        web_category=_embedded("web_categories", product.web_category),
        tax_exemption=_embedded("tax_exemptions", product.tax_exemption),
        related=tuple(Related(r.related_id, r.quantity, r.auto_add) for r in product.related),
        serial_numbers=tuple(serial_of(serial) for serial in product.serial_numbers),
        photo_ids=tuple(photo.id for photo in product.photos),
    )


def list_items(
    connection: Connection, product_ids: list[int], rules: Pricing
) -> dict[int, ListItem]:
    """The list items of these products by id, in one statement (a product deleted
    meanwhile is missing)."""
    price_column = rules.sell_price_column()
    rows = listing.list_rows(connection, product_ids)
    return {ident: list_item_of(row, getattr(row, price_column)) for ident, row in rows.items()}


def list_item_of(row: Row, sell_price: Any) -> ListItem:
    """A list item from a row of ``listing.LIST_COLUMNS`` and its photo keys."""
    return ListItem(  # positional: lists build up to 100 000 of these
        row.id,
        row.version,
        row.code,
        bool(row.inventoried),
        bool(row.editable_sell),
        bool(row.master_model),
        sell_price,
        row.description,
        stock_of(row),
        tuple(listing.photo_ids(row.photo_keys)),
    )


# The JSON faces' product ---------------------------------------------------------------


def product_sheet(connection: Connection, product_id: int, rules: Pricing) -> ProductSheet:
    """The product as the JSON faces show it, in one statement; raises NotFound."""
    return sheet_of(product_sheets.sheet_row(connection, product_id), rules)


class SheetKey(NamedTuple):
    """A product on a page of sheets: its id, version tag and stamp when it was listed."""

    id: int
    tag: str
    modified: dt.datetime


def sheet_keys(
    connection: Connection, query: product_sheets.SheetQuery
) -> tuple[int, list[SheetKey]]:
    """How many products the query matches, and the key of each product on its page,
    in two statements."""
    total, rows = product_sheets.sheet_page(connection, query)
    return total, [
        SheetKey(row.id, products.tag_of(row.id, row.version, row.generation), row.modified)
        for row in rows
    ]


def sheets(
    connection: Connection, product_ids: list[int], rules: Pricing
) -> dict[int, ProductSheet]:
    """The sheets of these products by id, in one statement (a product deleted
    meanwhile is missing)."""
    rows = product_sheets.sheet_rows(connection, product_ids)
    return {row.id: sheet_of(row, rules) for row in rows}


def sheet_of(row: Row, rules: Pricing) -> ProductSheet:
    """A sheet from a row of ``product_sheets`` (its columns by name)."""
    return ProductSheet(
        id=row.id,
        organization_id=row.organization_id,
        tag=products.tag_of(row.id, row.version, row.generation),
        fields=fields_of(row, rules),
        source=Source(None, None, None, None, row.created, row.modified),
        created=row.created,
        modified=row.modified,
    )


def fields_of(row: Row, rules: Pricing) -> ProductFields:
    """The JSON fields of a product row: the price under the pricing rule in the
    product's currency, the stock on hand, and the first photo for the image when no
    image link is set."""
    amount = getattr(row, rules.sell_price_column())
    weight = row.weight_amount
    return ProductFields(
        code=row.code,
        description=row.description,
        quantity=inventory.total(row),
        unit_price=None if amount is None else Price(amount, row.currency_code),
        unit_weight=None if weight is None else Weight(weight, row.weight_unit),
        image_photo_id=row.first_photo_id if row.image_link is None else None,
        custom_fields=product_sheets.custom_fields_of(row.custom_fields),
        **{name: getattr(row, name) for name in product_sheets.STORED},
    )


# Stock ---------------------------------------------------------------------------------


def stock_levels(session: Session, product_id: int) -> StockLevels:
    """The product's stock levels and total; raises NotFound."""
    return stock_of(inventory.levels(session, product_id))


def stock_of(levels: Any) -> StockLevels:
    """The stock of anything carrying the level columns (a product, a list row)."""
    return StockLevels(
        levels.available,
        levels.reserved,
        levels.coming_for_stock,
        levels.coming_for_customer,
        levels.warehouses,
        levels.in_transit,
        inventory.total(levels),
    )


# Costs ---------------------------------------------------------------------------------


def cost_lines(session: Session, product_id: int) -> tuple[CostLine, ...]:
    """The product's supplier costs; raises NotFound."""
    product = costs.product_with_costs(session, product_id)
    return tuple(cost_line_of(cost, product) for cost in product.supplier_costs)


def cost_line(session: Session, product_id: int, cost_id: int) -> CostLine:
    """One supplier cost of the product; raises NotFound."""
    product = costs.product_with_costs(session, product_id)
    return cost_line_of(costs.find(product, cost_id), product)


def cost_line_of(cost: SupplierCost, product: Product) -> CostLine:
    """A cost of a product loaded with ``products.WITH_COSTS``."""
    return CostLine(
        id=cost.id,
        product_id=cost.product_id,
        raw=cost.raw,
        currency=_embedded("currencies", cost.supplier.currency),
        cost=derived("cost", f"cost {cost.id}", lambda: costs.in_product_currency(cost, product)),
        supplier_id=cost.supplier_id,
        supplier_product_code=cost.supplier_product_code,
        is_default=cost.is_default,
    )


# Serial numbers ------------------------------------------------------------------------


def serial_list(session: Session, product_id: int) -> tuple[Serial, ...]:
    """The product's serial numbers in id order; raises NotFound."""
    return tuple(serial_of(serial) for serial in serial_numbers.listing(session, product_id))


def serial(session: Session, product_id: int, serial_id: int) -> Serial:
    """One serial number of the product; raises NotFound."""
    return serial_of(serial_numbers.get(session, product_id, serial_id))


def serial_of(serial: SerialNumber) -> Serial:
    return Serial(
        id=serial.id,
        product_id=serial.product_id,
        status=serial.status,
        note=serial.note,
        cost=serial.cost,
        serial=serial.serial,
        warehouse_id=serial.warehouse_id,
    )


# Photos --------------------------------------------------------------------------------


def photo_list(session: Session, product_id: int) -> tuple[Photo, ...]:
    """The product's photos in sort order; raises NotFound."""
    return tuple(photo_of(photo) for photo in photos.photos_of(session, product_id))


def photo(session: Session, product_id: int, photo_id: int) -> Photo:
    """One photo of the product; raises NotFound."""
    return photo_of(photos.get(session, product_id, photo_id))


def photo_of(photo: ProductPhoto) -> Photo:
    """A photo loaded with its scales (the contract's three; WebP and AVIF renditions
    are served by Accept, not listed)."""
    listed = (scale for scale in photo.scales if not photos.is_rendition(scale))
    ordered = sorted(listed, key=lambda scale: photos.SIZES.index(scale.size))
    return Photo(
        id=photo.id,
        product_id=photo.product_id,
        sort_order=photo.sort_order,
        scales=tuple(
            Scale(
                name=PurePosixPath(scale.filename).name,
                size=scale.size,
                format=scale.format,
                width=scale.width,
                height=scale.height,
            )
            for scale in ordered
        ),
        source_name=photo.source_name,
    )


# Reference data ------------------------------------------------------------------------


def reference_item(kind: Kind, row: Any) -> ReferenceItem:
    """A row of reference data of ``kind``."""
    values = []
    for field in kind.fields:
        target = field.target if field.type == "ref" else None
        values.append(ReferenceValue(field.name, getattr(row, field.attribute), target))
    return ReferenceItem(kind.name, kind.plural, row.id, tuple(values))


def reference_items(kind: Kind, rows: Iterable[Any]) -> list[ReferenceItem]:
    return [reference_item(kind, row) for row in rows]


def reference_list(session: Session, kind: Kind) -> tuple[int, list[ReferenceItem]]:
    """How many rows of ``kind`` there are, and all of them in id order."""
    total, rows = reference.listing(session, kind)
    return total, reference_items(kind, rows)


def reference_detail(session: Session, kind: Kind, ident: int) -> ReferenceItem:
    """Row ``ident`` of ``kind``; raises NotFound."""
    return reference_item(kind, reference.get(session, kind, ident))


def _embedded(plural: str, row: Any) -> ReferenceItem | None:
    return None if row is None else reference_item(KINDS_BY_PLURAL[plural], row)


# Locks and variants --------------------------------------------------------------------


def lock_state(session: Session, product_id: int, session_id: str) -> LockState | None:
    """Who holds the product's lock now (None: nobody), and whether it is ``session_id``."""
    holder = locks.holder(session, product_id)
    if holder is None:
        return None
    return LockState(holder.user_name, holder.until, holder.session_id == session_id)


def product_variants(session: Session, product_id: int) -> tuple[Variant, ...]:
    """The children of a master product with their colour and size names."""
    return tuple(Variant(*row) for row in variants.children(session, product_id))
