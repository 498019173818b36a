"""The one way writes end: committed whole, or rolled back and explained
(catalog/writes.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.catalog.conftest import add_product
from xmlapi.catalog import writes
from xmlapi.catalog.errors import Conflict
from xmlapi.models import Product


def codes(engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(Product.code).order_by(Product.id)))


def test_a_write_commits_whole(session, catalog_engine):
    with writes.committing(session):
        session.add_all([Product(code="A"), Product(code="B")])
    assert codes(catalog_engine) == ["A", "B"]


def test_a_duplicate_becomes_a_conflict_and_nothing_is_stored(session, catalog_engine):
    add_product(session, code="A")
    session.add_all([Product(code="B"), Product(code="A")])
    with pytest.raises(Conflict, match="clashes with stored data"):
        writes.commit(session)
    assert codes(catalog_engine) == ["A"]


def test_a_duplicate_is_explained_by_the_callers_conflict(session):
    add_product(session, code="A")
    session.add(Product(code="A"))
    with pytest.raises(Conflict, match="taken"):
        writes.commit(session, lambda _exc: Conflict("taken", {"code": "Already in use."}))


def test_a_product_changed_meanwhile_is_a_conflict_and_the_write_is_undone(session, catalog_engine):
    product = add_product(session, code="A", description="mine")
    with Session(catalog_engine) as other:  # another writer gets there first
        other.get(Product, product.id).description = "theirs"
        other.commit()
    product.description = "late"
    with pytest.raises(Conflict, match="changed by someone else"):
        writes.commit(session)
    with Session(catalog_engine) as check:
        stored = check.get(Product, product.id)
        assert (stored.description, stored.version) == ("theirs", 2)


def test_any_other_failure_rolls_back_and_passes_through(session, catalog_engine):
    with pytest.raises(ZeroDivisionError), writes.committing(session):
        session.add(Product(code="A"))
        session.flush()
        1 / 0  # noqa: B018
    assert codes(catalog_engine) == []
