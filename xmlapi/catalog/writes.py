"""The one way writes under a product end: committed whole, or rolled back and explained."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from xmlapi.catalog import locks
from xmlapi.catalog.errors import Conflict


def _clash(_exc: IntegrityError) -> Conflict:
    return Conflict("The change clashes with stored data.")


def commit(session: Session, conflict: Callable[[IntegrityError], Conflict] = _clash) -> None:
    """Commit the session's changes, or roll them all back and explain.

    The locks of every product the write changes are checked inside its transaction
    (see ``locks.claim``). A duplicate or a dangling reference the database refuses
    becomes ``conflict(exc)``; a product whose version moved meanwhile (another writer
    got there first) a Conflict. Any other failure rolls back and passes through.
    """
    try:
        session.flush()
        locks.check_claim(session)
        session.commit()
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
