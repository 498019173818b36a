"""Products: creating, changing, reading and listing them, with the contract's rules."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from xmlapi.catalog import inventory, reference
from xmlapi.catalog.errors import (
    Conflict,
    InvalidValue,
    ModifiedMeanwhile,
    NotFound,
    RuleBroken,
    UnknownReference,
)
from xmlapi.catalog.filters import FieldSpec
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.vocabulary import (
    CODE_SUFFIXES,
    DESCRIPTION_SUFFIXES,
    FLAGS,
    KEYWORD_SLOTS,
)
from xmlapi.catalog.writes import commit
from xmlapi.models import (
    Currency,
    PhotoScale,
    Product,
    ProductClass,
    ProductColor,
    ProductPhoto,
    ProductSize,
    ReferenceGeneration,
    RelatedProduct,
    Supplier,
    SupplierCost,
)
from xmlapi.models.organizations import DEFAULT_ORGANIZATION
from xmlapi.models.products import stamp
from xmlapi.sqlfunctions import converted_cost, margin_of

if TYPE_CHECKING:
    from xmlapi.catalog.photo_store import PhotoStore

# Reference attributes of a product: the kind of reference data they point at.
REFERENCES: dict[str, str] = {
    "class_id": "classes",
    "currency_id": "currencies",
    "supplier_id": "suppliers",
    "tax_exemption_id": "tax_exemptions",
    "pos_category_id": "pos_categories",
    "web_category_id": "web_categories",
    "product_color_id": "product_colors",
    "product_size_id": "product_sizes",
}
MASTER_FIELD = "master_id"


# Keys of a change set that are instructions, not columns.
_INSTRUCTIONS = {"sell_price", "keywords", "related", "code_suffix", "description_suffix"}


# A product's render changes when its row does (every write under it stamps it) or when
# reference data it embeds does; this asks for both in one statement.
_VERSION = select(
    Product.version,
    select(ReferenceGeneration.value).scalar_subquery(),
).where(Product.id == bindparam("product_id"))


def version_tag(connection: Connection, product_id: int) -> str:
    """A tag that changes whenever the product's full render would; raises NotFound."""
    row = connection.execute(_VERSION, {"product_id": product_id}).first()
    if row is None:
        raise NotFound(f"No product with id {product_id}.")
    return f"{product_id}-{row[0]}-{row[1]}"


def check_version(session: Session, product_id: int, if_match: Collection[str] | None) -> None:
    """Raise ModifiedMeanwhile unless the product's tag is one of ``if_match`` (None: no
    condition). Read inside the write's transaction, right after the product is loaded;
    a write committed after this read is caught by the row version (a Conflict)."""
    if if_match is None:
        return
    current = version_tag(session.connection(), product_id)
    if current not in if_match:
        raise ModifiedMeanwhile(
            f"Product {product_id} changed since your copy was read; read it again.", current
        )


# What any render of a product's costs needs: its currency, its costs, their suppliers'
# currencies.
WITH_COSTS = (
    joinedload(Product.currency),
    selectinload(Product.supplier_costs)
    .joinedload(SupplierCost.supplier)
    .joinedload(Supplier.currency),
)


def load(session: Session, product_id: int, *options) -> Product:
    """The product, fresh from the database, with ``options`` loaded in a constant number
    of statements; raises NotFound."""
    product = (
        session.scalars(
            select(Product)
            .where(Product.id == product_id)
            .options(*options)
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )
    if product is None:
        raise NotFound(f"No product with id {product_id}.")
    return product


def get(session: Session, product_id: int) -> Product:
    """The product with everything its full render shows; raises NotFound."""
    return load(
        session,
        product_id,
        *WITH_COSTS,
        joinedload(Product.tax_exemption),
        joinedload(Product.pos_category),
        joinedload(Product.web_category),
        selectinload(Product.related),
        selectinload(Product.serial_numbers),
        selectinload(Product.photos),
    )


def get_plain(session: Session, product_id: int) -> Product:
    """The product row alone; raises NotFound."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"No product with id {product_id}.")
    return product


def create(
    session: Session,
    changes: Mapping[str, Any],
    pricing: Pricing,
    organization_id: int = DEFAULT_ORGANIZATION,
    *,
    prepare: Callable[[Product], None] | None = None,
) -> Product:
    """Create a product of an organization from a change set (see
    ``payloads.ProductSchema``); commits.

    A child of a master (``master_id``) must name its colour and size; its code,
    description and sell price default to the master's, suffixed as asked. Related
    products and the master are the organization's own.
    """
    return _commit(session, add(session, changes, pricing, organization_id), prepare)


def add(
    session: Session,
    changes: Mapping[str, Any],
    pricing: Pricing,
    organization_id: int = DEFAULT_ORGANIZATION,
) -> Product:
    """``create`` without the commit (bulk imports commit in batches). Every rule is
    checked before the session is touched: a refused change set leaves it as it was."""
    product = Product(organization_id=organization_id)
    _check_values(changes)
    _check_references(session, changes, organization_id)
    master = _master(session, changes.get("master_id"), organization_id)
    if master is not None:
        changes = _child_defaults(session, master, changes)
    _apply(session, product, changes, pricing)
    session.add(product)
    if master is not None:
        master.master_model = True
    return product


def update(
    session: Session,
    product_id: int,
    changes: Mapping[str, Any],
    pricing: Pricing,
    *,
    if_match: Collection[str] | None = None,
    prepare: Callable[[Product], None] | None = None,
) -> Product:
    """Change what ``changes`` carries and nothing else; commits.

    With ``if_match`` (the version tags the caller's copy may have), raises
    ModifiedMeanwhile unless the product is still at one of them.
    """
    product = get_plain(session, product_id)
    check_version(session, product_id, if_match)
    change(session, product, changes, pricing)
    return _commit(session, product, prepare)


def change(
    session: Session, product: Product, changes: Mapping[str, Any], pricing: Pricing
) -> None:
    """``update`` of a loaded product without the commit (bulk imports commit in
    batches). A refusal may leave the product changed in memory: expire it."""
    _check_values(changes)
    _check_references(session, changes, product.organization_id)
    if "master_id" in changes:
        master = _master(session, changes["master_id"], product.organization_id, product)
        if master is not None:
            _refuse_children(session, product)
            _require_variant(changes, product)
            master.master_model = True
    _apply(session, product, changes, pricing)
    stamp(product)  # a change of related products alone must move version and modified too
    if changes.get("serialized"):
        inventory.recount(session, product)  # available follows the serials from now on


def delete(
    session: Session,
    product_id: int,
    *,
    photo_store: PhotoStore,
    if_match: Collection[str] | None = None,
) -> None:
    """Delete the product and everything under it; commits, then removes the files of
    its photos from ``photo_store``.

    Children of a deleted master keep existing, detached from it. ``if_match``: as in
    ``update``.
    """
    product = get_plain(session, product_id)
    check_version(session, product_id, if_match)
    photo_files = list(
        session.scalars(
            select(PhotoScale.filename)
            .join(ProductPhoto, PhotoScale.photo_id == ProductPhoto.id)
            .where(ProductPhoto.product_id == product_id)
        )
    )
    for child in session.scalars(select(Product).where(Product.master_id == product_id)):
        child.master_id = None
    # Their related_products lose this one (ON DELETE CASCADE): their renders change.
    relating = select(RelatedProduct.product_id).where(RelatedProduct.related_id == product_id)
    for other in session.scalars(select(Product).where(Product.id.in_(relating))):
        stamp(other)
    session.delete(product)
    photo_store.stage_deletes(session, photo_files)
    _commit(session, product)
    photo_store.delete(photo_files)


def _commit(
    session: Session, product: Product, prepare: Callable[[Product], None] | None = None
) -> Product:
    commit(session, conflict_of, prepare=None if prepare is None else lambda: prepare(product))
    return product


def conflict_of(exc: IntegrityError) -> Conflict:
    """The Conflict a refused product write stands for (a duplicate code, mostly)."""
    detail = str(exc.orig).lower()
    if "code" in detail:
        return Conflict("Another product has this code.", {"code": "Already in use."})
    return Conflict("The change clashes with stored data.")


def _check_values(changes: Mapping[str, Any]) -> None:
    """Raise InvalidValue for values outside the product's vocabulary."""
    problems = {}
    if len(changes.get("keywords") or ()) > KEYWORD_SLOTS:
        problems["keywords"] = f"At most {KEYWORD_SLOTS} keywords."
    for name, known in (
        ("code_suffix", CODE_SUFFIXES),
        ("description_suffix", DESCRIPTION_SUFFIXES),
    ):
        if changes.get(name) is not None and changes[name] not in known:
            problems[name] = f"Must be one of: {', '.join(known)}."
    if problems:
        raise InvalidValue("The product has values it cannot take.", problems)


def _check_references(session: Session, changes: Mapping[str, Any], organization_id: int) -> None:
    for attribute, plural in REFERENCES.items():
        ident = changes.get(attribute)
        if ident is not None:
            reference.check_exists(session, reference.kind(plural), ident, attribute)
    for relation in changes.get("related") or ():
        if _product_of(session, relation["related_id"], organization_id) is None:
            raise UnknownReference("related_id", relation["related_id"], "product")


def _product_of(session: Session, product_id: int, organization_id: int) -> Product | None:
    """Product ``product_id`` when it is the organization's (another's is unknown here)."""
    product = session.get(Product, product_id)
    return product if product is not None and product.organization_id == organization_id else None


def _master(
    session: Session,
    master_id: int | None,
    organization_id: int,
    product: Product | None = None,
) -> Product | None:
    if master_id is None:
        return None
    master = _product_of(session, master_id, organization_id)
    if master is None:
        raise UnknownReference(MASTER_FIELD, master_id, "product")
    if product is not None and master.id == product.id:
        raise RuleBroken(
            "A product cannot be its own master.", {MASTER_FIELD: "Names the product itself."}
        )
    if master.master_id is not None:
        raise RuleBroken(
            f"Product {master_id} is itself a child and cannot be a master.",
            {MASTER_FIELD: "Names a child product."},
        )
    return master


def _refuse_children(session: Session, product: Product) -> None:
    """A master cannot become a child: chains are two levels deep at most."""
    child = select(Product.id).where(Product.master_id == product.id).limit(1)
    if session.scalar(child) is not None:
        raise RuleBroken(
            f"Product {product.id} is a master with children and cannot become a child.",
            {MASTER_FIELD: "The product has children of its own."},
        )


def _require_variant(changes: Mapping[str, Any], product: Product | None = None) -> None:
    missing = [
        attribute
        for attribute in ("product_color_id", "product_size_id")
        if changes.get(attribute, getattr(product, attribute, None)) is None
    ]
    if missing:
        raise RuleBroken(
            "A child of a master product must name its colour and size.",
            {attribute: "Mandatory for a child of a master." for attribute in missing},
        )


def _child_defaults(
    session: Session, master: Product, changes: Mapping[str, Any]
) -> dict[str, Any]:
    _require_variant(changes)
    color = session.get(ProductColor, changes["product_color_id"])
    size = session.get(ProductSize, changes["product_size_id"])
    filled = dict(changes)
    if filled.get("code") is None and master.code is not None:
        pattern = CODE_SUFFIXES[filled.get("code_suffix") or "COLOR_SIZE"]
        filled["code"] = pattern.format(
            code=master.code, color=color.code or color.name, size=size.code or size.name
        )
    if filled.get("description") is None and master.description is not None:
        pattern = DESCRIPTION_SUFFIXES[filled.get("description_suffix") or "COLOR_SIZE"]
        filled["description"] = pattern.format(
            description=master.description, color=color.name, size=size.name
        )
    if "sell_price" not in filled and not ({"sell", "sell_tax_inclusive"} & filled.keys()):
        for name in ("sell", "sell_tax_inclusive"):
            filled[name] = getattr(master, name)
    return filled


def _apply(
    session: Session, product: Product, changes: Mapping[str, Any], pricing: Pricing
) -> None:
    for name, value in changes.items():
        if name not in _INSTRUCTIONS:
            setattr(product, name, value)
    if "sell_price" in changes:
        for name, value in pricing.sells_for(changes["sell_price"]).items():
            setattr(product, name, value)
    if {"supplier_id", "supplier_code"} & changes.keys():
        product.supplier_overridden = True
    if "keywords" in changes:
        keywords = [*changes["keywords"], *[None] * KEYWORD_SLOTS]
        product.keyword1, product.keyword2, product.keyword3 = keywords[:KEYWORD_SLOTS]
    if "related" in changes:
        _replace_related(session, product, changes["related"])


def _replace_related(session: Session, product: Product, relations: list[dict]) -> None:
    relations = [_related_defaults(relation) for relation in relations]
    if product.id is None:
        product.related = [RelatedProduct(position=i, **r) for i, r in enumerate(relations)]
        return
    if any(relation["related_id"] == product.id for relation in relations):
        raise RuleBroken(
            "A product cannot be related to itself.",
            {"related": "Names the product itself."},
        )
    session.execute(
        RelatedProduct.__table__.delete().where(RelatedProduct.product_id == product.id)
    )
    session.add_all(
        RelatedProduct(product_id=product.id, position=i, **r) for i, r in enumerate(relations)
    )


def _related_defaults(relation: Mapping[str, Any]) -> dict[str, Any]:
    """A related product is added once, and not on its own, unless the change says so."""
    quantity, auto_add = relation.get("quantity"), relation.get("auto_add")
    return {
        "related_id": relation["related_id"],
        "quantity": Decimal(1) if quantity is None else quantity,
        "auto_add": bool(auto_add),
    }


# Listing ---------------------------------------------------------------------------


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
