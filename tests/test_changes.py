"""The version of a product moves with every change under it, without HTTP and without
any write having to say so."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from tests.conftest import empty_tables
from xmlapi.db import session_scope
from xmlapi.models import Product, SerialNumber, Supplier, SupplierCost


@pytest.fixture
def product_id(engine):
    with session_scope(engine) as session:
        product = Product(code="V", serialized=True)
        session.add_all([product, Supplier(id=1, name="S")])
        session.flush()
        yield_id = product.id
    yield yield_id
    empty_tables(engine)


def version(engine, product_id) -> tuple[int, object]:
    with session_scope(engine) as session:
        product = session.get(Product, product_id)
        return product.version, product.modified


def test_a_row_added_under_a_product_moves_its_version(engine, product_id):
    before = version(engine, product_id)
    with session_scope(engine) as session:
        session.add(SerialNumber(product_id=product_id, serial="SN-1"))
    after = version(engine, product_id)
    assert after[0] == before[0] + 1
    assert after[1] > before[1]


def test_a_row_appended_to_a_collection_moves_its_version(engine, product_id):
    before = version(engine, product_id)
    with session_scope(engine) as session:
        product = session.get(Product, product_id)
        session.refresh(product, ["supplier_costs"])
        product.supplier_costs.append(SupplierCost(supplier_id=1, supplier_product_code="C"))
    assert version(engine, product_id)[0] == before[0] + 1


def test_a_row_changed_or_deleted_under_a_product_moves_its_version(engine, product_id):
    with session_scope(engine) as session:
        session.add(SerialNumber(product_id=product_id, serial="SN-2"))
    before = version(engine, product_id)
    with session_scope(engine) as session:
        serial = session.query(SerialNumber).one()
        serial.note = "scratched"
    changed = version(engine, product_id)
    assert changed[0] == before[0] + 1
    with session_scope(engine) as session:
        session.delete(session.query(SerialNumber).one())
    assert version(engine, product_id)[0] == changed[0] + 1


def test_an_unchanged_row_leaves_the_version(engine, product_id):
    with session_scope(engine) as session:
        session.add(SerialNumber(product_id=product_id, serial="SN-3", note="n"))
    before = version(engine, product_id)
    with session_scope(engine) as session:
        session.query(SerialNumber).one().note = "n"
    assert version(engine, product_id) == before


def test_core_deletes_bypass_the_hook(engine, product_id):
    """Documented limit: Core statements stamp by hand (see catalog.changes)."""
    with session_scope(engine) as session:
        session.add(SerialNumber(product_id=product_id, serial="SN-4"))
    before = version(engine, product_id)
    with session_scope(engine) as session:
        session.execute(delete(SerialNumber))
    assert version(engine, product_id) == before


def test_a_commit_is_recognised_by_what_it_wrote(engine, product_id):
    from xmlapi.catalog import changes

    with session_scope(engine) as session:
        product = session.get(Product, product_id)
        product.family = "Landed"
        changes.seal(session)  # as writes.commit does: the feed's stamp is the last word
        written = changes.written_products(session)
        assert set(written) == {product_id}
    with session_scope(engine) as session:
        assert changes.landed(session, written)
        session.get(Product, product_id).family = "Later"
    with session_scope(engine) as session:
        assert not changes.landed(session, written)  # another write moved it on


def test_a_commit_that_never_happened_is_not_taken_for_one(engine, product_id):
    from xmlapi.catalog import changes

    with session_scope(engine) as session:
        session.get(Product, product_id).family = "Lost"
        session.flush()
        written = changes.written_products(session)
        session.rollback()
        assert not changes.landed(session, written)
