"""Many products at once: upserts by code in batches (each committed whole, a refused
product changing nothing), and every product's stored columns as a stream."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xmlapi.catalog import locks, products
from xmlapi.catalog.errors import CatalogError
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.writes import commit
from xmlapi.models import Product

# Writes of an import check product locks like the API's: a product locked by a session
# is refused. No session has this id, so the import never holds a lock itself.
IMPORT_CLAIM = locks.Claim(session_id="import", ttl=dt.timedelta(0))


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    refused: list[Refusal] = field(default_factory=list)

    def add(self, other: Outcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.refused += other.refused


def explain(exc: CatalogError) -> str:
    """A refusal in one line: the message, then each field and why."""
    details = "; ".join(f"{name}: {why}" for name, why in exc.fields.items())
    return f"{exc.message} ({details})" if details else exc.message


def upsert(
    session: Session,
    rows: Sequence[tuple[int, Mapping[str, Any]]],
    pricing: Pricing,
    *,
    dry_run: bool = False,
) -> Outcome:
    """Create or update the product of each (line, change set) by its ``code``, all in
    one transaction; when the database refuses it, product by product, so that only
    the refused ones are left out. ``dry_run``: check everything, keep nothing."""
    locks.claim(session, IMPORT_CLAIM)
    outcome = _apply_all(session, rows, pricing)
    try:
        if dry_run:
            _check_then_forget(session)
        else:
            commit(session, products.conflict_of)
        return outcome
    except CatalogError as exc:
        session.rollback()
        if len(rows) == 1:
            return Outcome(refused=[Refusal(rows[0][0], explain(exc))])
    whole = Outcome()
    for row in rows:
        whole.add(upsert(session, [row], pricing, dry_run=dry_run))
    return whole


def _check_then_forget(session: Session) -> None:
    """What a commit would check (the database's constraints, the locks), then roll back."""
    try:
        session.flush()
        locks.check_claim(session)
    except IntegrityError as exc:
        raise products.conflict_of(exc) from None
    finally:
        session.rollback()


def _apply_all(
    session: Session, rows: Sequence[tuple[int, Mapping[str, Any]]], pricing: Pricing
) -> Outcome:
    outcome = Outcome()
    with session.no_autoflush:  # the batch is flushed whole, at its commit
        codes = {changes["code"] for _line, changes in rows if changes.get("code")}
        by_code = {
            product.code: product
            for product in session.scalars(select(Product).where(Product.code.in_(codes)))
        }
        for line, changes in rows:
            code = changes.get("code")
            if not code:
                outcome.refused.append(Refusal(line, "code: needed to find or create the product"))
                continue
            product = by_code.get(code)
            try:
                if product is None:
                    by_code[code] = products.add(session, changes, pricing)
                    outcome.created += 1
                else:
                    products.change(session, product, changes, pricing)
                    outcome.updated += product not in session.new
            except CatalogError as exc:
                if product is not None and product not in session.new:
                    session.expire(product)  # forget what the refused change set did
                outcome.refused.append(Refusal(line, explain(exc)))
    return outcome


def stream(connection: Connection, columns: Sequence[str], batch: int = 1000) -> Iterator[dict]:
    """Every product's ``columns`` by id, fetched ``batch`` rows at a time (constant
    memory whatever the catalog's size)."""
    statement = select(*(getattr(Product, name) for name in columns)).order_by(Product.id)
    result = connection.execution_options(yield_per=batch).execute(statement)
    for row in result:
        yield row._asdict()
