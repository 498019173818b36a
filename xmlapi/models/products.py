"""The product and the products related to it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xmlapi.db import Base
from xmlapi.models.organizations import DEFAULT_ORGANIZATION
from xmlapi.models.reference import Currency, PosCategory, TaxExemption, WebCategory
from xmlapi.models.types import (
    LongText,
    Measure,
    Money,
    Name,
    Percent,
    Quantity,
    Timestamp,
    utcnow,
)

if TYPE_CHECKING:
    from xmlapi.models.costs import SupplierCost
    from xmlapi.models.photos import ProductPhoto
    from xmlapi.models.serials import SerialNumber

ZERO = Decimal(0)
_CHILDREN = {"cascade": "all, delete-orphan", "passive_deletes": True, "lazy": "raise"}


# Ids are never reused (AUTOINCREMENT on SQLite; PostgreSQL identities never go back):
# a render's tag and cache key start with the id, and must not repeat for a new row.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class Product(Base):
    __tablename__ = "products"
    # Codes are unique within an organization (NULLs never clash).
    __table_args__ = (
        UniqueConstraint("organization_id", "code"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    # Rows made outside a request (demo, imports, tests) land in organization 1; a
    # request's writes are held to its own organization by its lock claim.
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id"), index=True, default=DEFAULT_ORGANIZATION
    )
    code: Mapped[str | None] = mapped_column(String(1023))
    description: Mapped[LongText | None]
    short_description: Mapped[LongText | None]
    long_web_description: Mapped[str | None] = mapped_column(Text)
    family: Mapped[Name | None]

    current: Mapped[bool] = mapped_column(default=True)
    editable: Mapped[bool] = mapped_column(default=True)
    gift_card: Mapped[bool] = mapped_column(default=False)
    inventoried: Mapped[bool] = mapped_column(default=True)
    new_cost: Mapped[bool] = mapped_column(default=False)
    new_import: Mapped[bool] = mapped_column(default=False)
    new_update: Mapped[bool] = mapped_column(default=False)
    no_live_rules: Mapped[bool] = mapped_column(default=False)
    no_profit: Mapped[bool] = mapped_column(default=False)
    serialized: Mapped[bool] = mapped_column(default=False)
    web: Mapped[bool] = mapped_column(default=False)
    editable_sell: Mapped[bool] = mapped_column(default=False)
    master_model: Mapped[bool] = mapped_column(default=False)

    sell: Mapped[Money | None]
    sell_tax_inclusive: Mapped[Money | None]
    sell_web: Mapped[Money | None]

    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"))
    currency_id: Mapped[int | None] = mapped_column(ForeignKey("currencies.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    # Follow the default supplier cost unless the product names them itself; its costs
    # (raw, cost, average) are not stored: they are derived from the supplier costs.
    supplier_code: Mapped[Name | None]
    supplier_overridden: Mapped[bool] = mapped_column(default=False)
    tax_exemption_id: Mapped[int | None] = mapped_column(ForeignKey("tax_exemptions.id"))
    pos_category_id: Mapped[int | None] = mapped_column(ForeignKey("pos_categories.id"))
    web_category_id: Mapped[int | None] = mapped_column(ForeignKey("web_categories.id"))
    product_color_id: Mapped[int | None] = mapped_column(ForeignKey("product_colors.id"))
    product_size_id: Mapped[int | None] = mapped_column(ForeignKey("product_sizes.id"))
    master_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)

    gl_asset: Mapped[Name | None]
    gl_cogs_expense: Mapped[Name | None]
    gl_income: Mapped[Name | None]
    product_id: Mapped[Name | None]

    available: Mapped[Quantity] = mapped_column(default=ZERO)
    reserved: Mapped[Quantity] = mapped_column(default=ZERO)
    coming_for_stock: Mapped[Quantity] = mapped_column(default=ZERO)
    coming_for_customer: Mapped[Quantity] = mapped_column(default=ZERO)
    warehouses: Mapped[Quantity] = mapped_column(default=ZERO)
    in_transit: Mapped[Quantity] = mapped_column(default=ZERO)

    minimum_margin: Mapped[Percent | None]
    color: Mapped[Name | None]
    height: Mapped[Measure | None]
    length: Mapped[Measure | None]
    size: Mapped[Name | None]
    weight: Mapped[Measure | None]
    width: Mapped[Measure | None]
    reorder_amount: Mapped[Quantity | None]
    reorder_calc: Mapped[Quantity | None]
    reorder_point: Mapped[Quantity | None]
    reorder_type: Mapped[int | None]

    upc: Mapped[Name | None] = mapped_column(index=True)
    web_inventory: Mapped[Name | None]
    keyword1: Mapped[Name | None]
    keyword2: Mapped[Name | None]
    keyword3: Mapped[Name | None]
    multi_store_label: Mapped[Name | None]
    multi_store_master_label: Mapped[Name | None]
    manufacturer_part_number: Mapped[Name | None]
    manufacturer_pricing_option_code: Mapped[Name | None]

    created: Mapped[Timestamp] = mapped_column(default=utcnow)
    modified: Mapped[Timestamp] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    currency: Mapped[Currency | None] = relationship(lazy="raise")
    tax_exemption: Mapped[TaxExemption | None] = relationship(lazy="raise")
    pos_category: Mapped[PosCategory | None] = relationship(lazy="raise")
    web_category: Mapped[WebCategory | None] = relationship(lazy="raise")
    related: Mapped[list[RelatedProduct]] = relationship(
        foreign_keys="RelatedProduct.product_id",
        order_by="RelatedProduct.position",
        cascade="all, delete-orphan",
        lazy="raise",
    )
    supplier_costs: Mapped[list[SupplierCost]] = relationship(
        order_by="SupplierCost.id", **_CHILDREN
    )
    serial_numbers: Mapped[list[SerialNumber]] = relationship(
        order_by="SerialNumber.id", **_CHILDREN
    )
    photos: Mapped[list[ProductPhoto]] = relationship(
        order_by="(ProductPhoto.sort_order, ProductPhoto.id)", **_CHILDREN
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def keywords(self) -> list[str]:
        return [k for k in (self.keyword1, self.keyword2, self.keyword3) if k is not None]


class RelatedProduct(Base):
    __tablename__ = "related_products"
    __table_args__ = (
        UniqueConstraint("product_id", "related_id"),
        CheckConstraint("product_id <> related_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    related_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    quantity: Mapped[Quantity] = mapped_column(default=Decimal(1))
    auto_add: Mapped[bool] = mapped_column(default=False)
    # What the PIM face says of the relation (the XML face neither shows nor keeps them).
    relationship_id: Mapped[int | None] = mapped_column(
        ForeignKey("pim_relationships.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str | None] = mapped_column(String(10))


def stamp(product: Product) -> None:
    """Mark ``product`` changed, so ``modified`` and ``version`` move even when only
    a row under it (a cost, a photo, a serial number) was written."""
    product.modified = utcnow()
