"""Copying every photo file from one store to the other (``xmlapi photos move``).

The service keeps reading from (and writing to) the source store meanwhile. A file the
target already has is skipped, so a move cut off is run again to finish it, and a run
after the service has switched stores copies what was uploaded in between. Every copy
is checked against the digest its row keeps before the target keeps it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from xmlapi.catalog.photo_store import PhotoStore
from xmlapi.models import PhotoScale

log = logging.getLogger(__name__)

BATCH = 500


@dataclass
class MoveReport:
    """What a move did, by file: copied, already there, gone with their rows meanwhile,
    and those it could not copy (missing from the source, or bytes not matching)."""

    copied: int = 0
    present: int = 0
    vanished: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, why)


def files_to_move(engine: Engine) -> tuple[int, int]:
    """How many files the rows name, and their bytes (for a progress bar)."""
    with Session(engine) as session:
        rows = session.execute(select(PhotoScale.byte_size)).scalars().all()
    return len(rows), sum(rows)


def move(
    engine: Engine,
    source: PhotoStore,
    target: PhotoStore,
    *,
    progress: Callable[[int], None] = lambda size: None,
) -> MoveReport:
    """Copy every file the rows name from ``source`` to ``target``; ``progress`` is
    called with each file's size once it is done (copied or skipped)."""
    report = MoveReport()
    last_id = 0
    while True:
        with Session(engine) as session:
            batch = session.execute(
                select(PhotoScale.id, PhotoScale.filename, PhotoScale.digest, PhotoScale.byte_size)
                .where(PhotoScale.id > last_id)
                .order_by(PhotoScale.id)
                .limit(BATCH)
            ).all()
        if not batch:
            return report
        for scale_id, name, digest, size in batch:
            _move_one(engine, source, target, name, digest, report)
            progress(size)
            last_id = scale_id


def _move_one(
    engine: Engine,
    source: PhotoStore,
    target: PhotoStore,
    name: str,
    digest: str,
    report: MoveReport,
) -> None:
    if target.contains(name):
        report.present += 1
        return
    try:
        written = target.write(name, source.chunks(name))
    except FileNotFoundError:
        _missing(engine, name, "missing from the source store", report)
        return
    if written.digest != digest:
        target.discard([name])
        report.failed.append((name, "its bytes in the source do not match the row's digest"))
        return
    with Session(engine) as session:
        # The photo may have been deleted meanwhile: then its copy is not kept.
        if session.scalar(select(PhotoScale.id).where(PhotoScale.filename == name)) is None:
            target.discard([name])
            report.vanished += 1
            return
        try:
            target.stage_writes(session, [name])
            session.commit()
        except BaseException:
            session.rollback()
            target.discard([name])
            raise
    target.publish([name])
    report.copied += 1


def _missing(engine: Engine, name: str, why: str, report: MoveReport) -> None:
    with Session(engine) as session:
        gone = session.scalar(select(PhotoScale.id).where(PhotoScale.filename == name)) is None
    if gone:
        report.vanished += 1
    else:
        log.error("photo file %s: %s", name, why)
        report.failed.append((name, why))
