"""The one way writes under a product end: committed whole, or rolled back and explained."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from xmlapi.catalog.errors import Conflict


def _clash(_exc: IntegrityError) -> Conflict:
    return Conflict("The change clashes with stored data.")


def commit(session: Session, conflict: Callable[[IntegrityError], Conflict] = _clash) -> None:
    """Commit the session's changes, or roll them all back and explain.

    A duplicate or a dangling reference the database refuses becomes ``conflict(exc)``;
    a product whose version moved meanwhile (another writer got there first) a Conflict.
    """
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise conflict(exc) from None
    except StaleDataError:
        session.rollback()
        raise Conflict(
            "The product was changed by someone else meanwhile; read it again."
        ) from None


@contextmanager
def committing(
    session: Session, conflict: Callable[[IntegrityError], Conflict] = _clash
) -> Iterator[None]:
    """Commit what the block changed (see ``commit``); on any error roll all of it back."""
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    commit(session, conflict)
