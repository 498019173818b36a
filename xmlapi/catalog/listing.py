"""Listing products: the fields list queries filter and order by (the legacy names
included), the query, and the cheap statements a page is made of."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    String,
    and_,
    bindparam,
    cast,
    func,
    null,
    or_,
    select,
)
from sqlalchemy.orm import aliased

from xmlapi.catalog.filters import AnyOf, Comparison, FieldSpec, InvalidQuery, to_sql
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.vocabulary import (
    FLAGS,
)
from xmlapi.models import (
    Currency,
    Product,
    ProductClass,
    ProductPhoto,
    Supplier,
    SupplierCost,
)
from xmlapi.sqlfunctions import converted_cost, margin_of


@functools.cache
def filter_fields(pricing: Pricing) -> dict[str, FieldSpec]:
    """The fields list queries may filter and order by (do not change the answer: it is
    shared)."""
    p = Product
    fields = {
        "id": FieldSpec(p.id, "int"),
        "code": FieldSpec(p.code, "str"),
        "description": FieldSpec(p.description, "str"),
        "short_description": FieldSpec(p.short_description, "str"),
        "family": FieldSpec(p.family, "str"),
        "datetime_cre": FieldSpec(p.created, "datetime"),
        "datetime_mod": FieldSpec(p.modified, "datetime"),
        "created": FieldSpec(p.created, "datetime"),
        "modified": FieldSpec(p.modified, "datetime"),
        "sell_price": FieldSpec(getattr(p, pricing.sell_price_column()), "decimal"),
        "sell": FieldSpec(p.sell, "decimal"),
        "sell_web": FieldSpec(p.sell_web, "decimal"),
        "available": FieldSpec(p.available, "decimal"),
        "upc": FieldSpec(p.upc, "str"),
        "supplier_code": FieldSpec(p.supplier_code, "str"),
        "product_id": FieldSpec(p.product_id, "str"),
        "manufacturer_part_number": FieldSpec(p.manufacturer_part_number, "str"),
        "class": FieldSpec(p.class_id, "int"),
        "supplier": FieldSpec(p.supplier_id, "int"),
        "currency": FieldSpec(p.currency_id, "int"),
        "master_product": FieldSpec(p.master_id, "int"),
        "product_color": FieldSpec(p.product_color_id, "int"),
        "product_size": FieldSpec(p.product_size_id, "int"),
    }
    for flag in FLAGS:
        fields[flag] = FieldSpec(getattr(p, flag), "bool")
    fields.update(_legacy_fields())
    return fields


def _legacy_fields() -> dict[str, FieldSpec]:
    """The field names legacy clients filter by (one published library's list)."""
    p = Product
    cost = default_cost_sql()
    nothing = null().cast(String)  # data the service does not keep: always empty
    return {
        "class_name": FieldSpec(
            select(ProductClass.name)
            .where(ProductClass.id == p.class_id)
            .correlate(Product)
            .scalar_subquery(),
            "str",
        ),
        "cost": FieldSpec(cost, "decimal"),
        "margin": FieldSpec(margin_of(p.sell, cost), "decimal"),
        "date_cre": FieldSpec(p.created, "date"),
        "date_mod": FieldSpec(p.modified, "date"),
        "gl_inventory_asset": FieldSpec(p.gl_asset, "str"),
        "gl_product_cogs_expense": FieldSpec(p.gl_cogs_expense, "str"),
        "gl_product_income": FieldSpec(p.gl_income, "str"),
        "gl_product_payable_expense": FieldSpec(nothing, "str"),
        "long_web_description": FieldSpec(p.long_web_description, "str"),
        "min_margin": FieldSpec(p.minimum_margin, "decimal"),
        "multi_store_label": FieldSpec(p.multi_store_label, "str"),
        "notes": FieldSpec(nothing, "str"),
        "product_height": FieldSpec(p.height, "decimal"),
        "product_length": FieldSpec(p.length, "decimal"),
        "product_weight": FieldSpec(p.weight, "decimal"),
        "product_width": FieldSpec(p.width, "decimal"),
        "reorder_amt": FieldSpec(p.reorder_amount, "decimal"),
        "reorder_point": FieldSpec(p.reorder_point, "decimal"),
        "sell_tax_inclusive": FieldSpec(p.sell_tax_inclusive, "decimal"),
    }


def default_cost_sql() -> ColumnElement:
    """The product's ``costs/cost`` as the render shows it (its default supplier cost
    in its currency), as a correlated subquery; NULL without costs."""
    source = aliased(Currency)
    target_rate = (
        select(Currency.exchange_rate)
        .where(Currency.id == Product.currency_id)
        .correlate(Product)
        .scalar_subquery()
    )
    return (
        select(converted_cost(SupplierCost.raw, source.exchange_rate, target_rate))
        .select_from(SupplierCost)
        .join(Supplier, Supplier.id == SupplierCost.supplier_id)
        .outerjoin(source, source.id == Supplier.currency_id)
        .where(SupplierCost.product_id == Product.id, SupplierCost.is_default)
        .correlate(Product)
        .scalar_subquery()
    )


# Keyset paging ------------------------------------------------------------------------
#
# A cursor is the (stamp, id) of the last row a client has: rows after it in that order
# come next. Stamps are given out in commit order under the feed clock's lock (see
# catalog.feed), so a row committed later always sorts after every row already visible:
# a sync that follows the cursor while others write neither skips a row nor sees one
# twice (a changed row comes again, later, with its new stamp).


@dataclass(frozen=True)
class Keyset:
    """A keyset cursor: after (``stamp``, ``id``); ``stamp`` None is the start."""

    stamp: dt.datetime | None = None
    id: int = 0

    def __str__(self) -> str:
        if self.stamp is None:
            return "0"
        return f"{self.stamp.strftime('%Y-%m-%dT%H:%M:%S.%fZ')},{self.id}"


START = Keyset()
_CURSOR = re.compile(
    r"(?P<stamp>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?)"
    r"(Z|\+00:00),(?P<id>[0-9]{1,18})",
    re.ASCII,
)


def parse_cursor(raw: str, parameter: str = "after") -> Keyset:
    """``0`` (the start) or ``<UTC ISO datetime>,<id>`` as a list's ``next_after`` gave
    it; raises InvalidQuery."""
    if raw == "0":
        return START
    match = _CURSOR.fullmatch(raw)
    try:
        if match is None:
            raise ValueError
        stamp = dt.datetime.fromisoformat(match["stamp"]).replace(tzinfo=dt.UTC)
    except ValueError:
        raise InvalidQuery(
            f"expected 0 or a cursor such as 2024-01-31T12:00:00.000001Z,42, got {raw[:60]!r}",
            parameter=parameter,
        ) from None
    return Keyset(stamp, int(match["id"]))


def cursor_after(rows: Sequence[Any], start: Keyset, stamp: str = "modified") -> Keyset:
    """Where a keyset page of ``rows`` (each with ``id`` and the ``stamp`` attribute)
    ends: after its last row, else where it began."""
    if not rows:
        return start
    return Keyset(getattr(rows[-1], stamp), rows[-1].id)


def after(cursor: Keyset, stamp: ColumnElement, ident: ColumnElement) -> ColumnElement | None:
    """Rows after ``cursor`` in (``stamp``, ``ident``) order; None from the start."""
    if cursor.stamp is None:
        return None
    return later_than(stamp, ident, cursor.stamp, cursor.id)


def later_than(stamp: ColumnElement, ident: ColumnElement, at_stamp, at_id) -> ColumnElement:
    """Rows whose (``stamp``, ``ident``) comes after (``at_stamp``, ``at_id``): values, or
    bound parameters of a statement built once."""
    return or_(stamp > at_stamp, and_(stamp == at_stamp, ident > at_id))


@dataclass(frozen=True)
class ListQuery:
    """Which products of an organization to list, in what order, which page; with
    ``after`` (keyset paging) in (modified, id) order from that cursor on."""

    organization_id: int
    where: ColumnElement | None = None
    order_by: list[ColumnElement] = field(default_factory=list)
    count: int | None = None
    offset: int = 0
    after: Keyset | None = None

    def condition(self) -> ColumnElement:
        """The WHERE clause: the organization's products the filter matches (after the
        cursor, with one)."""
        condition = Product.organization_id == self.organization_id
        if self.where is not None:
            condition = condition & self.where
        if self.after is not None:
            rest = after(self.after, Product.modified, Product.id)
            if rest is not None:
                condition = condition & rest
        return condition

    def ordering(self) -> list[ColumnElement]:
        if self.after is not None:
            return [Product.modified, Product.id]
        return [*self.order_by, Product.id]


LIST_COLUMNS = (
    Product.id,
    Product.version,
    Product.code,
    Product.inventoried,
    Product.editable_sell,
    Product.master_model,
    Product.sell,
    Product.sell_tax_inclusive,
    Product.description,
    Product.available,
    Product.reserved,
    Product.coming_for_stock,
    Product.coming_for_customer,
    Product.warehouses,
    Product.in_transit,
)

# "sort_order:id" of every photo of the row's product, in one correlated subquery,
# so fetching any number of products costs one statement.
_PHOTO_KEYS = (
    select(
        func.aggregate_strings(
            cast(ProductPhoto.sort_order, String) + ":" + cast(ProductPhoto.id, String), ","
        )
    )
    .where(ProductPhoto.product_id == Product.id)
    .correlate(Product)
    .scalar_subquery()
    .label("photo_keys")
)
_LIST_ROWS = select(*LIST_COLUMNS, _PHOTO_KEYS).where(
    Product.id.in_(bindparam("ids", expanding=True))
)


_COUNT_ALL = select(func.count()).select_from(Product)
_PAGE = select(Product.id, Product.version)
_KEYSET_PAGE = select(Product.id, Product.version, Product.modified)


def count(connection: Connection, query: ListQuery) -> int:
    return connection.scalar(_COUNT_ALL.where(query.condition()))


def page(connection: Connection, query: ListQuery, batch: int = 1000) -> Iterator[Row]:
    """(id, version) of the matching products in list order: cheap rows that tell which
    renders a cache can still serve. Pages of up to ``batch`` rows are fetched at once,
    longer lists are streamed from the database ``batch`` rows at a time."""
    statement = _PAGE.where(query.condition()).order_by(*query.ordering())
    if query.count is not None:
        statement = statement.limit(query.count)
    if query.offset:
        statement = statement.offset(query.offset)
    if query.count is not None and query.count <= batch:
        return iter(connection.execute(statement).all())
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        # A server-side cursor lives in a transaction: open one (the connection is the
        # request's, reading in autocommit on PostgreSQL; it is reset when returned).
        connection.execution_options(isolation_level=connection.dialect.default_isolation_level)
    return iter(connection.execute(statement.execution_options(yield_per=batch)))


class Key(NamedTuple):
    id: int
    version: int


def keyset_page(connection: Connection, query: ListQuery) -> tuple[list[Key], Keyset]:
    """(id, version) of a keyset page's products (``query.after`` set, ``query.count``
    rows at most) and the cursor after its last row (the query's own without rows)."""
    statement = _KEYSET_PAGE.where(query.condition()).order_by(*query.ordering()).limit(query.count)
    rows = connection.execute(statement).all()
    cursor = cursor_after(rows, query.after or START)
    return [Key(row.id, row.version) for row in rows], cursor


def list_rows(connection: Connection, product_ids: list[int]) -> dict[int, Row]:
    """The list columns (and photo keys) of these products, in one statement."""
    if not product_ids:
        return {}
    result = connection.execute(_LIST_ROWS, {"ids": product_ids})
    return {row.id: row for row in result}


def photo_ids(photo_keys: str | None) -> list[int]:
    """Photo ids from a row's ``photo_keys``, in sort order."""
    if not photo_keys:
        return []
    pairs = sorted(tuple(map(int, key.split(":"))) for key in photo_keys.split(","))
    return [photo_id for _, photo_id in pairs]


SEARCHED_FIELDS = ("code", "description")
MAX_SEARCH = 200  # characters of a search


def search(text: str, fields: dict[str, FieldSpec]) -> ColumnElement:
    """Products whose code or description contains ``text``, ignoring case and accents
    (the filter language's ``contains[cd]``); raises InvalidQuery for text no product
    could hold."""
    text = text.strip()
    if len(text) > MAX_SEARCH:
        raise InvalidQuery(f"a search is at most {MAX_SEARCH} characters", parameter="search")
    if any(unicodedata.category(char) in {"Cc", "Cs"} for char in text):
        raise InvalidQuery("a search cannot hold control characters", parameter="search")
    node = AnyOf(tuple(Comparison(name, "contains", "cd", (text,)) for name in SEARCHED_FIELDS))
    return to_sql(node, fields)
