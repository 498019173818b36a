"""A master product's variants: its children, each in one colour and one size."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from xmlapi.models import Product, ProductColor, ProductSize


def children(session: Session, product_id: int) -> list[Row]:
    """(id, code, description, color, size) of the product's children, by id; colour
    and size are their names (None when unset). One statement."""
    statement = (
        select(
            Product.id,
            Product.code,
            Product.description,
            ProductColor.name.label("color"),
            ProductSize.name.label("size"),
        )
        .outerjoin(ProductColor, ProductColor.id == Product.product_color_id)
        .outerjoin(ProductSize, ProductSize.id == Product.product_size_id)
        .where(Product.master_id == product_id)
        .order_by(Product.id)
    )
    return list(session.execute(statement))
