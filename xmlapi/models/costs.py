"""Supplier costs of a product."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xmlapi.db import Base
from xmlapi.models.reference import Supplier
from xmlapi.models.types import Cost, Name


class SupplierCost(Base):
    __tablename__ = "supplier_costs"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused, see Product

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    supplier_product_code: Mapped[Name]
    raw: Mapped[Cost] = mapped_column(default=Decimal(0))
    is_default: Mapped[bool] = mapped_column(default=False)

    supplier: Mapped[Supplier] = relationship(lazy="raise")


# At most one default cost per product, whatever races between writers.
Index(
    "uq_supplier_costs_default",
    SupplierCost.product_id,
    unique=True,
    postgresql_where=text("is_default"),
    sqlite_where=text("is_default"),
)
