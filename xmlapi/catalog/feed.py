"""The change feed: every committed change to a product (or to anything under it) and
every delete, numbered in commit order, written in the same transaction as the change.

How the numbers stay gapless for readers: a PostgreSQL sequence hands out numbers in one
order while transactions commit in another, so a reader could see 7, move on, and later
find 6. Here every write ends by taking the row lock of the one-row ``feed_clock``
(``seal``, the last step before its commit) and gets its numbers and its stamp under
it; the lock is held to the commit, so writes commit in the order they got numbers, and
an entry below one a reader has seen can never appear later. The same lock orders the
products' ``modified`` stamps (the keyset cursor of the lists): stamps never go back.

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

from sqlalchemy import Connection, bindparam, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, attributes
from sqlalchemy.orm.util import identity_key

from xmlapi.catalog.errors import CatalogError
from xmlapi.catalog.filters import InvalidQuery
from xmlapi.catalog.readmodel import FeedEntry, FeedPage
from xmlapi.models import FeedClock, Product
from xmlapi.models import FeedEntry as EntryRow
from xmlapi.models.feed import DELETE, UPSERT
from xmlapi.models.types import utcnow

_PENDING = "xmlapi.feed_pending"
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


def note_flush(session: Session, flushed: Iterable[tuple[Product, bool]]) -> None:
    """Remember the products this flush wrote (called after every flush with each
    product it wrote and whether it deleted it)."""
    pending = session.info.setdefault(_PENDING, {})
    for row, deleted in flushed:
        state = attributes.instance_dict(row)
        pending[row.id] = Change(
            state.get("organization_id"),
            state.get("code"),
            state.get("version") or 1,
            deleted,
        )


def forget(session: Session) -> None:
    """Drop what the session's transaction noted (it committed or rolled back)."""
    session.info.pop(_PENDING, None)


def seal(session: Session) -> dt.datetime | None:
    """Number the changes the session's transaction made, stamp the changed products and
    write their entries; returns the stamp (None when nothing changed). Call it as the
    last step before the commit: the clock's row lock it takes is held until then."""
    pending: dict[int, Change] = session.info.pop(_PENDING, None) or {}
    if not pending or session.info.get(OFF):
        return None
    connection = session.connection()
    last, stamp = _advance(connection, len(pending))
    live = [product_id for product_id, change in pending.items() if not change.deleted]
    if live:
        stamped = connection.scalars(_STAMP, {"ids": live, "stamp": stamp}).all()
        for product_id in stamped:
            _set_loaded(session, product_id, stamp)
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


def _set_loaded(session: Session, product_id: int, stamp: dt.datetime) -> None:
    """Give a product the session holds the stamp the database now has."""
    product = session.identity_map.get(identity_key(Product, product_id))
    if product is not None:
        attributes.set_committed_value(product, "modified", stamp)


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


def _advance(connection: Connection, count: int) -> tuple[int, dt.datetime]:
    """Take ``count`` numbers and a stamp from the clock under its row lock; returns the
    last number and the stamp (never before the previous one)."""
    now_us = (utcnow() - _EPOCH) // dt.timedelta(microseconds=1)
    values = {"count": count, "now_us": now_us}
    row = connection.execute(_ADVANCE, values).first()
    if row is None:  # emptied tables: the migration's row is gone
        connection.execute(
            _dialect_insert(connection.dialect.name, FeedClock.__table__)
            .values(id=CLOCK_ID, seq=0, stamp_us=0, pruned_seq=0)
            .on_conflict_do_nothing()
        )
        row = connection.execute(_ADVANCE, values).one()
    return row.seq, _EPOCH + dt.timedelta(microseconds=row.stamp_us)


def _dialect_insert(dialect: str, table):
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


@functools.cache
def _upsert(dialect: str):
    """Insert entries, a product's new entry replacing its old one (folding)."""
    statement = _dialect_insert(dialect, EntryRow.__table__)
    columns = ("organization_id", "seq", "kind", "code", "version", "changed")
    return statement.on_conflict_do_update(
        index_elements=["product_id"],
        set_={name: statement.excluded[name] for name in columns},
    )


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
