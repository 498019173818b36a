"""Product locks, kept in the database so every worker and host sees the same ones.

A lock is held by a session until it expires (each LOCK, and each write made under
it, renews it) or its session ends. Acquisition never checks and then inserts: it
inserts and lets the primary key refuse the second one, or takes over an expired
lock with an UPDATE whose WHERE clause only matches while the lock is still expired.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xmlapi.catalog.errors import LockHeld, LockNotHeld, LockRequired, NotFound
from xmlapi.models import ApiSession, Product, ProductLock
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
        raise LockRequired(f"Lock product {product_id} first (LOCK /api/products/{product_id}/).")
    raise held


def _renew(
    session: Session, product_id: int, session_id: str, now: dt.datetime, expires: dt.datetime
) -> bool:
    renewed = session.execute(
        update(ProductLock)
        .where(
            ProductLock.product_id == product_id, ProductLock.session_id == session_id, ~_dead(now)
        )
        .values(expires=expires)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return renewed.rowcount == 1


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
    return LockHeld(
        f"Product {product_id} is locked by another session until {until.isoformat()}.", until
    )
