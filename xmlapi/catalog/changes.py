"""Which products a write changes, and the version bump that follows from it.

A product's version (its ETag, the key of every cached render) must move whenever
anything under it changes: its own row, its costs, serial numbers, photos, related
products. Rather than each write remembering to say so, every flush marks the product
of each changed row under it as changed too (``modified`` moves, and with it the row
version). Writes made with Core statements bypass this and stamp by hand.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from xmlapi.models import Product, ProductLock
from xmlapi.models.products import stamp


def changed_products(session: Session) -> set[int]:
    """Ids of the stored products the session's pending changes change (rows under a
    product count for it; new products and lock rows do not)."""
    ids = set()
    for row in (*session.dirty, *session.deleted, *session.new):
        if isinstance(row, Product):
            if row not in session.new and (row in session.deleted or session.is_modified(row)):
                ids.add(row.id)
        elif not isinstance(row, ProductLock) and getattr(row, "product_id", None) is not None:
            ids.add(row.product_id)
    return ids


def _products_of_changed_rows(session: Session) -> set[int]:
    return {
        row.product_id
        for row in (*session.dirty, *session.deleted, *session.new)
        if not isinstance(row, Product | ProductLock)
        and getattr(row, "product_id", None) is not None
        and (row not in session.dirty or session.is_modified(row))
    }


def _products_whose_collections_changed(session: Session) -> list[Product]:
    # A row appended to ``product.supplier_costs`` has no product_id before the flush;
    # its product counts as modified, though no column of its own changed.
    return [row for row in session.dirty if isinstance(row, Product) and session.is_modified(row)]


@event.listens_for(Session, "before_flush")
def _stamp_changed_products(session: Session, _context, _instances) -> None:
    products = _products_whose_collections_changed(session)
    for product_id in _products_of_changed_rows(session):
        product = session.get(Product, product_id)
        if product is not None:
            products.append(product)
    for product in products:
        if product not in session.deleted:
            stamp(product)
