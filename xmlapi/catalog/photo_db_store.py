"""Photo bytes in the database (XMLAPI_PHOTO_STORE=postgresql), read through a local cache.

Every file is kept as 1 MiB bytea chunks in ``photo_blobs``, inserted in the transaction
that commits its rows and deleted in the one that deletes them: a photo is there whole
or not at all, on every host at once, and a crash leaves nothing to repair. (Measured
against large objects on 5 MB: chunks wrote in 31 ms and read in 31 ms, large objects in
64 and 49 ms; large objects would also need lo_unlink on every delete.)

An upload is spooled to a local temporary file while the body arrives and the scales are
made, so no transaction stays open meanwhile; its chunks go in just before the commit.

Reads go through a cache on local disk named by the SHA-256 the row keeps: a changed or
deleted row never reaches old bytes, since its digest (or its row) is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from xmlapi.catalog.photo_store import (
    PENDING,
    Entry,
    StoredFile,
    Written,
    _Source,
    _storage_failure,
)
from xmlapi.models import PhotoBlob

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
_BLOBS = PhotoBlob.__table__


class DatabaseStore:
    """Photo files as chunks in ``photo_blobs``; reads served from ``cache``."""

    def __init__(self, *, engine: Engine, cache: ReadCache) -> None:
        self.engine = engine
        self.cache = cache
        # Written files not yet committed, by name: their spool file and what was written.
        self._pending: dict[str, tuple[Path, Written]] = {}

    def write(self, name: str, chunks: Iterable[bytes]) -> Written:
        spool = self.cache.spool_path()
        source = _Source(chunks)
        digest, size = hashlib.sha256(), 0
        try:
            with open(spool, "xb") as out:
                for chunk in source:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            spool.unlink(missing_ok=True)
            if exc is source.error:
                raise
            raise _storage_failure(name, exc) from exc
        except BaseException:
            spool.unlink(missing_ok=True)
            raise
        written = Written(size, digest.hexdigest())
        self._pending[name] = (spool, written)
        return written

    def read_pending(self, name: str) -> BinaryIO:
        return open(self._pending[name][0], "rb")

    def stage_writes(self, session: Session, names: Iterable[str]) -> None:
        for name in names:
            with open(self._pending[name][0], "rb") as stream:
                session.execute(insert(_BLOBS), list(_rows(name, stream)))

    def publish(self, names: Iterable[str]) -> None:
        # Committed: the spooled bytes become this host's cached copy.
        for name in names:
            entry = self._pending.pop(name, None)
            if entry is not None:
                self.cache.adopt(entry[0], entry[1].digest, entry[1].size)

    def discard(self, names: Iterable[str]) -> None:
        for name in names:
            entry = self._pending.pop(name, None)
            if entry is not None:
                _unlink_quietly(entry[0])

    def open(self, name: str, digest: str) -> StoredFile:
        cached = self.cache.open(digest)
        if cached is not None:
            return cached
        return self.cache.fill(digest, self.chunks(name))

    def chunks(self, name: str) -> Iterator[bytes]:
        # Read whole (at most XMLAPI_MAX_PHOTO_BYTES): the connection goes back at once.
        with self.engine.connect() as connection:
            pieces = connection.scalars(
                select(_BLOBS.c.data).where(_BLOBS.c.name == name).order_by(_BLOBS.c.chunk)
            ).all()
        if not pieces:
            raise FileNotFoundError(name)
        return iter(pieces)

    def contains(self, name: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.scalar(
                select(_BLOBS.c.chunk).where(_BLOBS.c.name == name, _BLOBS.c.chunk == 0)
            )
        return found is not None

    def stage_deletes(self, session: Session, names: Iterable[str]) -> None:
        names = list(names)
        if names:
            session.execute(delete(_BLOBS).where(_BLOBS.c.name.in_(names)))

    def delete(self, names: Iterable[str]) -> None:
        """Nothing to do: the chunks went with the rows (``stage_deletes``); cached
        copies are unreachable (no row keeps their digest) and age out."""

    def entries(self) -> Iterator[Entry]:
        with self.engine.connect() as connection:
            names = connection.scalars(select(_BLOBS.c.name).distinct()).all()
        for name in names:
            yield Entry(name, False, 0.0)

    def remove(self, entry: Entry) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(_BLOBS).where(_BLOBS.c.name == entry.name))


def _rows(name: str, stream: BinaryIO) -> Iterator[dict]:
    """The chunk rows of a file (an empty file still has chunk 0)."""
    number = 0
    while True:
        data = stream.read(CHUNK)
        if data or number == 0:
            yield {"name": name, "chunk": number, "data": data}
        if len(data) < CHUNK:
            return
        number += 1


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("photo cache: could not remove %s: %s", path.name, exc)


class ReadCache:
    """Photo files on local disk, named by their SHA-256, kept to about ``max_bytes``
    (least recently read go first).

    Several processes and threads share the directory: a file is written under a
    temporary name and renamed into place, so a reader sees it whole or not at all; one
    evicted while read stays readable through the reader's open descriptor, and a reader
    that finds it gone reads the store again. Each process sweeps (removes the oldest)
    whenever what it added passes an eighth of the bound, or the total it last saw the
    bound, so the directory exceeds the bound by at most an eighth per process. A file
    over an eighth of the bound is served but not kept.
    """

    # A read refreshes a file's age at most this often (an mtime write per read is waste).
    TOUCH_SECONDS = 60
    # A sweep leaves the cache this full, so that the next one is not due at once.
    LOW_WATER = 0.9
    # Spooled uploads older than this belong to a dead process.
    STALE_SPOOL_SECONDS = 3600

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._spool = self.root / "tmp"
        self._lock = threading.Lock()
        self._seen: int | None = None  # the total at this process's last sweep
        self._added = 0

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a SHA-256 digest: {digest!r}")
        return self.root / digest[:2] / digest

    def spool_path(self) -> Path:
        """A fresh temporary file name in the cache's directory (same file system, so
        it can be renamed into place)."""
        self._spool.mkdir(parents=True, exist_ok=True)
        return self._spool / (secrets.token_hex(16) + PENDING)

    def open(self, digest: str) -> StoredFile | None:
        """The cached file, open, or None."""
        path = self.path(digest)
        try:
            stream = open(path, "rb")  # noqa: SIM115 (served, then closed by the server)
        except FileNotFoundError:
            return None
        status = os.fstat(stream.fileno())
        if time.time() - status.st_mtime > self.TOUCH_SECONDS:
            with contextlib.suppress(OSError):  # evicted meanwhile: this reader has it
                os.utime(path)
        return StoredFile(stream, status.st_size)

    def fill(self, digest: str, chunks: Iterable[bytes]) -> StoredFile:
        """Cache ``chunks`` under ``digest`` and return the file, open. Raises
        FileNotFoundError (and logs it) when the bytes do not match the digest."""
        spool = self.spool_path()
        try:
            check, size = hashlib.sha256(), 0
            with open(spool, "xb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    check.update(chunk)
                    size += len(chunk)
            if check.hexdigest() != digest:
                log.error("photo bytes %s in the store do not match their digest", digest)
                raise FileNotFoundError(digest)
            stream = open(spool, "rb")  # noqa: SIM115
        except BaseException:
            _unlink_quietly(spool)
            raise
        if size > self.max_bytes / 8:
            _unlink_quietly(spool)  # too big to keep: served from the open descriptor
        else:
            self._place(spool, digest, size)
        return StoredFile(stream, size)

    def adopt(self, spool: Path, digest: str, size: int) -> None:
        """Keep a spooled file (a committed upload) as the cached copy of ``digest``."""
        if size > self.max_bytes / 8:
            _unlink_quietly(spool)
            return
        try:
            self._place(spool, digest, size)
        except OSError as exc:
            log.warning("photo cache: could not keep an upload's bytes: %s", exc)
            _unlink_quietly(spool)

    def _place(self, spool: Path, digest: str, size: int) -> None:
        path = self.path(digest)
        path.parent.mkdir(exist_ok=True)
        os.replace(spool, path)
        with self._lock:
            self._added += size
            due = self._seen is None or self._added > self.max_bytes / 8
            due = due or self._seen + self._added > self.max_bytes
        if due:
            self.sweep()

    def sweep(self) -> int:
        """Remove the least recently read files until the cache is under its low-water
        mark, and spooled files of dead processes; returns the bytes left."""
        files = []
        now = time.time()
        for directory, _dirs, names in os.walk(self.root):
            for name in names:
                path = Path(directory, name)
                try:
                    status = path.stat()
                except FileNotFoundError:
                    continue  # another process removed it
                if name.endswith(PENDING):
                    if now - status.st_mtime > self.STALE_SPOOL_SECONDS:
                        _unlink_quietly(path)
                    continue
                files.append((status.st_mtime, status.st_size, path))
        total = sum(size for _, size, _ in files)
        if total > self.max_bytes:
            files.sort()
            for _mtime, size, path in files:
                if total <= self.max_bytes * self.LOW_WATER:
                    break
                _unlink_quietly(path)
                total -= size
        with self._lock:
            self._seen, self._added = total, 0
        return total
