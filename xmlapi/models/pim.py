"""What the PIM face adds to a catalog product: its place in a variant tree, attribute
values, price items, stock per source, media items, identifiers, categories, kits and
groups. The product itself (code, name, status, times, dimension) is the ``products``
row the other faces serve."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from xmlapi.db import Base
from xmlapi.models.types import Measure, Money, Name, Quantity, Timestamp, utcnow

_PRODUCT = {"ondelete": "CASCADE"}


def _product_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("products.id", **_PRODUCT), index=True)


def _organization_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


class PimProduct(Base):
    """A product's PIM facts the products table has no column for."""

    __tablename__ = "pim_products"

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", **_PRODUCT), primary_key=True)
    # The variant tree: the level above (None: a root, or the XML master when there is one).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True
    )
    product_type: Mapped[str | None] = mapped_column(String(50))
    attribute_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("pim_attribute_sets.id", ondelete="SET NULL")
    )
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("pim_brands.id", ondelete="SET NULL"))
    discontinued: Mapped[bool] = mapped_column(default=False)
    # A kit (made with a kit_create_mode, or given members) even while it has no member.
    is_kit: Mapped[bool] = mapped_column(default=False, server_default=false())
    locale: Mapped[str | None] = mapped_column(String(35))  # the language of its texts
    packed_length: Mapped[Measure | None]
    packed_width: Mapped[Measure | None]
    packed_height: Mapped[Measure | None]
    packed_weight: Mapped[Measure | None]
    shipping_zones: Mapped[str] = mapped_column(Text, default="[]")  # names, as JSON


class PimAttributeSet(Base):
    __tablename__ = "pim_attribute_sets"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    name: Mapped[Name]


class PimAttribute(Base):
    """A typed attribute definition of an organization, made on first use."""

    __tablename__ = "pim_attributes"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    code: Mapped[Name]
    base_type: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(default=False)


class PimAttributeOption(Base):
    __tablename__ = "pim_attribute_options"
    __table_args__ = (UniqueConstraint("attribute_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attribute_id: Mapped[int] = mapped_column(
        ForeignKey("pim_attributes.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[Name]
    name: Mapped[Name]


class PimAttributeValue(Base):
    """One attribute's value on one product, as JSON text."""

    __tablename__ = "pim_attribute_values"
    __table_args__ = (UniqueConstraint("product_id", "attribute_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = _product_fk()
    attribute_id: Mapped[int] = mapped_column(
        ForeignKey("pim_attributes.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[str] = mapped_column(Text)
    created: Mapped[Timestamp] = mapped_column(default=utcnow)
    modified: Mapped[Timestamp] = mapped_column(default=utcnow, onupdate=utcnow)


class PimBrand(Base):
    __tablename__ = "pim_brands"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    name: Mapped[Name]
    description: Mapped[str | None] = mapped_column(Text)
    logo_link: Mapped[str] = mapped_column(String(2048), default="")


class PimPriceBook(Base):
    __tablename__ = "pim_price_books"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    name: Mapped[Name]


class PimPriceItem(Base):
    __tablename__ = "pim_price_items"
    __table_args__ = (UniqueConstraint("product_id", "price_book_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = _product_fk()
    price_book_id: Mapped[int] = mapped_column(
        ForeignKey("pim_price_books.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Money]
    valid_from: Mapped[Timestamp | None]
    valid_to: Mapped[Timestamp | None]


class PimInventory(Base):
    """A product's stock in one source (a warehouse)."""

    __tablename__ = "pim_inventories"
    __table_args__ = (UniqueConstraint("product_id", "warehouse_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = _product_fk()
    warehouse_id: Mapped[int] = mapped_column(
        ForeignKey("warehouses.id", ondelete="CASCADE"), index=True
    )
    qty: Mapped[Quantity] = mapped_column(default=Decimal(0))
    available_qty: Mapped[Quantity | None]
    stock_availability: Mapped[str | None] = mapped_column(String(20))
    out_of_stock_threshold: Mapped[Quantity | None]
    dispatch_time: Mapped[int | None]
    dispatch_time_unit: Mapped[str | None] = mapped_column(String(10))
    unit_cost: Mapped[Money | None]
    style: Mapped[str | None] = mapped_column(String(10))
    sku: Mapped[Name | None]


class PimMediaItem(Base):
    """A link to an image kept elsewhere (never fetched)."""

    __tablename__ = "pim_media_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = _product_fk()
    media_item_type: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    is_primary: Mapped[bool] = mapped_column(default=False)
    tag_list: Mapped[str] = mapped_column(Text, default="[]")


class PimEntityIdentifier(Base):
    """An extra key a channel knows the product by; unique per name in an organization."""

    __tablename__ = "pim_entity_identifiers"
    __table_args__ = (UniqueConstraint("organization_id", "name", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    product_id: Mapped[int] = _product_fk()
    name: Mapped[Name]
    key: Mapped[Name]


class PimCategorySet(Base):
    __tablename__ = "pim_category_sets"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    name: Mapped[Name]


class PimCategory(Base):
    __tablename__ = "pim_categories"
    __table_args__ = (UniqueConstraint("category_set_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    category_set_id: Mapped[int] = mapped_column(
        ForeignKey("pim_category_sets.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[Name]
    path: Mapped[str] = mapped_column(String(1023))


class PimProductCategory(Base):
    __tablename__ = "pim_product_categories"
    __table_args__ = (UniqueConstraint("product_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = _product_fk()
    category_id: Mapped[int] = mapped_column(
        ForeignKey("pim_categories.id", ondelete="CASCADE"), index=True
    )
    is_primary: Mapped[bool] = mapped_column(default=False)


class PimKitMember(Base):
    """A product bundled in a kit, ``qty`` times."""

    __tablename__ = "pim_kit_members"
    __table_args__ = (
        UniqueConstraint("kit_id", "member_id"),
        CheckConstraint("kit_id <> member_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_id: Mapped[int] = _product_fk()
    member_id: Mapped[int] = mapped_column(ForeignKey("products.id", **_PRODUCT), index=True)
    qty: Mapped[Quantity] = mapped_column(default=Decimal(1))


class PimGroupMember(Base):
    """A product in a grouped product."""

    __tablename__ = "pim_group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "member_id"),
        CheckConstraint("group_id <> member_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = _product_fk()
    member_id: Mapped[int] = mapped_column(ForeignKey("products.id", **_PRODUCT), index=True)
    sort_order: Mapped[int | None]


class PimCatalog(Base):
    """A named selection of an organization's products (a channel's catalog)."""

    __tablename__ = "pim_catalogs"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    name: Mapped[Name]


class PimProductCatalog(Base):
    __tablename__ = "pim_product_catalogs"
    __table_args__ = (UniqueConstraint("product_id", "catalog_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = _product_fk()
    catalog_id: Mapped[int] = mapped_column(
        ForeignKey("pim_catalogs.id", ondelete="CASCADE"), index=True
    )


class PimVirtualProduct(Base):
    """Another face of a product (its own code, name, status and attribute values),
    sold as the product itself: no stock, price or variants of its own."""

    __tablename__ = "pim_virtual_products"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    product_id: Mapped[int] = _product_fk()
    code: Mapped[str] = mapped_column(String(1023))
    name: Mapped[str] = mapped_column(String(4096))
    status: Mapped[str] = mapped_column(String(10))
    attributes: Mapped[str] = mapped_column(Text, default="{}")  # code -> data, as JSON


class PimRelationship(Base):
    """A kind of relation between products (``relationship_1``), made on first use."""

    __tablename__ = "pim_relationships"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization_fk()
    code: Mapped[Name]


class PimSettings(Base):
    """An organization's PIM answers: ``response_version`` 1 puts each product under its
    language key ("en"); 2 (the default) does not."""

    __tablename__ = "pim_settings"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    response_version: Mapped[int] = mapped_column(default=2)
