"""Listing products: the fields list queries filter and order by (the legacy names
included), the query, and the cheap statements a page is made of."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    String,
    bindparam,
    cast,
    func,
    null,
    select,
)
from sqlalchemy.orm import aliased

from xmlapi.catalog.filters import FieldSpec
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


@dataclass(frozen=True)
class ListQuery:
    """Which products of an organization to list, in what order, which page."""

    organization_id: int
    where: ColumnElement | None = None
    order_by: list[ColumnElement] = field(default_factory=list)
    count: int | None = None
    offset: int = 0

    def condition(self) -> ColumnElement:
        """The WHERE clause: the organization's products the filter matches."""
        mine = Product.organization_id == self.organization_id
        return mine if self.where is None else mine & self.where


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


def count(connection: Connection, query: ListQuery) -> int:
    return connection.scalar(_COUNT_ALL.where(query.condition()))


def page(connection: Connection, query: ListQuery, batch: int = 1000) -> Iterator[Row]:
    """(id, version) of the matching products in list order: cheap rows that tell which
    renders a cache can still serve. Pages of up to ``batch`` rows are fetched at once,
    longer lists are streamed from the database ``batch`` rows at a time."""
    statement = _PAGE.where(query.condition()).order_by(*query.order_by, Product.id)
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
