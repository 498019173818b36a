"""Orders, the boxes packed for them and the items in each box.

An item keeps its own copy of the product fields (it is what was packed: a later change
to the catalog product does not rewrite it). Every row names its organization, so a
lookup scoped to one is a single indexed statement; deleting an order deletes its boxes
and their items (in the database, ``ON DELETE CASCADE``).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xmlapi.db import Base
from xmlapi.models.types import LongText, Measure, Money, Name, Timestamp, utcnow

NEVER_REUSE_IDS = {"sqlite_autoincrement": True}
URL_LENGTH = 2048
CODE_LENGTH = 1023  # as a product's code, so a product's copy always fits


def _organization() -> Mapped[int]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


class Order(Base):
    """An order of an organization; its ``number`` is unique within the organization."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("organization_id", "number"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization()
    number: Mapped[Name]
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    updated_at: Mapped[Timestamp] = mapped_column(default=utcnow)


class Box(Base):
    """A box packed for an order."""

    __tablename__ = "boxes"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization()
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    updated_at: Mapped[Timestamp] = mapped_column(default=utcnow)


class BoxItem(Base):
    """``quantity`` of one kind of item in a box, with its own copy of the product
    fields (``unit_price`` in ``currency``, ``unit_weight`` in ``weight_unit``)."""

    __tablename__ = "box_items"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization()
    box_id: Mapped[int] = mapped_column(ForeignKey("boxes.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    description: Mapped[LongText | None]
    part_number: Mapped[Name | None]
    kind: Mapped[str | None] = mapped_column(String(16))
    unit_price: Mapped[Money | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    unit_weight: Mapped[Measure | None]
    weight_unit: Mapped[str | None] = mapped_column(String(3))
    image_link: Mapped[str | None] = mapped_column(String(URL_LENGTH))
    link: Mapped[str | None] = mapped_column(String(URL_LENGTH))
    pick_location: Mapped[Name | None]

    origin_country_code: Mapped[Name | None]
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

    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    updated_at: Mapped[Timestamp] = mapped_column(default=utcnow)

    custom_fields: Mapped[list[BoxItemCustomField]] = relationship(
        order_by="BoxItemCustomField.name",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )


class BoxItemCustomField(Base):
    """A custom field of an item: a named ``value`` with its media ``type`` and
    ``encoding`` (both optional)."""

    __tablename__ = "box_item_custom_fields"
    __table_args__ = (UniqueConstraint("item_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("box_items.id", ondelete="CASCADE"))
    name: Mapped[Name]
    value: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(255))
    encoding: Mapped[str | None] = mapped_column(String(64))
