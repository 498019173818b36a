"""Which products a write changes, and the version bump that follows from it.

A product's version (its ETag, the key of every cached render) must move whenever
anything under it changes: its own row, its costs, serial numbers, photos, related
products. Rather than each write remembering to say so, every flush marks the product
of each changed row under it as changed too (``modified`` moves, and with it the row
version). Writes made with Core statements bypass this and stamp by hand.

The same hooks feed the change feed (``catalog.feed``): every flush notes the products it
wrote, and ``seal`` (called by ``writes.commit`` just before its commit, and by a hook
before any other commit) numbers them, stamps them in commit order and writes their
entries, in the write's own transaction.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import Connection, event, inspect, select, text
from sqlalchemy.orm import PassiveFlag, Session

from xmlapi.catalog import feed
from xmlapi.models import Product, ProductLock
from xmlapi.models.products import stamp


def changed_products(session: Session) -> set[int]:
    """Ids of the stored products the session's pending changes change (rows under a
    product count for it; new products and lock rows do not)."""
    own = {row.id for row in session.deleted if isinstance(row, Product)}
    own.update(row.id for row in _products_whose_collections_changed(session))
    return own | _products_of_changed_rows(session)


def _products_of_changed_rows(session: Session) -> set[int]:
    """Products of the rows under a product that are new, deleted or really changed."""
    under = (
        row
        for row in session.dirty
        if not isinstance(row, Product | ProductLock) and really_modified(row)
    )
    return {
        row.product_id
        for row in (*under, *session.deleted, *session.new)
        if not isinstance(row, Product | ProductLock)
        and getattr(row, "product_id", None) is not None
    }


def _products_whose_collections_changed(session: Session) -> list[Product]:
    # A row appended to ``product.supplier_costs`` has no product_id before the flush;
    # its product counts as modified, though no column of its own changed.
    return [row for row in session.dirty if isinstance(row, Product) and really_modified(row)]


def really_modified(row: object) -> bool:
    """``Session.is_modified(row)``, comparing only the attributes that were set: it
    compares every attribute, which for a write of many products was most of a flush."""
    state = inspect(row)
    return state.modified and any(
        state.manager[key].impl.get_history(state, state.dict, PassiveFlag.NO_CHANGE).has_changes()
        for key in state.committed_state
    )


def flushed_products(session: Session) -> list[tuple[Product, bool]]:
    """The products a flush writes, each with whether it deletes it (after a flush the
    session still lists them as new, dirty or deleted)."""
    return [
        *((row, False) for row in session.new if isinstance(row, Product)),
        *((row, False) for row in _products_whose_collections_changed(session)),
        *((row, True) for row in session.deleted if isinstance(row, Product)),
    ]


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


# What a transaction wrote, so that a commit whose answer was lost can be recognised --------

_WRITTEN = "xmlapi.written_products"


@event.listens_for(Session, "after_flush")
def _remember_written(session: Session, _context) -> None:
    written = session.info.setdefault(_WRITTEN, {})
    flushed = flushed_products(session)
    for row, deleted in flushed:
        written[row.id] = None if deleted else (row.version, row.modified)
    feed.note_flush(session, flushed)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_written(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    # A savepoint's end is not the transaction's: the feed's notes wait for the outer
    # commit (after a savepoint's rollback they may name a product that did not change
    # after all: an entry too many, never one too few).
    if not session.in_nested_transaction():
        feed.forget(session)


def seal(session: Session) -> None:
    """Flush, then number and stamp what the transaction changed (see ``catalog.feed``):
    the last step before the commit, whose clock lock is held until the commit."""
    session.flush()
    stamp = feed.seal(session)
    written = session.info.get(_WRITTEN, {})
    if stamp is not None:
        for product_id, state in written.items():
            if state is not None:
                written[product_id] = (state[0], stamp)


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    # Commits that do not go through writes.commit (imports, commands, tests) too.
    if not session.in_nested_transaction():
        seal(session)


def written_products(session: Session) -> dict[int, tuple[int, dt.datetime] | None]:
    """The products the session's transaction wrote: id -> (version, modified) as the
    write left them, None for a deleted one."""
    return dict(session.info.get(_WRITTEN, {}))


def backend_of(session: Session) -> int | None:
    """The PostgreSQL server process of the session's connection (None on SQLite)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return None
    return connection.connection.dbapi_connection.info.backend_pid


_BACKEND_ALIVE = text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid")


def _wait_for_backend_to_end(connection: Connection, pid: int, seconds: float = 2.0) -> None:
    # A server process cut off during COMMIT may still be finishing it: its outcome is
    # only certain once the process is gone.
    deadline = time.monotonic() + seconds
    while connection.scalar(_BACKEND_ALIVE, {"pid": pid}) and time.monotonic() < deadline:
        connection.rollback()  # a fresh snapshot for the next look
        time.sleep(0.02)
    connection.rollback()


def landed(
    session: Session,
    written: dict[int, tuple[int, dt.datetime] | None],
    backend: int | None = None,
) -> bool:
    """Whether the database holds exactly what ``written`` says, read on a fresh
    connection once the server process of the failed commit (``backend``) is gone: then
    the commit whose answer was lost did happen. Versions only grow and ``modified`` is
    this write's own instant, so another write cannot look the same."""
    if not written:
        return False
    with session.get_bind().connect() as connection:
        if backend is not None:
            _wait_for_backend_to_end(connection, backend)
        rows = connection.execute(
            select(Product.id, Product.version, Product.modified).where(Product.id.in_(written))
        )
        stored = {row.id: (row.version, row.modified) for row in rows}
    return all(stored.get(product_id) == state for product_id, state in written.items())
