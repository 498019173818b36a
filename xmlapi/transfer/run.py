"""Importing and exporting whole files: records checked as the API checks a document,
upserted in batches, progress shown, a state file to resume from."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tqdm import tqdm

from xmlapi.catalog import bulk
from xmlapi.catalog.bulk import Outcome, Refusal
from xmlapi.catalog.pricing import Pricing
from xmlapi.faces.legacy.payloads import PayloadError, load_product
from xmlapi.faces.legacy.xml.parse import InvalidDocument, validate
from xmlapi.transfer import formats
from xmlapi.transfer.fields import FIELDS

BATCH = 1000


@dataclass
class State:
    """How far an import got: every record up to ``line`` is committed or refused."""

    path: Path
    identity: dict[str, Any]
    line: int = 0

    @classmethod
    def of(cls, source: Path, state_path: Path) -> State:
        stat = source.stat()
        identity = {"file": str(source.resolve()), "size": stat.st_size, "mtime": stat.st_mtime_ns}
        return cls(state_path, identity)

    def load(self) -> None:
        """Pick up where a cut-off import stopped; refuses a state of another file."""
        if not self.path.exists():
            return
        saved = json.loads(self.path.read_text())
        if saved.get("identity") != self.identity:
            raise formats.FileError(
                f"{self.path} records an import of another file (or of this one before it "
                "changed); remove it, or pass --restart"
            )
        self.line = int(saved["line"])

    def save(self, line: int) -> None:
        self.line = line
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps({"identity": self.identity, "line": line}))
        os.replace(temporary, self.path)  # never half written

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def check(record: formats.Record) -> dict[str, Any] | Refusal:
    """The record's change set, checked by the API's XSD and value rules; or why not."""
    if record.element is None:
        return Refusal(record.line, record.problem or "unreadable")
    try:
        validate(record.element, "product")
        return load_product(record.element)
    except InvalidDocument as exc:
        return Refusal(record.line, exc.message)
    except PayloadError as exc:
        return Refusal(record.line, "; ".join(f"{k}: {v}" for k, v in exc.fields.items()))


def import_file(
    engine: Engine,
    source: Path,
    file_format: str,
    pricing: Pricing,
    *,
    dry_run: bool = False,
    state: State | None = None,
    batch_size: int = BATCH,
    progress: bool | None = None,
) -> Outcome:
    """Upsert every record of ``source``; records up to ``state.line`` are skipped, and
    the state moves on after each committed batch."""
    outcome = Outcome()
    start = state.line if state is not None else 0
    total = formats.count_lines(source)
    with (
        Session(engine, expire_on_commit=False) as session,
        tqdm(total=total, unit="line", disable=None if progress is None else not progress) as bar,
    ):
        bar.update(start)
        for rows, refused, last in _batches(source, file_format, start, batch_size):
            done = bulk.upsert(session, rows, pricing, dry_run=dry_run) if rows else Outcome()
            done.refused = sorted(refused + done.refused, key=lambda r: r.line)
            outcome.add(done)
            session.expunge_all()  # constant memory: nothing of a finished batch is kept
            if state is not None and not dry_run:
                state.save(last)
            bar.update(last - bar.n)
    return outcome


def _batches(
    source: Path, file_format: str, after: int, size: int
) -> Iterator[tuple[list[tuple[int, dict]], list[Refusal], int]]:
    """(checked change sets, refused records, last line) for each batch of records."""
    rows: list[tuple[int, dict]] = []
    refused: list[Refusal] = []
    last = after
    for record in formats.read(source, file_format):
        if record.line <= after:
            continue
        checked = check(record)
        if isinstance(checked, Refusal):
            refused.append(checked)
        else:
            rows.append((record.line, checked))
        last = record.line
        if len(rows) + len(refused) >= size:
            yield rows, refused, last
            rows, refused = [], []
    if rows or refused:
        yield rows, refused, last


def export_file(
    engine: Engine, out: IO[str], file_format: str, on_row: Callable[[], None] | None = None
) -> int:
    """Write every product to ``out``; returns how many."""
    count = 0
    columns = sorted({field.column for field in FIELDS})
    with engine.connect() as connection, formats.Writer(out, file_format) as writer:
        for product in bulk.stream(connection, columns):
            writer.write(product)
            count += 1
            if on_row is not None:
                on_row()
    return count
