"""Reference data a product points at: classes, currencies, suppliers, and the rest."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xmlapi.db import Base
from xmlapi.models.types import Name, Rate


class ReferenceGeneration(Base):
    """One row counting writes to reference data: renders that embed reference data
    (a product shows its tax exemption's name) are as fresh as this number and the
    product's own version."""

    __tablename__ = "reference_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class NamedMixin:
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[Name]


class CodedMixin(NamedMixin):
    code: Mapped[Name | None]


class ProductClass(NamedMixin, Base):
    __tablename__ = "classes"


class Currency(Base):
    __tablename__ = "currencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[Name]
    exchange_rate: Mapped[Rate] = mapped_column(default=Decimal(1))


class Supplier(CodedMixin, Base):
    __tablename__ = "suppliers"

    currency_id: Mapped[int | None] = mapped_column(ForeignKey("currencies.id"))

    currency: Mapped[Currency | None] = relationship(lazy="raise")


class TaxExemption(CodedMixin, Base):
    __tablename__ = "tax_exemptions"


class PosCategory(NamedMixin, Base):
    __tablename__ = "pos_categories"


class WebCategory(NamedMixin, Base):
    __tablename__ = "web_categories"


class Warehouse(CodedMixin, Base):
    __tablename__ = "warehouses"


class ProductColor(CodedMixin, Base):
    __tablename__ = "product_colors"


class ProductSize(CodedMixin, Base):
    __tablename__ = "product_sizes"
