"""The one way writes under a product end: committed whole, or rolled back and explained."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from xmlapi.catalog import changes, locks
from xmlapi.catalog.errors import Conflict

log = logging.getLogger(__name__)


def _clash(_exc: IntegrityError) -> Conflict:
    return Conflict("The change clashes with stored data.")


def commit(
    session: Session,
    conflict: Callable[[IntegrityError], Conflict] = _clash,
    *,
    prepare: Callable[[], None] | None = None,
) -> None:
    """Commit the session's changes, or roll them all back and explain.

    The locks of every product the write changes are checked inside its transaction
    (see ``locks.claim``). A duplicate or a dangling reference the database refuses
    becomes ``conflict(exc)``; a product whose version moved meanwhile (another writer
    got there first) a Conflict. Any other failure rolls back and passes through, but
    for one: a connection lost while committing, after which the write may have landed
    or not; it is looked up, and one that landed is a success like any other.

    ``prepare()`` runs inside the transaction, after the lock check and before the
    feed's seal: an answer read there needs no database once the write has committed,
    and the clock's row lock the seal takes (held to the commit, so every other writer
    waits for it) is not held while it reads. The seal then stamps the products: an
    answer takes ``modified`` from the product after the commit (``restamped``).
    """
    try:
        session.flush()
        locks.check_claim(session)
        if prepare is not None:
            prepare()
        changes.seal(session)  # the clock's lock, held to the commit: keep what follows short
        written = changes.written_products(session)
        backend = changes.backend_of(session)
        try:
            session.commit()
        except OperationalError:
            _rollback_quietly(session)
            if not _landed_anyway(session, written, backend):
                raise
    except IntegrityError as exc:
        session.rollback()
        raise conflict(exc) from None
    except StaleDataError:
        session.rollback()
        raise Conflict(
            "The product was changed by someone else meanwhile; read it again."
        ) from None
    except BaseException:
        session.rollback()
        raise


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except Exception:  # the connection is gone; the pool drops it
        log.warning("rollback after a failed commit failed", exc_info=True)


def _landed_anyway(session: Session, written: dict, backend: int | None) -> bool:
    try:
        found = changes.landed(session, written, backend)
    except OperationalError:
        return False  # the database is still away: the write is reported as failed
    if found:
        log.warning("a commit lost its answer but landed: %s", sorted(written))
    return found


@contextmanager
def committing(
    session: Session, conflict: Callable[[IntegrityError], Conflict] = _clash
) -> Iterator[None]:
    """Commit what the block changed (see ``commit``); on any error roll all of it back.

    A flush inside the block that the database refuses (two writers adding the same
    serial at once) is explained like one at the commit.
    """
    try:
        yield
    except IntegrityError as exc:
        session.rollback()
        raise conflict(exc) from None
    except BaseException:
        session.rollback()
        raise
    commit(session, conflict)
