"""Orders, the boxes packed for them and the items in each box.

An item keeps its own copy of the product fields (it is what was packed: a later change
to the catalog product does not rewrite it), in the columns a product's are kept in.
Every row names its organization, so a lookup scoped to one is a single indexed
statement; deleting an order deletes its boxes and their items (ON DELETE CASCADE).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xmlapi.db import Base
from xmlapi.models.product_fields import ProductFieldColumns
from xmlapi.models.types import LongText, Money, Name, Timestamp, utcnow

NEVER_REUSE_IDS = {"sqlite_autoincrement": True}
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


class BoxItem(ProductFieldColumns, Base):
    """``quantity`` of one kind of item in a box, with its own copy of the product
    fields: a product's stored ones (the same columns), and ``code``, ``description``,
    ``unit_price`` in ``currency`` which a product keeps in its legacy columns.
    ``custom_fields`` are name -> {"value", "type"?, "encoding"?}, in the order given."""

    __tablename__ = "box_items"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = _organization()
    box_id: Mapped[int] = mapped_column(ForeignKey("boxes.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    description: Mapped[LongText | None]
    unit_price: Mapped[Money | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    updated_at: Mapped[Timestamp] = mapped_column(default=utcnow)
