"""The change feed: every committed change to a product (or to anything under it) and
every delete, numbered in commit order, written in the same transaction as the change.

How the numbers stay gapless for readers: a PostgreSQL sequence hands out numbers in one
order while transactions commit in another, so a reader could see 7, move on, and later
find 6. Here every write ends by taking the row lock of the one-row ``feed_clock``
(``seal``, the last step before its commit) and gets its numbers and its stamp under
it; the lock is held to the commit, so writes commit in the order they got numbers, and
an entry below one a reader has seen can never appear later. The same lock orders the
stamps the lists' keyset cursors page by (products' ``modified``, and the
``updated_at`` of orders, boxes and box items): stamps never go back.

Entries are folded: one row per product, its latest change (an upsert) or its tombstone
(a delete, keeping id and code). Tombstones older than the retention window are pruned
(upserts never are: reading from 0 on the server's side, as a webhook's resync does,
gives every product's latest state); a cursor below the last pruned tombstone is refused
(``CursorExpired``): the client resyncs from the product list and follows from the head.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    String,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, attributes
from sqlalchemy.orm.util import identity_key

from xmlapi.catalog.errors import CatalogError
from xmlapi.catalog.filters import InvalidQuery
from xmlapi.catalog.readmodel import FeedEntry, FeedPage
from xmlapi.models import Box, BoxItem, FeedClock, Order, Product
from xmlapi.models import FeedEntry as EntryRow
from xmlapi.models.feed import DELETE, UPSERT
from xmlapi.models.types import utcnow

_PENDING = "xmlapi.feed_pending"
_RESTAMP = "xmlapi.feed_restamp"
OFF = "xmlapi.feed_off"  # a session whose info has it writes no entries (benchmarks only)
CLOCK_ID = 1
LARGEST_SEQ = 2**63 - 1
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class CursorExpired(CatalogError):
    """A cursor below the last pruned tombstone: deletes after it may be gone."""

    def __init__(self, after: int, pruned: int, head: int):
        super().__init__(
            f"The feed no longer holds every change after {after}: deletes up to {pruned} "
            "were pruned (older than the retention window). Resync: read every product "
            "(the list with after=0, keyset paging), drop those it does not show, then "
            f"follow the feed from after={head}.",
            {"after": f"older than the retention window; resync, then follow from {head}"},
        )
        self.after = after
        self.pruned = pruned
        self.head = head


@dataclass(frozen=True)
class Change:
    """A product a transaction wrote, as the feed will record it."""

    organization_id: int
    code: str | None
    version: int
    deleted: bool


# Writing --------------------------------------------------------------------------------


# Rows listed in (updated_at, id) order besides products: they have no feed entries,
# but their stamps come from the clock too (a new one's created_at as well).
STAMPED_ROWS = (Order, Box, BoxItem)


def note_flush(session: Session, flushed: Iterable[tuple[Product, bool]]) -> None:
    """Remember the products this flush wrote (called after every flush with each
    product it wrote and whether it deleted it), and the other stamped rows it wrote."""
    pending = session.info.setdefault(_PENDING, {})
    for row, deleted in flushed:
        state = attributes.instance_dict(row)
        pending[row.id] = Change(
            state.get("organization_id"),
            state.get("code"),
            state.get("version") or 1,
            deleted,
        )
    restamp = session.info.setdefault(_RESTAMP, set())
    for row in session.new:
        if type(row) in STAMPED_ROWS:
            restamp.add((type(row), row.id, True))
    for row in session.dirty:
        if type(row) in STAMPED_ROWS and session.is_modified(row):
            restamp.add((type(row), row.id, False))


def forget(session: Session) -> None:
    """Drop what the session's transaction noted (it committed or rolled back)."""
    session.info.pop(_PENDING, None)
    session.info.pop(_RESTAMP, None)


def seal(session: Session) -> dt.datetime | None:
    """Number the changes the session's transaction made, stamp the changed products
    (and other stamped rows) and write their entries; returns the stamp (None when
    nothing changed). Call it as the last step before the commit: the clock's row lock
    it takes is held until then."""
    pending: dict[int, Change] = session.info.pop(_PENDING, None) or {}
    restamp: set[tuple[type, int, bool]] = session.info.pop(_RESTAMP, None) or set()
    if not (pending or restamp) or session.info.get(OFF):
        return None
    connection = session.connection()
    if pending and connection.dialect.name == "postgresql":
        stamp = _seal_in_one_statement(session, pending)
    else:
        stamp = _seal_in_steps(session, pending)
    _stamp_rows(session, restamp, stamp)
    return stamp


def _seal_in_steps(session: Session, pending: dict[int, Change]) -> dt.datetime:
    """The seal in three statements: numbers and stamp, products, entries."""
    connection = session.connection()
    last, stamp = _advance(connection, len(pending))
    live = [product_id for product_id, change in pending.items() if not change.deleted]
    if live:
        stamped = connection.scalars(_STAMP, {"ids": live, "stamp": stamp}).all()
        for product_id in stamped:
            _set_loaded(session, Product, product_id, "modified", stamp)
        # A product made in a savepoint that was rolled back is not there: no entry.
        for product_id in set(live) - set(stamped):
            del pending[product_id]
    first = last - len(pending) + 1
    rows = [
        {
            "product_id": product_id,
            "organization_id": change.organization_id,
            "seq": first + offset,
            "kind": DELETE if change.deleted else UPSERT,
            "code": change.code,
            "version": change.version,
            "changed": stamp,
        }
        for offset, (product_id, change) in enumerate(sorted(pending.items()))
    ]
    if rows:
        connection.execute(_upsert(connection.dialect.name), rows)
    return stamp


def _seal_in_one_statement(session: Session, pending: dict[int, Change]) -> dt.datetime:
    """The seal in one round trip (PostgreSQL): the clock's lock is held to the commit,
    and every round trip under it is one every other writer waits for. A product made
    in a savepoint that was rolled back gets no entry (its number is left unused)."""
    connection = session.connection()
    ordered = sorted(pending.items())
    values = {
        "count": len(ordered),
        "now_us": _now_us(),
        "live": [product_id for product_id, change in ordered if not change.deleted],
        "ids": [product_id for product_id, _ in ordered],
        "organizations": [change.organization_id for _, change in ordered],
        "positions": list(range(1, len(ordered) + 1)),
        "kinds": [DELETE if change.deleted else UPSERT for _, change in ordered],
        "codes": [change.code for _, change in ordered],
        "versions": [change.version for _, change in ordered],
    }
    rows = connection.execute(_ONE_STATEMENT_SEAL, values).all()
    if not rows:  # emptied tables: the migration's row is gone
        _restore_clock(connection)
        rows = connection.execute(_ONE_STATEMENT_SEAL, values).all()
    stamp = _EPOCH + dt.timedelta(microseconds=rows[0].stamp_us)
    for row in rows:
        if row.id is not None:
            _set_loaded(session, Product, row.id, "modified", stamp)
    return stamp


def _stamp_rows(session: Session, rows: set[tuple[type, int, bool]], stamp: dt.datetime) -> None:
    """Give the stamped rows other than products the clock's stamp (a statement for the
    new and one for the changed rows of a table); a row gone meanwhile is left alone."""
    if not rows:
        return  # most writes: products alone
    connection = session.connection()
    for model in STAMPED_ROWS:
        for new in (True, False):
            ids = [row_id for kind, row_id, made in rows if kind is model and made is new]
            if not ids:
                continue
            connection.execute(_restamp_statement(model, new), {"ids": ids, "stamp": stamp})
            for row_id in ids:
                for column in _stamp_columns(new):
                    _set_loaded(session, model, row_id, column, stamp)


def _stamp_columns(new: bool) -> tuple[str, ...]:
    return ("created_at", "updated_at") if new else ("updated_at",)


@functools.cache
def _restamp_statement(model: type, new: bool):
    table = model.__table__
    return (
        update(table)
        .where(table.c.id.in_(bindparam("ids", expanding=True)))
        .values({column: bindparam("stamp") for column in _stamp_columns(new)})
    )


def _set_loaded(session: Session, model: type, row_id: int, column: str, stamp) -> None:
    """Give a row the session holds the stamp the database now has."""
    row = session.identity_map.get(identity_key(model, row_id))
    if row is not None:
        attributes.set_committed_value(row, column, stamp)


# The statements of a seal are built once: building one (and its cache key) per write
# cost more than running it.
_ADVANCE = (
    update(FeedClock)
    .where(FeedClock.id == CLOCK_ID)
    .values(
        seq=FeedClock.seq + bindparam("count"),
        stamp_us=case(
            (FeedClock.stamp_us < bindparam("now_us"), bindparam("now_us")),
            else_=FeedClock.stamp_us + 1,
        ),
    )
    .returning(FeedClock.seq, FeedClock.stamp_us)
)
_STAMP = (
    update(Product.__table__)
    .where(Product.id.in_(bindparam("ids", expanding=True)))
    .values(modified=bindparam("stamp"))
    .returning(Product.id)
)


def _now_us() -> int:
    return (utcnow() - _EPOCH) // dt.timedelta(microseconds=1)


def _advance(connection: Connection, count: int) -> tuple[int, dt.datetime]:
    """Take ``count`` numbers and a stamp from the clock under its row lock; returns the
    last number and the stamp (never before the previous one)."""
    values = {"count": count, "now_us": _now_us()}
    row = connection.execute(_ADVANCE, values).first()
    if row is None:  # emptied tables: the migration's row is gone
        _restore_clock(connection)
        row = connection.execute(_ADVANCE, values).one()
    return row.seq, _EPOCH + dt.timedelta(microseconds=row.stamp_us)


def _restore_clock(connection: Connection) -> None:
    connection.execute(
        _dialect_insert(connection.dialect.name, FeedClock.__table__)
        .values(id=CLOCK_ID, seq=0, stamp_us=0, pruned_seq=0)
        .on_conflict_do_nothing()
    )


def _dialect_insert(dialect: str, table):
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


@functools.cache
def _upsert(dialect: str):
    """Insert entries, a product's new entry replacing its old one (folding)."""
    return _upsert_from(_dialect_insert(dialect, EntryRow.__table__))


def _upsert_from(statement):
    columns = ("organization_id", "seq", "kind", "code", "version", "changed")
    return statement.on_conflict_do_update(
        index_elements=["product_id"],
        set_={name: statement.excluded[name] for name in columns},
    )


def _one_statement_seal():
    """WITH clock (numbers and stamp, under the row lock), stamped (the live products'
    ``modified``), entries (one per product still there or deleted) SELECT the clock's
    numbers and stamp, and each product stamped."""
    clock = _ADVANCE.cte("clock")
    stamp = literal(_EPOCH) + clock.c.stamp_us * literal(dt.timedelta(microseconds=1))
    products = Product.__table__
    stamped = (
        update(products)
        .where(products.c.id.in_(bindparam("live", expanding=True)), exists(select(clock.c.seq)))
        .values(modified=select(stamp).scalar_subquery())
        .returning(products.c.id)
        .cte("stamped")
    )
    arrays = {
        "ids": Integer,
        "organizations": Integer,
        "positions": BigInteger,
        "kinds": String,
        "codes": String,
        "versions": Integer,
    }
    pending = (
        func.unnest(*(bindparam(name, type_=ARRAY(kind)) for name, kind in arrays.items()))
        .table_valued("product_id", "organization_id", "position", "kind", "code", "version")
        .render_derived(name="pending")
    )
    chosen = (
        select(
            pending.c.product_id,
            pending.c.organization_id,
            clock.c.seq - bindparam("count") + pending.c.position,
            pending.c.kind,
            pending.c.code,
            pending.c.version,
            stamp,
        )
        .select_from(pending.join(clock, true()))
        .where(or_(pending.c.kind == DELETE, pending.c.product_id.in_(select(stamped.c.id))))
    )
    columns = ["product_id", "organization_id", "seq", "kind", "code", "version", "changed"]
    entries = (
        _upsert_from(postgresql.insert(EntryRow.__table__).from_select(columns, chosen))
        .returning(EntryRow.product_id)
        .cte("entries")
    )
    return (
        select(clock.c.seq, clock.c.stamp_us, stamped.c.id)
        .select_from(clock.outerjoin(stamped, true()))
        .add_cte(entries)
    )


_ONE_STATEMENT_SEAL = _one_statement_seal()


# Reading --------------------------------------------------------------------------------

_PAGE = select(
    EntryRow.seq,
    EntryRow.product_id,
    EntryRow.kind,
    EntryRow.code,
    EntryRow.version,
    EntryRow.changed,
).order_by(EntryRow.seq)
_CLOCK = select(FeedClock.pruned_seq, FeedClock.seq).where(FeedClock.id == CLOCK_ID)


def check_cursor(after: int, limit: int) -> None:
    """Raise InvalidQuery unless ``after`` and ``limit`` are in range."""
    if not 0 <= after <= LARGEST_SEQ:
        raise InvalidQuery(f"expected a whole number from 0 to {LARGEST_SEQ}", parameter="after")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery(f"expected a whole number from 1 to {MAX_LIMIT}", parameter="limit")


def read(
    connection: Connection,
    organization_id: int,
    after: int = 0,
    limit: int = DEFAULT_LIMIT,
    *,
    resync: bool = False,
) -> FeedPage:
    """The organization's entries after ``after``, at most ``limit`` of them.

    Raises InvalidQuery for a cursor or limit out of range, CursorExpired for a cursor
    below the last pruned tombstone (unless ``resync``: a reader that started from 0 and
    drops what it is not given). The watermark is read after the page: it only grows,
    so if it is still at or below ``after`` now, nothing the page needed was gone.
    """
    check_cursor(after, limit)
    rows = connection.execute(
        _PAGE.where(EntryRow.organization_id == organization_id, EntryRow.seq > after).limit(
            limit + 1
        )
    ).all()
    pruned, head = connection.execute(_CLOCK).first() or (0, 0)
    if after < pruned and not resync:
        raise CursorExpired(after, pruned, head)
    entries = [FeedEntry(*row) for row in rows[:limit]]
    next_after = entries[-1].seq if entries else after
    return FeedPage(after, entries, next_after, len(rows) > limit)


# Retention ------------------------------------------------------------------------------


def prune(session: Session, retention: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Remove tombstones older than ``retention`` and raise the clock's watermark to the
    last of them, in one transaction; returns how many went. Upserts are never pruned:
    each product keeps its latest entry, so reading from 0 stays complete."""
    cutoff = (now or utcnow()) - retention
    old = (EntryRow.kind == DELETE) & (EntryRow.changed < cutoff)
    last = session.scalar(select(func.max(EntryRow.seq)).where(old))
    if last is None:
        return 0
    # Stamps grow with numbers: every tombstone up to ``last`` is older than the cutoff.
    session.execute(
        update(FeedClock)
        .where(FeedClock.id == CLOCK_ID, FeedClock.pruned_seq < last)
        .values(pruned_seq=last)
    )
    gone = session.execute(
        delete(EntryRow).where(EntryRow.kind == DELETE, EntryRow.seq <= last)
    ).rowcount
    session.commit()
    return gone
