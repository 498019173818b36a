"""Checking the photo store against the photo rows (``xmlapi check``)."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xmlapi.catalog.photo_store import Entry, PhotoStore
from xmlapi.models import PhotoScale, ProductPhoto

log = logging.getLogger(__name__)

# Checking the store against the rows ----------------------------------------------------


@dataclass
class CheckReport:
    """What ``check`` found: rows whose files are gone, uploads whose rename was cut off
    after their commit, and files no row names."""

    photos: int = 0
    missing: list[tuple[int, str, str]] = field(default_factory=list)  # (photo, size, name)
    unfinished: list[str] = field(default_factory=list)
    orphans: list[Entry] = field(default_factory=list)


def check(session: Session, store: PhotoStore, *, min_age: dt.timedelta) -> CheckReport:
    """Compare the store with the rows. Files younger than ``min_age`` are left out of
    the orphans: they may belong to an upload that has not committed yet."""
    # Files first, rows second: in the file store a photo committed in between shows as
    # unfinished, not as missing, and one deleted in between as the orphan it already is.
    # The database store commits files with their rows, so what looks missing or orphan
    # is asked again: it may have been committed or deleted in between.
    cutoff = time.time() - min_age.total_seconds()
    final, pending = {}, {}
    for entry in store.entries():
        (pending if entry.pending else final)[entry.name] = entry
    report = CheckReport()
    named: set[str] = set()
    for photo_id, size, name in session.execute(
        select(PhotoScale.photo_id, PhotoScale.size, PhotoScale.filename).order_by(
            PhotoScale.photo_id, PhotoScale.id
        )
    ):
        named.add(name)
        if name in final:
            continue
        if name in pending:
            report.unfinished.append(name)
        else:
            report.missing.append((photo_id, size, name))
    report.photos = session.scalar(select(func.count()).select_from(ProductPhoto))
    report.missing = [item for item in report.missing if not store.contains(item[2])]
    report.orphans = [
        entry
        for entry in itertools.chain(final.values(), pending.values())
        if entry.name not in named and entry.modified <= cutoff and store.contains(entry.name)
    ]
    return report


def fix(store: PhotoStore, report: CheckReport) -> None:
    """Finish the unfinished uploads and remove the orphans ``report`` found."""
    store.publish(report.unfinished)
    for entry in report.orphans:
        store.remove(entry)
