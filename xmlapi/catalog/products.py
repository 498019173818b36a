"""Products: creating, changing, reading and listing them, with the contract's rules."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    bindparam,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from xmlapi.catalog import inventory, reference
from xmlapi.catalog.errors import (
    Conflict,
    InvalidValue,
    ModifiedMeanwhile,
    NotFound,
    RuleBroken,
    UnknownReference,
)
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.vocabulary import (
    CODE_SUFFIXES,
    DESCRIPTION_SUFFIXES,
    KEYWORD_SLOTS,
)
from xmlapi.catalog.writes import commit
from xmlapi.models import (
    PhotoScale,
    Product,
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
    return tag_of(product_id, row[0], row[1])


def tag_of(product_id: int, version: int, generation: int) -> str:
    """The version tag of a product at ``version`` with reference data at ``generation``."""
    return f"{product_id}-{version}-{generation}"


def generation_sql():
    """The reference data's generation, as a scalar subquery (for a read that needs a
    product's tag along with its row)."""
    return _VERSION.selected_columns[1]


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
    # What the PIM face says of a relation (its relationship and status) outlives a
    # rewrite of the list by a face that does not carry it, for the relations kept.
    kept = {
        row.related_id: {"relationship_id": row.relationship_id, "status": row.status}
        for row in session.execute(
            select(
                RelatedProduct.related_id, RelatedProduct.relationship_id, RelatedProduct.status
            ).where(RelatedProduct.product_id == product.id)
        )
    }
    session.execute(
        RelatedProduct.__table__.delete().where(RelatedProduct.product_id == product.id)
    )
    session.add_all(
        RelatedProduct(product_id=product.id, position=i, **(kept.get(r["related_id"], {}) | r))
        for i, r in enumerate(relations)
    )


def _related_defaults(relation: Mapping[str, Any]) -> dict[str, Any]:
    """A related product is added once, and not on its own, unless the change says so."""
    quantity, auto_add = relation.get("quantity"), relation.get("auto_add")
    return {
        "related_id": relation["related_id"],
        "quantity": Decimal(1) if quantity is None else quantity,
        "auto_add": bool(auto_add),
    }
