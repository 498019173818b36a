"""Which products a flush changes: only attributes set to another value count, and a
row appended to a product's collection counts for the product."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tests.catalog.conftest import add_product, add_supplier
from xmlapi.catalog.changes import changed_products, really_modified
from xmlapi.models import Product, SupplierCost


def test_a_value_set_again_is_no_change(session):
    product = add_product(session, code="A", description="same")
    product.description = "same"
    assert product in session.dirty
    assert not really_modified(product)
    assert changed_products(session) == set()
    product.description = "other"
    assert really_modified(product)
    assert changed_products(session) == {product.id}


def test_a_value_set_and_set_back_is_no_change(session):
    product = add_product(session, code="A", description="one")
    product.description = "two"
    product.description = "one"
    assert not really_modified(product)


def test_a_row_appended_to_a_collection_changes_its_product(session):
    supplier = add_supplier(session, "Acme")
    product = add_product(session, code="A")
    product = session.scalar(
        select(Product)
        .where(Product.id == product.id)
        .options(selectinload(Product.supplier_costs))
    )
    product.supplier_costs.append(SupplierCost(supplier_id=supplier.id, supplier_product_code="X"))
    assert really_modified(product)
    assert changed_products(session) == {product.id}
