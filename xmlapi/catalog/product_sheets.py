"""A product as the JSON faces see it (its sheet): the legacy columns it shares with
the XML face (code, description, sell price and currency, stock on hand, photos) and
the fields stored beside them in ``product_fields``.

Writes take a change set keyed by the names of ``readmodel.ProductFields`` with typed
values (``Price``, ``Weight``, ``CustomField``, aware datetimes, Decimal quantity);
only the keys present change. Rows are read in one statement for a product or a page.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select
from sqlalchemy.orm import Session

from xmlapi.catalog import inventory, products
from xmlapi.catalog.errors import InvalidValue, NotFound
from xmlapi.catalog.listing import Keyset, later_than
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.readmodel import CustomField, Price, Weight
from xmlapi.catalog.writes import commit
from xmlapi.models import Currency, Product, ProductFieldRow, ProductPhoto

KINDS = ("goods", "discount", "tax", "adjustment")
WEIGHT_UNITS = ("lbs", "g", "kg", "mg", "oz")

# Fields stored as they come in product_fields (the others are composed).
STORED = (
    "part_number",
    "kind",
    "image_link",
    "link",
    "pick_location",
    "origin_country_code",
    "joint_production",
    "commodity_code",
    "net_cost_code",
    "net_cost_begin_date",
    "net_cost_end_date",
    "producer_info_code",
    "preference_criteria_code",
    "scheduleb_commodity_code",
    "export_type_code",
    "ups",
    "ean",
    "isbn",
)
# Fields that are the legacy product's own columns.
SHARED = ("code", "description")


# Writing -------------------------------------------------------------------------------


def create(
    session: Session,
    changes: Mapping[str, Any],
    rules: Pricing,
    organization_id: int,
    *,
    prepare: Callable[[Product], None] | None = None,
) -> Product:
    """A new product of the organization from a change set; commits. ``kind`` is
    required. Raises InvalidValue, UnknownReference, Conflict (a duplicate code)."""
    if changes.get("kind") is None:
        raise InvalidValue("A product needs a kind.", {"kind": "This field is required."})
    check_fields(changes)
    product_changes = _product_changes(session, changes)
    product = products.add(session, product_changes, rules, organization_id)
    _write_fields(session, product, ProductFieldRow(product=product), changes)
    return _commit(session, product, prepare)


def update(
    session: Session,
    product_id: int,
    changes: Mapping[str, Any],
    rules: Pricing,
    *,
    if_match: Collection[str] | None = None,
    prepare: Callable[[Product], None] | None = None,
) -> Product:
    """Change what ``changes`` carries; commits. ``if_match`` as ``products.update``.
    Raises NotFound, ModifiedMeanwhile, InvalidValue, RuleBroken, Conflict."""
    product = products.get_plain(session, product_id)
    products.check_version(session, product_id, if_match)
    if "kind" in changes and changes["kind"] is None:
        raise InvalidValue("A product keeps a kind.", {"kind": "May not be null."})
    check_fields(changes)
    products.change(session, product, _product_changes(session, changes), rules)
    row = session.get(ProductFieldRow, product_id) or ProductFieldRow(product=product)
    _write_fields(session, product, row, changes)
    return _commit(session, product, prepare)


def _commit(
    session: Session, product: Product, prepare: Callable[[Product], None] | None
) -> Product:
    commit(
        session,
        products.conflict_of,
        prepare=None if prepare is None else lambda: prepare(product),
    )
    return product


def _product_changes(session: Session, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The legacy product's change set: code, description, sell price and currency."""
    product_changes = {name: changes[name] for name in SHARED if name in changes}
    if "unit_price" in changes:
        price: Price | None = changes["unit_price"]
        product_changes["sell_price"] = None if price is None else price.amount
        if price is not None and price.currency is not None:
            product_changes["currency_id"] = currency_id(session, price.currency)
    return product_changes


def currency_id(session: Session, code: str) -> int:
    """The id of the currency of ISO 4217 ``code``; raises InvalidValue naming
    ``unit_price`` when the catalog has no such currency."""
    ident = session.scalar(select(Currency.id).where(Currency.code == code.upper()))
    if ident is None:
        raise InvalidValue(
            f"No currency with code {code!r}.",
            {"unit_price": f"Unknown currency {code!r}: add it to the catalog's currencies."},
        )
    return ident


def _write_fields(
    session: Session, product: Product, row: ProductFieldRow, changes: Mapping[str, Any]
) -> None:
    for name in STORED:
        if name in changes:
            setattr(row, name, changes[name])
    if "unit_weight" in changes:
        weight: Weight | None = changes["unit_weight"]
        row.weight_amount = None if weight is None else weight.amount
        row.weight_unit = None if weight is None else weight.unit
    if "custom_fields" in changes:
        row.custom_fields = stored_custom_fields(changes["custom_fields"])
    session.add(row)
    if changes.get("quantity") is not None:
        inventory.set_on_hand(product, changes["quantity"], field="quantity")


def check_fields(changes: Mapping[str, Any]) -> None:
    """Raise InvalidValue for a kind or weight unit outside the vocabulary."""
    problems = {}
    if changes.get("kind") is not None and changes["kind"] not in KINDS:
        problems["kind"] = f"Must be one of: {', '.join(KINDS)}."
    weight = changes.get("unit_weight")
    if weight is not None and weight.unit not in WEIGHT_UNITS:
        problems["unit_weight"] = f"The unit must be one of: {', '.join(WEIGHT_UNITS)}."
    if problems:
        raise InvalidValue("The product has values it cannot take.", problems)


def stored_custom_fields(fields: Mapping[str, CustomField] | None) -> dict[str, Any] | None:
    """Custom fields as the JSON column keeps them (a field without a type has none)."""
    if fields is None:
        return None
    return {
        name: {"value": field.value} | ({} if field.type is None else {"type": field.type})
        for name, field in fields.items()
    }


def custom_fields_of(stored: Mapping[str, Any] | None) -> tuple[tuple[str, CustomField], ...]:
    return tuple(
        (name, CustomField(field["value"], field.get("type")))
        for name, field in (stored or {}).items()
    )


# Reading -------------------------------------------------------------------------------

_FIRST_PHOTO = (
    select(ProductPhoto.id)
    .where(ProductPhoto.product_id == Product.id)
    .order_by(ProductPhoto.sort_order, ProductPhoto.id)
    .limit(1)
    .correlate(Product)
    .scalar_subquery()
)
_COLUMNS = (
    Product.id,
    Product.organization_id,
    Product.version,
    Product.code,
    Product.description,
    Product.sell,
    Product.sell_tax_inclusive,
    Product.available,
    Product.reserved,
    Product.warehouses,
    Product.in_transit,
    Product.created,
    Product.modified,
    Currency.code.label("currency_code"),
    *(getattr(ProductFieldRow, name) for name in STORED),
    ProductFieldRow.weight_amount,
    ProductFieldRow.weight_unit,
    ProductFieldRow.custom_fields,
    _FIRST_PHOTO.label("first_photo_id"),
    products.generation_sql().label("generation"),
)
_SHEETS = (
    select(*_COLUMNS)
    .outerjoin(Currency, Currency.id == Product.currency_id)
    .outerjoin(ProductFieldRow, ProductFieldRow.product_id == Product.id)
)
_ONE = _SHEETS.where(Product.id == bindparam("product_id"))


def sheet_row(connection: Connection, product_id: int) -> Row:
    """The row of one product's sheet, in one statement; raises NotFound."""
    row = connection.execute(_ONE, {"product_id": product_id}).first()
    if row is None:
        raise NotFound(f"No product with id {product_id}.")
    return row


@dataclass(frozen=True)
class SheetQuery:
    """A page of an organization's products: oldest id first (a stable order), or with
    ``after`` (keyset paging) in (modified, id) order from that cursor on, where the
    count is of the matches from the cursor on."""

    organization_id: int
    limit: int
    offset: int = 0
    updated_since: dt.datetime | None = None  # modified at or after
    after: Keyset | None = None


# Built once: a page costs no statement building, only binding.
_OF_ORGANIZATION = Product.organization_id == bindparam("organization_id")
_SINCE = Product.modified >= bindparam("updated_since")
_AFTER = later_than(Product.modified, Product.id, bindparam("after_stamp"), bindparam("after_id"))
_COUNT = select(func.count()).select_from(Product)
_KEYS = select(
    Product.id, Product.version, Product.modified, products.generation_sql().label("generation")
)


@functools.cache
def _statements(since: bool, keyset: bool, from_cursor: bool):
    """The count and the keys of a page: by id with offset, or by (modified, id) from a
    cursor (``from_cursor``: past the start)."""
    condition = _OF_ORGANIZATION
    if since:
        condition = condition & _SINCE
    if from_cursor:
        condition = condition & _AFTER
    keys = _KEYS.where(condition).limit(bindparam("limit"))
    if keyset:
        keys = keys.order_by(Product.modified, Product.id)
    else:
        keys = keys.order_by(Product.id).offset(bindparam("offset"))
    return _COUNT.where(condition), keys


_SOME = _SHEETS.where(Product.id.in_(bindparam("product_ids", expanding=True)))


def sheet_page(connection: Connection, query: SheetQuery) -> tuple[int, list[Row]]:
    """How many products the query matches, and the (id, version, modified, generation)
    of those on its page: two statements whatever the page size."""
    keyset = query.after is not None
    from_cursor = keyset and query.after.stamp is not None
    count, keys = _statements(query.updated_since is not None, keyset, from_cursor)
    values = {"organization_id": query.organization_id, "updated_since": query.updated_since}
    if from_cursor:
        values |= {"after_stamp": query.after.stamp, "after_id": query.after.id}
    total = connection.scalar(count, values)
    rows = connection.execute(keys, values | {"limit": query.limit, "offset": query.offset})
    return total, rows.all()


def sheet_rows(connection: Connection, product_ids: list[int]) -> list[Row]:
    """The sheet rows of these products, in one statement (a product deleted meanwhile
    is missing)."""
    if not product_ids:
        return []
    return connection.execute(_SOME, {"product_ids": product_ids}).all()
