"""Edits that change a product and its stock levels together, in one transaction
(the back office saves both from one form: either all of it lands or none)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from xmlapi.catalog import inventory, products
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.writes import commit
from xmlapi.models import Product


def update_with_stock(
    session: Session,
    product_id: int,
    changes: Mapping[str, Any],
    stock: Mapping[str, Decimal | None],
    pricing: Pricing,
) -> Product:
    """``products.update`` and ``inventory.update`` in one commit; raises what either
    raises, and then nothing is stored."""
    product = products.get_plain(session, product_id)
    try:
        products.change(session, product, changes, pricing)
        inventory.apply(product, stock)
    except BaseException:
        session.rollback()
        raise
    commit(session, products.conflict_of)
    return product
