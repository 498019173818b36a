"""What the JSON faces say of a product beyond the legacy columns: its kind, links,
weight with its unit, customs facts, barcodes and custom fields. One row per product
at most (none for a product nobody described this way).

``ProductFieldColumns`` is the set of columns, so that a row elsewhere that copies a
product's fields (a packed box item) can carry the same ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xmlapi.db import Base
from xmlapi.models.products import Product
from xmlapi.models.types import LongText, Measure, Name, Timestamp

Code = String(64)


class ProductFieldColumns:
    """The stored fields (names as the JSON spec spells them)."""

    part_number: Mapped[Name | None]
    kind: Mapped[str | None] = mapped_column(String(16))
    link: Mapped[LongText | None]
    image_link: Mapped[LongText | None]
    pick_location: Mapped[Name | None]
    weight_amount: Mapped[Measure | None]
    weight_unit: Mapped[str | None] = mapped_column(String(3))
    origin_country_code: Mapped[str | None] = mapped_column(Code)
    joint_production: Mapped[bool | None]
    commodity_code: Mapped[Name | None]
    net_cost_code: Mapped[Name | None]
    net_cost_begin_date: Mapped[Timestamp | None]
    net_cost_end_date: Mapped[Timestamp | None]
    producer_info_code: Mapped[Name | None]
    preference_criteria_code: Mapped[Name | None]
    scheduleb_commodity_code: Mapped[Name | None]
    export_type_code: Mapped[Name | None]
    ups: Mapped[Name | None]
    ean: Mapped[Name | None]
    isbn: Mapped[Name | None]
    # name -> {"value": str, "type": str (optional)}, in the order they were given
    custom_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ProductFieldRow(ProductFieldColumns, Base):
    __tablename__ = "product_fields"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )

    product: Mapped[Product] = relationship(lazy="raise")
