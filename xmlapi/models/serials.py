"""Serial numbers of serialized products."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xmlapi.db import Base
from xmlapi.models.types import Cost, Name


class SerialNumber(Base):
    __tablename__ = "serial_numbers"
    __table_args__ = (
        UniqueConstraint("product_id", "serial"),
        {"sqlite_autoincrement": True},  # ids never reused, see Product
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    serial: Mapped[Name]
    status: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[Cost | None]
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
