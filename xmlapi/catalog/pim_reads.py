"""The PIM read model: products of an organization with their variant trees and the
parts a caller asks for, loaded in a constant number of statements whatever the number
of products (one per part, for every product of the page and its trees at once)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from xmlapi.catalog import listing
from xmlapi.catalog.errors import NotFound
from xmlapi.catalog.pricing import Pricing
from xmlapi.models import Product, ProductClass, ProductPhoto, RelatedProduct, Warehouse
from xmlapi.models.pim import (
    PimAttribute,
    PimAttributeSet,
    PimAttributeValue,
    PimBrand,
    PimCatalog,
    PimCategory,
    PimCategorySet,
    PimEntityIdentifier,
    PimGroupMember,
    PimInventory,
    PimKitMember,
    PimMediaItem,
    PimPriceBook,
    PimPriceItem,
    PimProduct,
    PimProductCatalog,
    PimProductCategory,
    PimRelationship,
    PimSettings,
    PimVirtualProduct,
)

PARTS = (
    "product_class",
    "product_family",
    "brand",
    "attribute_values",
    "association_attribute_values",
    "dimension",
    "packed_dimension",
    "product_categories",
    "catalogs",
    "shipping_zones",
    "price_items",
    "inventories",
    "media_items",
    "entity_identifiers",
    "child_product_variations",
    "parent_product_kits",
    "parent_product_groups",
    "parent_product_variations",
    "child_kit_members",
    "child_group_members",
    # Ours, beyond the spec's list: what a document can send but the spec never shows.
    "virtual_products",
    "child_related_products",
    "parent_related_products",
)
DEFAULT_PARTS = frozenset(
    {
        "product_attributes",
        "attribute_set",
        "brand",
        "dimension",
        "packed_dimension",
        "product_categories",
        "catalogs",
        "shipping_zones",
        "price_items",
        "inventories",
        "media_items",
        "entity_identifiers",
        "virtual_products",
        "completeness",
    }
)
ATTRIBUTE_PARTS = frozenset(
    {"product_attributes", "attribute_values", "association_attribute_values", "completeness"}
)
MAX_PER_PAGE = 250
DEFAULT_PRICE_BOOK = "Default"  # its price is the sell price the XML face shows
TAX_EXCLUSIVE = Pricing()


@dataclass(frozen=True)
class Query:
    """A list's page and filters (times are UTC-aware)."""

    page: int = 1
    per_page: int = 50
    root_products_only: bool = True
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None
    id: int | None = None
    code: str | None = None
    name: str | None = None
    status: str | None = None
    # An extra identifier the products have (its name, its key, or both).
    identifier_name: str | None = None
    entity_key: str | None = None
    # Keyset paging: every level flat, in (updated, id) order after this cursor.
    after: listing.Keyset | None = None


@dataclass
class Link:
    """Another product as a list of links shows it."""

    id: int
    code: str | None
    created: dt.datetime
    updated: dt.datetime
    qty: Decimal | None = None
    sort_order: int | None = None
    related: bool = False  # a related product's link, which has the next two
    relationship: tuple[int, str] | None = None  # id and code
    status: str | None = None


@dataclass
class PimProductView:
    id: int
    code: str | None
    name: str | None
    status: str
    product_type: str | None
    discontinued: bool
    created: dt.datetime
    updated: dt.datetime
    locale: str | None = None
    is_kit: bool = False
    family: str | None = None
    class_name: tuple[int, str] | None = None
    attribute_set: tuple[int, str] | None = None
    attributes: list[dict[str, Any]] = field(default_factory=list)
    brand: dict[str, Any] | None = None
    dimension: dict[str, Any] | None = None
    packed_dimension: dict[str, Any] | None = None
    categories: list[dict[str, Any]] = field(default_factory=list)
    catalogs: list[dict[str, Any]] = field(default_factory=list)
    shipping_zones: list[str] = field(default_factory=list)
    price_items: list[dict[str, Any]] = field(default_factory=list)
    inventories: list[dict[str, Any]] = field(default_factory=list)
    media_items: list[dict[str, Any]] = field(default_factory=list)
    photos: list[int] = field(default_factory=list)
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    virtual_products: list[dict[str, Any]] = field(default_factory=list)
    links: dict[str, list[Link]] = field(default_factory=dict)
    children: list[PimProductView] = field(default_factory=list)
    parent: PimProductView | None = None
    completeness: dict[str, Any] | None = None


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int
    total_entries: int  # with keyset paging, from the cursor on
    entries: list[PimProductView]
    cursor: listing.Keyset | None = None  # keyset paging: after the page's last product

    @property
    def total_pages(self) -> int:
        return -(-self.total_entries // self.per_page)


def response_version(session: Session, organization_id: int) -> int:
    version = session.scalar(
        select(PimSettings.response_version).where(PimSettings.organization_id == organization_id)
    )
    return version or 2


def set_response_version(session: Session, organization_id: int, version: int) -> None:
    """Answer the organization's PIM reads in ``version`` 1 or 2; the caller commits."""
    if version not in (1, 2):
        raise ValueError("the PIM response version is 1 or 2")
    row = session.get(PimSettings, organization_id) or PimSettings(organization_id=organization_id)
    row.response_version = version
    session.add(row)


def require_attributes(session: Session, organization_id: int, codes: list[str]) -> None:
    """Make these attributes required (a product without a value of one is incomplete);
    raises ValueError for a code the organization has no attribute of. The caller commits."""
    rows = {
        row.code: row
        for row in session.scalars(
            select(PimAttribute).where(
                PimAttribute.organization_id == organization_id, PimAttribute.code.in_(codes)
            )
        )
    }
    missing = [code for code in codes if code not in rows]
    if missing:
        raise ValueError(f"no attribute {missing[0]!r} in organization {organization_id}")
    for row in rows.values():
        row.required = True


def _filters(organization_id: int, query: Query) -> list:
    found = [Product.organization_id == organization_id]
    if query.root_products_only:
        found.append(Product.master_id.is_(None))
    pairs = (
        (query.created_from, Product.created.__ge__),
        (query.created_to, Product.created.__le__),
        (query.updated_from, Product.modified.__ge__),
        (query.updated_to, Product.modified.__le__),
        (query.id, Product.id.__eq__),
        (query.code, Product.code.__eq__),
        (query.name, Product.description.__eq__),
    )
    found.extend(test(value) for value, test in pairs if value is not None)
    if query.status is not None:
        found.append(Product.current.is_(query.status == "active"))
    if query.identifier_name is not None or query.entity_key is not None:
        found.append(_has_identifier(query.identifier_name, query.entity_key))
    return found


def _has_identifier(name: str | None, key: str | None):
    identifier = PimEntityIdentifier
    tests = [identifier.product_id == Product.id]
    if name is not None:
        tests.append(identifier.name == name)
    if key is not None:
        tests.append(identifier.key == key)
    return exists().where(*tests)


def product_page(
    session: Session,
    organization_id: int,
    query: Query,
    parts: frozenset[str],
    pricing: Pricing = TAX_EXCLUSIVE,
) -> Page:
    """One page of the organization's products (roots with their variant trees, or every
    level flat, each with its parents and the tree under it)."""
    where = _filters(organization_id, query)
    if query.after is not None:
        return _keyset_page(session, where, query, parts, pricing)
    total = session.scalar(select(func.count()).select_from(Product).where(*where))
    rows = list(
        session.scalars(
            select(Product)
            .where(*where)
            .order_by(Product.id)
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        )
    )
    return Page(query.page, query.per_page, total, _views(session, rows, parts, pricing))


def _keyset_page(
    session: Session, where: list, query: Query, parts: frozenset[str], pricing: Pricing
) -> Page:
    """A keyset page: the products after ``query.after`` in (updated, id) order, how
    many follow the cursor, and the cursor after the page."""
    later = listing.after(query.after, Product.modified, Product.id)
    if later is not None:
        where = [*where, later]
    total = session.scalar(select(func.count()).select_from(Product).where(*where))
    statement = select(Product).where(*where).order_by(Product.modified, Product.id)
    rows = list(session.scalars(statement.limit(query.per_page)))
    cursor = listing.cursor_after(rows, query.after)
    views = _views(session, rows, parts, pricing)
    return Page(1, query.per_page, total, views, cursor)


def product_view(
    session: Session,
    organization_id: int,
    product_id: int,
    parts: frozenset[str],
    pricing: Pricing = TAX_EXCLUSIVE,
) -> PimProductView:
    """One product with its tree; raises NotFound (also for another organization's)."""
    product = session.get(Product, product_id)
    if product is None or product.organization_id != organization_id:
        raise NotFound(f"No product with id {product_id}.")
    return _views(session, [product], parts, pricing)[0]


def _views(
    session: Session, entries: list[Product], parts: frozenset[str], pricing: Pricing
) -> list[PimProductView]:
    roots = {product.master_id or product.id for product in entries}
    family = {product.id: product for product in entries}
    if roots:
        statement = select(Product).where(Product.master_id.in_(roots) | Product.id.in_(roots))
        family.update((product.id, product) for product in session.scalars(statement))
    pim = {
        row.product_id: row
        for row in session.scalars(select(PimProduct).where(PimProduct.product_id.in_(family)))
    }
    views = {
        product_id: _base(product, pim.get(product_id)) for product_id, product in family.items()
    }
    _tree(views, family, pim)
    if entries:
        loader = _Loader(session, views, pim, parts, entries[0].organization_id)
        loader.sell_prices = {i: pricing.sell_price(p) for i, p in family.items()}
        loader.load()
    return [views[product.id] for product in entries]


def _base(product: Product, pim: PimProduct | None) -> PimProductView:
    return PimProductView(
        id=product.id,
        code=product.code,
        name=product.description,
        status="active" if product.current else "inactive",
        product_type=pim.product_type if pim else None,
        discontinued=pim.discontinued if pim else False,
        created=product.created,
        updated=product.modified,
        locale=pim.locale if pim else None,
        is_kit=pim.is_kit if pim else False,
        family=product.family,
    )


def _tree(
    views: dict[int, PimProductView], family: dict[int, Product], pim: dict[int, PimProduct]
) -> None:
    for product_id, product in sorted(family.items()):
        row = pim.get(product_id)
        parent_id = row.parent_id if row is not None else None
        if parent_id not in views:
            parent_id = product.master_id  # an XML child, or a level above deleted
        if parent_id is not None and parent_id in views:
            views[product_id].parent = views[parent_id]
            views[parent_id].children.append(views[product_id])


class _Loader:
    """Fills the asked parts of every view, one statement per part."""

    def __init__(self, session, views, pim, parts, organization_id):
        self.session = session
        self.organization_id = organization_id
        self.views: dict[int, PimProductView] = views
        self.pim: dict[int, PimProduct] = pim
        self.parts = parts
        self.ids = list(views)
        self.sell_prices: dict[int, Decimal | None] = {}

    def load(self) -> None:
        for part, loader in (
            ("attribute_set", self._attribute_sets),
            ("product_class", self._classes),
            ("brand", self._brands),
            ("dimension", self._dimensions),
            ("shipping_zones", self._shipping_zones),
            ("product_categories", self._categories),
            ("catalogs", self._catalogs),
            ("price_items", self._prices),
            ("inventories", self._inventories),
            ("media_items", self._media),
            ("entity_identifiers", self._identifiers),
            ("virtual_products", self._virtual_products),
        ):
            if part in self.parts:
                loader()
        if self.parts & ATTRIBUTE_PARTS:
            self._attributes()
        if "completeness" in self.parts:
            self._completeness()
        self._links()

    def _rows(self, statement):
        return self.session.execute(statement).all()

    def _attribute_sets(self) -> None:
        ids = {row.attribute_set_id for row in self.pim.values() if row.attribute_set_id}
        names = dict(
            self._rows(
                select(PimAttributeSet.id, PimAttributeSet.name).where(PimAttributeSet.id.in_(ids))
            )
        )
        for product_id, view in self.views.items():
            row = self.pim.get(product_id)
            if row is not None and row.attribute_set_id in names:
                view.attribute_set = (row.attribute_set_id, names[row.attribute_set_id])

    def _classes(self) -> None:
        statement = (
            select(Product.id, ProductClass.id, ProductClass.name)
            .join(ProductClass, ProductClass.id == Product.class_id)
            .where(Product.id.in_(self.ids))
        )
        for product_id, class_id, name in self._rows(statement):
            self.views[product_id].class_name = (class_id, name)

    def _brands(self) -> None:
        ids = {row.brand_id for row in self.pim.values() if row.brand_id}
        brands = {
            b.id: b for b in self.session.scalars(select(PimBrand).where(PimBrand.id.in_(ids)))
        }
        for product_id, view in self.views.items():
            row = self.pim.get(product_id)
            brand = brands.get(row.brand_id) if row is not None else None
            if brand is not None:
                view.brand = {
                    "id": brand.id,
                    "name": brand.name,
                    "description": brand.description,
                    "logo_link": brand.logo_link,
                }

    def _dimensions(self) -> None:
        statement = select(
            Product.id, Product.length, Product.width, Product.height, Product.weight
        ).where(Product.id.in_(self.ids))
        for product_id, length, width, height, weight in self._rows(statement):
            self.views[product_id].dimension = {
                "length": length,
                "width": width,
                "height": height,
                "weight": weight,
            }
            row = self.pim.get(product_id)
            self.views[product_id].packed_dimension = {
                "length": row.packed_length if row else None,
                "width": row.packed_width if row else None,
                "height": row.packed_height if row else None,
                "weight": row.packed_weight if row else None,
            }

    def _shipping_zones(self) -> None:
        for product_id, row in self.pim.items():
            self.views[product_id].shipping_zones = json.loads(row.shipping_zones or "[]")

    def _categories(self) -> None:
        statement = (
            select(PimProductCategory, PimCategory, PimCategorySet)
            .join(PimCategory, PimCategory.id == PimProductCategory.category_id)
            .join(PimCategorySet, PimCategorySet.id == PimCategory.category_set_id)
            .where(PimProductCategory.product_id.in_(self.ids))
            .order_by(PimProductCategory.id)
        )
        for link, category, category_set in self._rows(statement):
            self.views[link.product_id].categories.append(
                {
                    "is_primary": link.is_primary,
                    "category_id": category.id,
                    "name": category.name,
                    "path": category.path,
                    "category_set": {"id": category_set.id, "name": category_set.name},
                }
            )

    def _catalogs(self) -> None:
        statement = (
            select(PimProductCatalog.product_id, PimCatalog.id, PimCatalog.name)
            .join(PimCatalog, PimCatalog.id == PimProductCatalog.catalog_id)
            .where(PimProductCatalog.product_id.in_(self.ids))
            .order_by(PimCatalog.id)
        )
        for product_id, catalog_id, name in self._rows(statement):
            self.views[product_id].catalogs.append({"id": catalog_id, "name": name})

    def _virtual_products(self) -> None:
        rows = list(
            self.session.scalars(
                select(PimVirtualProduct)
                .where(PimVirtualProduct.product_id.in_(self.ids))
                .order_by(PimVirtualProduct.code)
            )
        )
        values = {row.id: json.loads(row.attributes) for row in rows}
        codes = {code for data in values.values() for code in data}
        types = dict(
            self._rows(
                select(PimAttribute.code, PimAttribute.base_type).where(
                    PimAttribute.organization_id == self.organization_id,
                    PimAttribute.code.in_(codes),
                )
            )
        )
        for row in rows:
            attributes = {}
            for code, data in values[row.id].items():
                base_type = types.get(code, "json")
                attributes[code] = {"data": typed(data, base_type), "base_type": base_type}
            self.views[row.product_id].virtual_products.append(
                {
                    "id": row.id,
                    "code": row.code,
                    "name": row.name,
                    "status": row.status,
                    "attributes": attributes,
                }
            )

    def _prices(self) -> None:
        statement = (
            select(PimPriceItem, PimPriceBook)
            .join(PimPriceBook, PimPriceBook.id == PimPriceItem.price_book_id)
            .where(PimPriceItem.product_id.in_(self.ids))
            .order_by(PimPriceItem.id)
        )
        for item, book in self._rows(statement):
            self.views[item.product_id].price_items.append(
                {
                    "id": item.id,
                    "amount": self._amount(item, book),
                    "price_book": {"id": book.id, "name": book.name},
                    "from": item.valid_from,
                    "to": item.valid_to,
                }
            )

    def _amount(self, item: PimPriceItem, book: PimPriceBook) -> Decimal:
        """The default book's price is the product's sell price (the XML face may have
        changed it since); other books' are their own."""
        if book.name.lower() == DEFAULT_PRICE_BOOK.lower():
            sell = self.sell_prices.get(item.product_id)
            if sell is not None:
                return sell
        return item.amount

    def _inventories(self) -> None:
        statement = (
            select(PimInventory, Warehouse.name)
            .join(Warehouse, Warehouse.id == PimInventory.warehouse_id)
            .where(PimInventory.product_id.in_(self.ids))
            .order_by(PimInventory.id)
        )
        for row, source in self._rows(statement):
            view = self.views[row.product_id]
            view.inventories.append(
                {
                    "id": row.id,
                    "qty": row.qty,
                    "available_qty": row.available_qty,
                    "stock_availability": row.stock_availability,
                    "out_of_stock_threshold": row.out_of_stock_threshold,
                    "dispatch_time": row.dispatch_time,
                    "dispatch_time_unit": row.dispatch_time_unit,
                    "unit_cost": row.unit_cost,
                    "style": row.style,
                    "sku": row.sku or view.code,
                    "inventory_source": {"id": row.warehouse_id, "name": source},
                }
            )

    def _media(self) -> None:
        statement = (
            select(PimMediaItem)
            .where(PimMediaItem.product_id.in_(self.ids))
            .order_by(PimMediaItem.sort_order, PimMediaItem.id)
        )
        for item in self.session.scalars(statement):
            self.views[item.product_id].media_items.append(
                {
                    "id": item.id,
                    "media_item_type": item.media_item_type,
                    "url": item.url,
                    "description": item.description,
                    "sort_order": item.sort_order,
                    "is_primary": item.is_primary,
                    "tag_list": json.loads(item.tag_list),
                }
            )
        photos = select(ProductPhoto.product_id, ProductPhoto.id).where(
            ProductPhoto.product_id.in_(self.ids)
        )
        for product_id, photo_id in self._rows(
            photos.order_by(ProductPhoto.sort_order, ProductPhoto.id)
        ):
            self.views[product_id].photos.append(photo_id)

    def _identifiers(self) -> None:
        statement = (
            select(PimEntityIdentifier)
            .where(PimEntityIdentifier.product_id.in_(self.ids))
            .order_by(PimEntityIdentifier.id)
        )
        for row in self.session.scalars(statement):
            self.views[row.product_id].identifiers.append(
                {"id": row.id, "name": row.name, "key": row.key}
            )

    def _attributes(self) -> None:
        statement = (
            select(PimAttributeValue, PimAttribute)
            .join(PimAttribute, PimAttribute.id == PimAttributeValue.attribute_id)
            .where(PimAttributeValue.product_id.in_(self.ids))
            .order_by(PimAttribute.code)
        )
        for value, definition in self._rows(statement):
            self.views[value.product_id].attributes.append(attribute_of(value, definition))

    def _completeness(self) -> None:
        required = list(
            self.session.scalars(
                select(PimAttribute.code).where(
                    PimAttribute.organization_id == self.organization_id,
                    PimAttribute.required.is_(True),
                )
            )
        )
        sells = dict(self._rows(select(Product.id, Product.sell).where(Product.id.in_(self.ids))))
        for product_id, view in self.views.items():
            present = {a["code"] for a in view.attributes if a["data"] not in ("", None, [])}
            missing = {
                "missing_image": not (view.media_items or view.photos),
                "missing_category": not view.categories,
                "missing_price": not view.price_items and sells.get(product_id) is None,
                "missing_attributes": [code for code in required if code not in present],
            }
            missing["is_complete"] = not any(missing.values())
            view.completeness = missing

    def _links(self) -> None:
        for part in sorted(self.parts & set(_RELATED_QUERIES)):
            self._related_links(part, *_RELATED_QUERIES[part])
        wanted = self.parts & set(_LINK_QUERIES)
        for part in sorted(wanted):
            model, own, other, extra = _LINK_QUERIES[part]
            statement = (
                (
                    select(own, Product, extra)
                    .join(Product, Product.id == other)
                    .where(own.in_(self.ids))
                    .order_by(Product.id)
                )
                if model is not None
                else None
            )
            if statement is None:
                self._variation_links(part)
                continue
            for owner_id, product, value in self._rows(statement):
                link = Link(product.id, product.code, product.created, product.modified)
                if part.endswith("kit_members") or part.endswith("kits"):
                    link.qty = value
                else:
                    link.sort_order = value
                self.views[owner_id].links.setdefault(part, []).append(link)

    def _related_links(self, part: str, own, other) -> None:
        statement = (
            select(own, Product, RelatedProduct, PimRelationship)
            .join(Product, Product.id == other)
            .outerjoin(PimRelationship, PimRelationship.id == RelatedProduct.relationship_id)
            .where(own.in_(self.ids))
            .order_by(RelatedProduct.position, Product.id)
        )
        for owner_id, product, row, relationship in self._rows(statement):
            link = Link(product.id, product.code, product.created, product.modified)
            link.sort_order, link.related, link.status = row.position, True, row.status
            if relationship is not None:
                link.relationship = (relationship.id, relationship.code)
            self.views[owner_id].links.setdefault(part, []).append(link)

    def _variation_links(self, part: str) -> None:
        for view in self.views.values():
            others = (
                view.children
                if part == "child_product_variations"
                else [view.parent]
                if view.parent
                else []
            )
            view.links[part] = [Link(o.id, o.code, o.created, o.updated) for o in others]


_RELATED_QUERIES = {
    "child_related_products": (RelatedProduct.product_id, RelatedProduct.related_id),
    "parent_related_products": (RelatedProduct.related_id, RelatedProduct.product_id),
}
_LINK_QUERIES = {
    "child_kit_members": (
        PimKitMember,
        PimKitMember.kit_id,
        PimKitMember.member_id,
        PimKitMember.qty,
    ),
    "parent_product_kits": (
        PimKitMember,
        PimKitMember.member_id,
        PimKitMember.kit_id,
        PimKitMember.qty,
    ),
    "child_group_members": (
        PimGroupMember,
        PimGroupMember.group_id,
        PimGroupMember.member_id,
        PimGroupMember.sort_order,
    ),
    "parent_product_groups": (
        PimGroupMember,
        PimGroupMember.member_id,
        PimGroupMember.group_id,
        PimGroupMember.sort_order,
    ),
    "child_product_variations": (None, None, None, None),
    "parent_product_variations": (None, None, None, None),
}


def typed(data: Any, base_type: str) -> Any:
    """A stored attribute value as its type reads it (numbers are kept as text)."""
    return Decimal(data) if base_type == "number" and data is not None else data


def attribute_of(value: PimAttributeValue, definition: PimAttribute) -> dict[str, Any]:
    data = typed(json.loads(value.data), definition.base_type)
    return {
        "id": value.id,
        "definition_id": definition.id,
        "code": definition.code,
        "base_type": definition.base_type,
        "data": data,
        "created": value.created,
        "updated": value.modified,
    }


def attribute_page(session: Session, organization_id: int, query: Query, codes: list[str]) -> Page:
    """Products of the organization with their values of the attributes ``codes``."""
    where = _filters(organization_id, Query(**{**query.__dict__, "root_products_only": False}))
    total = session.scalar(select(func.count()).select_from(Product).where(*where))
    rows = list(
        session.scalars(
            select(Product)
            .where(*where)
            .order_by(Product.id)
            .limit(query.per_page)
            .offset((query.page - 1) * query.per_page)
        )
    )
    views = {product.id: _base(product, None) for product in rows}
    statement = (
        select(PimAttributeValue, PimAttribute)
        .join(PimAttribute, PimAttribute.id == PimAttributeValue.attribute_id)
        .where(PimAttributeValue.product_id.in_(views), PimAttribute.code.in_(codes))
        .order_by(PimAttributeValue.id)
    )
    for value, definition in session.execute(statement).all():
        views[value.product_id].attributes.append(attribute_of(value, definition))
    return Page(query.page, query.per_page, total, list(views.values()))
