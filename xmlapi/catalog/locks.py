"""Product locks, kept in the database so every worker and host sees the same ones.

A lock is held by a session until it expires (each LOCK, and each write made under
it, renews it) or its session ends. Acquisition never checks and then inserts: it
inserts and lets the primary key refuse the second one, or takes over an expired
lock with an UPDATE whose WHERE clause only matches while the lock is still expired.

A write states its claim (who writes, and which product's lock it must hold) on its
ORM session; before each flush, every product the flush changes is checked inside the
write's own transaction: the claimed product must be locked by the writer (the lock is
renewed by an UPDATE that also keeps others from taking it over until the commit), any
other product it changes (a master gaining a child, children of a deleted master) must
not be locked by another session. A lock that expired or moved while the body was on
its way therefore stops the write, and nothing of it is committed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import event, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xmlapi.catalog.changes import changed_products
from xmlapi.catalog.errors import LockHeld, LockNotHeld, LockRequired, NotFound
from xmlapi.models import ApiSession, Product, ProductLock, User
from xmlapi.models.types import utcnow


@dataclass(frozen=True)
class Lock:
    product_id: int
    token: str
    expires: dt.datetime


def _dead(now: dt.datetime):
    """Locks that no longer count: expired, or left by a session that has expired."""
    live_session = exists().where(ApiSession.id == ProductLock.session_id, ApiSession.expires > now)
    return or_(ProductLock.expires <= now, ~live_session)


def acquire(session: Session, product_id: int, session_id: str, ttl: dt.timedelta) -> Lock:
    """Lock the product for ``session_id`` (or renew its lock); commits.

    Raises NotFound for a missing product, LockHeld when another session holds it.
    """
    if session.get(Product, product_id) is None:
        raise NotFound(f"No product with id {product_id}.")
    for _attempt in range(3):
        now = utcnow()
        if _renew(session, product_id, session_id, now, now + ttl):
            return _lock(session, product_id)
        lock = _insert(session, product_id, session_id, now, ttl) or _take_over(
            session, product_id, session_id, now, ttl
        )
        if lock is not None:
            return lock
        held = _held(session, product_id)
        if held is not None:
            raise held
        # The holder let go between our attempts: try again.
    raise LockHeld(f"Product {product_id} is being locked and unlocked; try again.", now)


def _insert(
    session: Session, product_id: int, session_id: str, now: dt.datetime, ttl: dt.timedelta
) -> Lock | None:
    token = f"urn:uuid:{uuid.uuid4()}"
    session.add(
        ProductLock(
            product_id=product_id,
            session_id=session_id,
            token=token,
            acquired=now,
            expires=now + ttl,
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # a lock row exists for the product, live or dead
        return None
    return Lock(product_id, token, now + ttl)


def _take_over(
    session: Session, product_id: int, session_id: str, now: dt.datetime, ttl: dt.timedelta
) -> Lock | None:
    token = f"urn:uuid:{uuid.uuid4()}"
    taken = session.execute(
        update(ProductLock)
        .where(ProductLock.product_id == product_id, _dead(now))
        .values(session_id=session_id, token=token, acquired=now, expires=now + ttl)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return Lock(product_id, token, now + ttl) if taken.rowcount == 1 else None


def release(session: Session, product_id: int, session_id: str) -> None:
    """Give up the caller's lock; raises LockNotHeld when the caller holds none. Commits."""
    now = utcnow()
    lock = session.get(ProductLock, product_id)
    if lock is None or lock.session_id != session_id or lock.expires <= now:
        session.rollback()
        if session.get(Product, product_id) is None:
            raise NotFound(f"No product with id {product_id}.")
        raise LockNotHeld("You do not hold the lock on this product.")
    session.delete(lock)
    session.commit()


def require(session: Session, product_id: int, session_id: str, ttl: dt.timedelta) -> None:
    """Check that ``session_id`` holds the product's lock, renewing it; commits.

    Raises LockRequired when nobody holds it, LockHeld when another session does,
    NotFound when there is no such product.
    """
    now = utcnow()
    if _renew(session, product_id, session_id, now, now + ttl):
        return
    if session.get(Product, product_id) is None:
        raise NotFound(f"No product with id {product_id}.")
    live = session.scalar(
        select(ProductLock).where(ProductLock.product_id == product_id, ~_dead(now))
    )
    held = _held(session, product_id) if live is not None else None
    if held is None:
        raise LockRequired(f"Lock product {product_id} first.")
    raise held


def _renew(
    session: Session, product_id: int, session_id: str, now: dt.datetime, expires: dt.datetime
) -> bool:
    renewed = _renew_in_transaction(session, [product_id], session_id, now, expires)
    session.commit()
    return renewed == 1


def _renew_in_transaction(
    session: Session,
    product_ids: Collection[int],
    session_id: str,
    now: dt.datetime,
    expires: dt.datetime,
) -> int:
    """Renew the live locks ``session_id`` holds on ``product_ids``; how many it renewed."""
    renewed = session.execute(
        update(ProductLock)
        .where(
            ProductLock.product_id.in_(product_ids),
            ProductLock.session_id == session_id,
            ~_dead(now),
        )
        .values(expires=expires)
        .execution_options(synchronize_session=False)
    )
    return renewed.rowcount


def _lock(session: Session, product_id: int) -> Lock:
    row = session.get(ProductLock, product_id, populate_existing=True)
    return Lock(row.product_id, row.token, row.expires)


def _held(session: Session, product_id: int) -> LockHeld | None:
    """The error saying who holds the lock until when, or None if nobody does now."""
    row = session.get(ProductLock, product_id, populate_existing=True)
    if row is None:
        return None
    holder_expires = session.scalar(
        select(ApiSession.expires).where(ApiSession.id == row.session_id)
    )
    until = min(row.expires, holder_expires) if holder_expires else row.expires
    if until <= utcnow():
        return None
    return _held_until(product_id, until)


def _held_until(product_id: int, until: dt.datetime) -> LockHeld:
    return LockHeld(
        f"Product {product_id} is locked by another session until {until.isoformat()}.", until
    )


# Checking writes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """Who writes (``session_id``), the product whose lock the write must hold (the one
    its URL names; None for a write that needs no lock of its own, such as a create),
    and the organization whose products alone it may change (None: any)."""

    session_id: str
    ttl: dt.timedelta
    product_id: int | None = None
    organization_id: int | None = None


CHECK_BATCH = 500  # products checked by one statement (bound parameters stay few)
_CLAIM = "xmlapi.lock_claim"
_CHECKED = "xmlapi.locks_checked"


def claim(session: Session, claim: Claim) -> None:
    """Make every flush of ``session`` check the locks of what it changes against ``claim``."""
    session.info[_CLAIM] = claim


def check_claim(session: Session) -> None:
    """Check the claimed product's lock now, also when the write changed nothing in it.

    Raises LockRequired or LockHeld; renews the lock inside the current transaction.
    """
    claimed = session.info.get(_CLAIM)
    if claimed is not None and claimed.product_id is not None:
        _check(session, claimed, {claimed.product_id})


def _check(session: Session, claimed: Claim, product_ids: set[int]) -> None:
    """Renew the writer's locks on ``product_ids`` and refuse the write when another
    session holds one of them, or when the writer does not hold the claimed one: two
    statements for any number of products (one when the writer holds them all).

    Only rows of the writer's own session are renewed, so two writers never wait for
    each other's renewals."""
    checked = session.info.setdefault(_CHECKED, set())
    pending = sorted(product_ids - checked)
    for start in range(0, len(pending), CHECK_BATCH):
        batch = pending[start : start + CHECK_BATCH]
        now = utcnow()
        renewed = _renew_in_transaction(session, batch, claimed.session_id, now, now + claimed.ttl)
        if renewed < len(batch):
            _refuse(session, claimed, batch, now)
        checked.update(batch)


def _refuse(session: Session, claimed: Claim, product_ids: list[int], now: dt.datetime) -> None:
    """Raise for the first of ``product_ids`` (in id order) that another session holds
    (LockHeld) or that is the claimed product and not the writer's (LockRequired)."""
    live = session.execute(
        select(
            ProductLock.product_id, ProductLock.session_id, ProductLock.expires, ApiSession.expires
        )
        .join(ApiSession, ApiSession.id == ProductLock.session_id)
        .where(
            ProductLock.product_id.in_(product_ids),
            ProductLock.expires > now,
            ApiSession.expires > now,
        )
    )
    holders = {row[0]: (row[1], min(row[2], row[3])) for row in live}
    for product_id in product_ids:
        holder, until = holders.get(product_id, (None, None))
        if holder is not None and holder != claimed.session_id:
            raise _held_until(product_id, until)
        if product_id == claimed.product_id and holder is None:
            raise LockRequired(f"Lock product {product_id} first.")


@event.listens_for(Session, "before_flush")
def _check_flush(session: Session, _context, _instances) -> None:
    claimed = session.info.get(_CLAIM)
    if claimed is None:
        return
    product_ids = changed_products(session)
    if claimed.organization_id is not None:
        _check_organization(session, claimed, product_ids)
    if claimed.product_id is not None:
        product_ids.add(claimed.product_id)
    _check(session, claimed, product_ids)


def _check_organization(session: Session, claimed: Claim, product_ids: set[int]) -> None:
    """Raise NotFound when the write changes a product outside the claim's organization
    (the product the claim names was checked before the write began)."""
    for row in session.new:
        if isinstance(row, Product) and row.organization_id != claimed.organization_id:
            raise NotFound("No such product.")
    others = product_ids - {claimed.product_id}
    if not others:
        return
    foreign = select(Product.id).where(
        Product.id.in_(others), Product.organization_id != claimed.organization_id
    )
    product_id = session.scalar(foreign.limit(1))
    if product_id is not None:
        raise NotFound(f"No product with id {product_id}.")


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_checks(session: Session) -> None:
    # A renewal holds only inside its transaction: the next one checks again.
    session.info.pop(_CHECKED, None)


# Who holds a lock ----------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """The live lock of a product: the session holding it, its user, and until when."""

    session_id: str
    user_name: str
    until: dt.datetime


def holder(session: Session, product_id: int) -> Holder | None:
    """Who holds the product's lock now, or None (an expired lock, or one whose session
    ended, is nobody's)."""
    row = session.execute(
        select(ProductLock.session_id, User.name, ProductLock.expires, ApiSession.expires)
        .join(ApiSession, ApiSession.id == ProductLock.session_id)
        .join(User, User.id == ApiSession.user_id)
        .where(ProductLock.product_id == product_id)
    ).first()
    if row is None:
        return None
    until = min(row[2], row[3])
    return Holder(row[0], row[1], until) if until > utcnow() else None
