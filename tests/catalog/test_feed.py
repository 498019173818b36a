"""The change feed without HTTP (catalog/feed.py): entries written with every change,
folded per product, numbered and stamped in commit order, pruned after the window."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.catalog.conftest import add_product
from xmlapi.catalog import feed, writes
from xmlapi.catalog.filters import InvalidQuery
from xmlapi.catalog.readmodel import FeedPage
from xmlapi.models import FeedEntry, Organization, Product, SerialNumber, SupplierCost
from xmlapi.models.types import utcnow


def read(engine, after: int = 0, limit: int = 100, organization_id: int = 1) -> FeedPage:
    with engine.connect() as connection:
        return feed.read(connection, organization_id, after, limit)


def kinds(page: FeedPage) -> list[tuple[int, str, str | None]]:
    return [(entry.product_id, entry.kind, entry.code) for entry in page.entries]


def test_a_created_product_gets_an_upsert_entry(session, catalog_engine):
    product = add_product(session, code="F-1")
    page = read(catalog_engine)
    assert kinds(page) == [(product.id, "upsert", "F-1")]
    assert page.next_after == page.entries[0].seq
    assert page.entries[0].version == 1
    assert not page.more


def test_changes_fold_into_the_latest_entry_with_a_higher_number(session, catalog_engine):
    first = add_product(session, code="F-1")
    second = add_product(session, code="F-2")
    before = read(catalog_engine)
    first.family = "Changed"
    session.commit()
    page = read(catalog_engine)
    assert kinds(page) == [(second.id, "upsert", "F-2"), (first.id, "upsert", "F-1")]
    assert page.entries[-1].seq > before.next_after
    assert page.entries[-1].version == 2


def test_a_row_under_a_product_moves_its_entry(session, catalog_engine):
    product = add_product(session, code="F-1", serialized=True)
    cursor = read(catalog_engine).next_after
    session.add(SerialNumber(product_id=product.id, serial="SN-1"))
    session.commit()
    assert kinds(read(catalog_engine, cursor)) == [(product.id, "upsert", "F-1")]


def test_a_delete_leaves_a_tombstone_with_id_and_code(session, catalog_engine):
    product = add_product(session, code="GONE")
    cursor = read(catalog_engine).next_after
    session.delete(product)
    session.commit()
    page = read(catalog_engine, cursor)
    assert kinds(page) == [(product.id, "delete", "GONE")]
    assert kinds(read(catalog_engine)) == [(product.id, "delete", "GONE")]


def test_the_stamp_is_the_products_modified_and_never_goes_back(session, catalog_engine):
    products = [add_product(session, code=f"S-{n}") for n in range(3)]
    entries = read(catalog_engine).entries
    stamps = [entry.changed for entry in entries]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    with Session(catalog_engine) as other:
        stored = dict(other.execute(select(Product.id, Product.modified)).all())
    assert [stored[p.id] for p in products] == stamps
    assert [p.modified for p in products] == stamps  # the session's objects agree


def test_one_transaction_of_many_products_shares_one_stamp(session, catalog_engine):
    session.add_all([Product(code="A"), Product(code="B")])
    session.commit()
    entries = read(catalog_engine).entries
    assert [e.seq for e in entries] == [entries[0].seq, entries[0].seq + 1]
    assert entries[0].changed == entries[1].changed


def test_a_rolled_back_write_leaves_no_entry(session, catalog_engine):
    add_product(session, code="A")
    session.add_all([Product(code="B"), Product(code="A")])  # a duplicate code
    with pytest.raises(Exception, match="clashes"):
        writes.commit(session)
    assert kinds(read(catalog_engine))[0][2] == "A"
    assert len(read(catalog_engine).entries) == 1
    session.add(Product(code="C"))
    session.commit()  # nothing of the refused write is noted any more
    assert [code for _, _, code in kinds(read(catalog_engine))] == ["A", "C"]


def test_a_write_that_changes_nothing_adds_nothing(session, catalog_engine):
    product = add_product(session, code="A")
    cursor = read(catalog_engine).next_after
    product.code = "A"
    session.commit()
    assert read(catalog_engine, cursor).entries == []


def test_pages_follow_the_cursor(session, catalog_engine):
    session.add_all([Product(code=f"P-{n}") for n in range(5)])
    session.commit()
    first = read(catalog_engine, 0, 2)
    assert first.more and len(first.entries) == 2
    second = read(catalog_engine, first.next_after, 2)
    third = read(catalog_engine, second.next_after, 2)
    assert not third.more and len(third.entries) == 1
    codes = [e.code for page in (first, second, third) for e in page.entries]
    assert codes == [f"P-{n}" for n in range(5)]
    empty = read(catalog_engine, third.next_after, 2)
    assert empty.entries == [] and empty.next_after == third.next_after


def test_an_organization_reads_only_its_own_entries(session, catalog_engine):
    other = Organization(name="Other")
    session.add(other)
    session.commit()
    mine = add_product(session, code="MINE")
    add_product(session, code="THEIRS", organization_id=other.id)
    assert kinds(read(catalog_engine)) == [(mine.id, "upsert", "MINE")]
    assert [e.code for e in read(catalog_engine, organization_id=other.id).entries] == ["THEIRS"]


@pytest.mark.parametrize(
    ("after", "limit", "parameter"),
    [(-1, 10, "after"), (2**63, 10, "after"), (0, 0, "limit"), (0, feed.MAX_LIMIT + 1, "limit")],
)
def test_a_cursor_or_limit_out_of_range_is_refused(catalog_engine, after, limit, parameter):
    with pytest.raises(InvalidQuery) as refused:
        read(catalog_engine, after, limit)
    assert parameter in refused.value.fields


def test_old_tombstones_are_pruned_and_an_older_cursor_expires(session, catalog_engine):
    kept = add_product(session, code="KEPT")
    gone = add_product(session, code="GONE")
    before_delete = read(catalog_engine).next_after
    session.delete(gone)
    session.commit()
    tombstone = read(catalog_engine, before_delete).entries[0].seq
    window = dt.timedelta(days=1)
    assert feed.prune(session, window) == 0  # not old yet
    assert feed.prune(session, window, now=utcnow() + dt.timedelta(days=2)) == 1
    for cursor in (before_delete, 0):
        with pytest.raises(feed.CursorExpired) as expired:
            read(catalog_engine, cursor)
        assert expired.value.pruned == tombstone
        assert expired.value.head == tombstone
        assert f"after={tombstone}" in expired.value.message
    # From the watermark on the feed is whole; a resync from 0 gets every product.
    assert read(catalog_engine, tombstone).entries == []
    with catalog_engine.connect() as connection:
        page = feed.read(connection, 1, 0, 10, resync=True)
    assert kinds(page) == [(kept.id, "upsert", "KEPT")]


def test_upserts_are_never_pruned(session, catalog_engine):
    add_product(session, code="OLD")
    assert feed.prune(session, dt.timedelta(seconds=1), now=utcnow() + dt.timedelta(days=9)) == 0
    assert len(read(catalog_engine).entries) == 1


def test_the_clock_row_comes_back_when_the_tables_were_emptied(session, catalog_engine):
    from xmlapi.models import FeedClock

    session.query(FeedClock).delete()
    session.commit()
    add_product(session, code="A")
    assert [e.seq for e in read(catalog_engine).entries] == [1]


def test_a_session_with_the_feed_off_writes_no_entries(catalog_engine):
    with Session(catalog_engine, info={feed.OFF: True}) as session:
        session.add(Product(code="QUIET"))
        session.commit()
    assert read(catalog_engine).entries == []


def test_a_cost_appended_to_a_product_moves_its_entry(session, catalog_engine):
    from tests.catalog.conftest import add_supplier

    supplier = add_supplier(session, "S")
    product = add_product(session, code="C")
    cursor = read(catalog_engine).next_after
    session.refresh(product, ["supplier_costs"])
    product.supplier_costs.append(SupplierCost(supplier_id=supplier.id, supplier_product_code="X"))
    session.commit()
    assert [e.product_id for e in read(catalog_engine, cursor).entries] == [product.id]
    assert session.scalar(select(FeedEntry.version).where(FeedEntry.product_id == product.id)) == 2


def test_a_savepoint_commits_nothing_to_the_feed_before_the_transaction(session, catalog_engine):
    session.begin()
    with session.begin_nested():
        session.add(Product(code="INNER"))
    assert read(catalog_engine).entries == []  # numbered by the outer commit only
    session.commit()
    assert [e.code for e in read(catalog_engine).entries] == ["INNER"]


def test_a_savepoint_rolled_back_leaves_the_transactions_notes(session, catalog_engine):
    session.begin()
    session.add(Product(code="OUTER"))
    session.flush()
    savepoint = session.begin_nested()
    session.add(Product(code="INNER"))
    session.flush()
    savepoint.rollback()
    session.commit()
    assert [e.code for e in read(catalog_engine).entries] == ["OUTER"]
