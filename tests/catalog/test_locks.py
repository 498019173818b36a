"""The lock check of a write without HTTP: every product a flush changes is checked in
one batch, as strictly as one by one."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.catalog.conftest import add_product
from tests.helpers import count_statements
from xmlapi.catalog import locks
from xmlapi.catalog.errors import LockHeld, LockRequired
from xmlapi.models import ApiSession, Product, ProductLock, User
from xmlapi.models.types import utcnow

TTL = dt.timedelta(minutes=5)


@pytest.fixture
def sessions(session):
    """Two live API sessions of two users: "mine" and "theirs"."""
    for name in ("me", "them"):
        user = User(name=name, password_hash="x")
        session.add(user)
        session.flush()
        session.add(ApiSession(id=f"{name}-session", user_id=user.id, expires=utcnow() + TTL))
    session.commit()
    return "me-session", "them-session"


def _products(session, count: int) -> list[int]:
    return [add_product(session, code=f"p{i}").id for i in range(count)]


def _change_all(session, product_ids: list[int]) -> None:
    with session.no_autoflush:  # the flush under test checks them all at once
        for product_id in product_ids:
            session.get(Product, product_id).description = "changed"


def _lock_statements(session, call) -> int:
    return count_statements(session.get_bind(), call, touching="locks")


@pytest.mark.parametrize("count", [3, 25])
def test_the_locks_of_every_changed_product_take_two_statements(session, sessions, count):
    mine, _theirs = sessions
    ids = _products(session, count)
    locks.claim(session, locks.Claim(mine, TTL))
    _change_all(session, ids)
    assert _lock_statements(session, session.flush) == 2
    session.commit()


def test_a_product_another_session_holds_stops_the_write(session, sessions):
    mine, theirs = sessions
    ids = _products(session, 30)
    locks.acquire(session, ids[17], theirs, TTL)
    locks.claim(session, locks.Claim(mine, TTL))
    _change_all(session, ids)
    with pytest.raises(LockHeld) as error:
        session.flush()
    assert f"Product {ids[17]} " in error.value.message
    session.rollback()
    assert session.get(Product, ids[0]).description is None


def test_the_writers_own_locks_are_renewed_in_one_statement(session, sessions):
    mine, _theirs = sessions
    ids = _products(session, 5)
    for product_id in ids[:3]:
        locks.acquire(session, product_id, mine, dt.timedelta(seconds=30))
    locks.claim(session, locks.Claim(mine, TTL, product_id=ids[0]))
    _change_all(session, ids[:3])
    assert _lock_statements(session, session.flush) == 1
    session.commit()
    for product_id in ids[:3]:
        assert session.get(ProductLock, product_id).expires > utcnow() + dt.timedelta(minutes=4)


@pytest.mark.parametrize(("held_by_them", "error"), [(False, LockRequired), (True, LockHeld)])
def test_the_claimed_product_must_be_the_writers(session, sessions, held_by_them, error):
    mine, theirs = sessions
    ids = _products(session, 3)
    if held_by_them:
        locks.acquire(session, ids[1], theirs, TTL)
    locks.claim(session, locks.Claim(mine, TTL, product_id=ids[1]))
    _change_all(session, ids)
    with pytest.raises(error):
        session.flush()


def test_an_expired_lock_or_a_lock_of_an_ended_session_is_nobodys(session, sessions):
    mine, theirs = sessions
    ids = _products(session, 2)
    locks.acquire(session, ids[0], theirs, TTL)
    locks.acquire(session, ids[1], theirs, TTL)
    session.get(ProductLock, ids[0]).expires = utcnow() - dt.timedelta(seconds=1)
    session.get(ApiSession, theirs).expires = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    locks.claim(session, locks.Claim(mine, TTL))
    _change_all(session, ids)
    session.flush()
    session.commit()
    assert session.get(Product, ids[1]).description == "changed"
