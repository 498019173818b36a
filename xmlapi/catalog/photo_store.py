"""Where photo files live: the PhotoStore interface, the file-system store, and the
setting that picks a store (the database store is in photo_db_store).

In the file store, an upload is written to temporary files (fsynced), its rows are
committed, and only then are the files renamed into place; a failed commit removes them.
A process that dies between the commit and the rename leaves ``.part`` files that a
committed row names: the first read (or ``xmlapi check --fix``) finishes the rename, so a
committed row never points at bytes that are gone. One that dies before the commit
leaves orphan files that no row names, which ``xmlapi check`` reports and ``--fix`` removes.

A store that cannot take the files (a full or read-only disk) fails the upload before
its rows commit, with StorageFull or StorageUnavailable; a file its cleanup cannot
remove is logged and left for ``xmlapi check``.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO, Protocol

from xmlapi.catalog.errors import (
    StorageFailed,
    StorageFull,
    StorageUnavailable,
)
from xmlapi.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# The store ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A file written under its temporary name: its length and SHA-256."""

    size: int
    digest: str


@dataclass
class StoredFile:
    """An open stored file; whoever gets it closes ``stream``."""

    stream: BinaryIO
    size: int


@dataclass(frozen=True)
class Entry:
    """A file found in the store: ``name`` as rows hold it; ``pending`` when it still has
    its temporary name."""

    name: str
    pending: bool
    modified: float


class PhotoStore(Protocol):
    """Where photo files live. Names are relative POSIX paths chosen by the catalog."""

    def write(self, name: str, chunks: Iterable[bytes]) -> Written:
        """Write ``chunks`` under ``name``'s temporary name, durably. Raises StorageFull
        or StorageUnavailable when the store cannot take them (what ``chunks`` raises
        passes through); on failure nothing is left behind, or what is left is logged."""

    def read_pending(self, name: str) -> BinaryIO:
        """Open a file that is still under its temporary name."""

    def stage_writes(self, session: Session, names: Iterable[str]) -> None:
        """Add written files to the transaction of their rows (just before it commits)."""

    def publish(self, names: Iterable[str]) -> None:
        """Put written files into place (once their rows have committed); never raises."""

    def discard(self, names: Iterable[str]) -> None:
        """Remove written files that were never published (their rows did not commit);
        never raises: a file it cannot remove is logged, and `xmlapi check` finds it."""

    def open(self, name: str, digest: str) -> StoredFile:
        """Open a published file whose row keeps ``digest`` (its SHA-256), as a real
        file (served with sendfile); raises FileNotFoundError."""

    def chunks(self, name: str) -> Iterator[bytes]:
        """A published file's bytes, straight from the store (no cache); raises
        FileNotFoundError before yielding when it is gone."""

    def contains(self, name: str) -> bool:
        """Whether a published file is in the store."""

    def stage_deletes(self, session: Session, names: Iterable[str]) -> None:
        """Add the removal of files to the transaction that deletes their rows."""

    def delete(self, names: Iterable[str]) -> None:
        """Remove files (once the rows that named them are gone); missing ones are fine."""

    def entries(self) -> Iterator[Entry]:
        """Every file in the store."""

    def remove(self, entry: Entry) -> None:
        """Remove one file found by ``entries``."""


PENDING = ".part"
# Reads of whole files go in pieces of this size.
READ_CHUNK = 1024 * 1024


class FileSystemStore:
    """Photo files in a directory tree: ``<root>/3f/3f9a..._512.jpg``.

    A file is written as ``<name>.part`` and fsynced with its directory before its row
    commits, so a committed row always has its bytes on disk under one of two names.
    """

    def __init__(self, *, root: Path) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"not a photo file name: {name!r}")
        return self.root.joinpath(*relative.parts)

    def _part(self, name: str) -> Path:
        path = self._path(name)
        return path.with_name(path.name + PENDING)

    def write(self, name: str, chunks: Iterable[bytes]) -> Written:
        part = self._part(name)
        source = _Source(chunks)
        digest, size = hashlib.sha256(), 0
        try:
            self._make_dirs(part.parent)
            with open(part, "xb") as out:
                for chunk in source:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            _fsync_directory(part.parent)
        except OSError as exc:
            if exc is source.error:
                self._remove(part, name)
                raise
            failure = _storage_failure(name, exc)  # logged before the cleanup's own errors
            self._remove(part, name)
            raise failure from exc
        except BaseException:
            self._remove(part, name)
            raise
        return Written(size, digest.hexdigest())

    def _remove(self, path: Path, name: str) -> None:
        """Remove a file of a failed upload; one that stays is logged, never raised."""
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.error(
                "photo file %s%s: could not remove it after a failed upload (%s); "
                "`xmlapi check` reports it as an orphan",
                name,
                PENDING,
                exc,
            )

    def _make_dirs(self, directory: Path) -> None:
        if directory.is_dir():
            return
        directory.mkdir(parents=True, exist_ok=True)
        _fsync_directory(directory.parent)

    def read_pending(self, name: str) -> BinaryIO:
        try:
            return open(self._part(name), "rb")
        except OSError as exc:
            raise _storage_failure(name, exc) from exc

    def stage_writes(self, session: Session, names: Iterable[str]) -> None:
        """Nothing to do: the files are already on disk under their temporary names."""

    def publish(self, names: Iterable[str]) -> None:
        # The rows have committed, so nothing here may fail the request: a .part file
        # left behind is finished by its first read (or `xmlapi check --fix`).
        directories = set()
        for name in names:
            try:
                self._finish(name)
            except OSError:
                log.exception("photo file %s: rename into place failed", name)
            directories.add(self._path(name).parent)
        for directory in directories:
            try:
                _fsync_directory(directory)
            except OSError:
                log.exception("photo directory %s: fsync failed", directory)

    def _finish(self, name: str) -> None:
        path = self._path(name)
        try:
            os.replace(self._part(name), path)
        except FileNotFoundError:
            # A reader may have finished it first; only a file gone from both names fails.
            if not path.exists():
                raise

    def discard(self, names: Iterable[str]) -> None:
        for name in names:
            self._remove(self._part(name), name)

    def open(self, name: str, digest: str = "") -> StoredFile:
        # The caller closes the stream (it is served after this returns).
        path = self._path(name)
        try:
            stream = open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            if not self._part(name).exists():
                raise
            stream = self._open_unfinished(name)
        return StoredFile(stream, os.fstat(stream.fileno()).st_size)

    def _open_unfinished(self, name: str) -> BinaryIO:
        """A committed file still under its temporary name: finish its rename, or, when
        the store cannot (a read-only disk), serve it from where it is."""
        log.warning("photo file %s: finishing an upload interrupted after commit", name)
        try:
            self._finish(name)
        except FileNotFoundError:
            raise
        except OSError as exc:
            log.error("photo file %s: rename into place failed (%s); served as it is", name, exc)
            return open(self._part(name), "rb")
        return open(self._path(name), "rb")

    def chunks(self, name: str) -> Iterator[bytes]:
        stream = self.open(name).stream
        return _read_chunks(stream)

    def contains(self, name: str) -> bool:
        return self._path(name).is_file() or self._part(name).is_file()

    def stage_deletes(self, session: Session, names: Iterable[str]) -> None:
        """Nothing to do: files go once their rows are gone (``delete``)."""

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            for path in (self._path(name), self._part(name)):
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    log.exception("photo file %s: could not remove it; it is an orphan now", name)

    def entries(self) -> Iterator[Entry]:
        if not self.root.is_dir():
            return
        for directory, _dirs, files in os.walk(self.root):
            for file_name in files:
                path = Path(directory, file_name)
                name = path.relative_to(self.root).as_posix()
                pending = name.endswith(PENDING)
                yield Entry(
                    name.removesuffix(PENDING) if pending else name,
                    pending,
                    path.stat().st_mtime,
                )

    def remove(self, entry: Entry) -> None:
        (self._part(entry.name) if entry.pending else self._path(entry.name)).unlink(
            missing_ok=True
        )


class _Source:
    """Chunks to store; remembers what reading them raised, so that a client's failure
    (a reset connection is an OSError too) is never taken for the store's."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._chunks
        except BaseException as exc:
            self.error = exc
            raise


# errno values that mean "no room"; any other OSError means the store cannot be written.
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


def _storage_failure(name: str, exc: OSError) -> StorageFailed:
    """The catalog error for a store that failed; logs the cause (paths stay in the log)."""
    log.error("photo file %s: the store failed: %s", name, exc)
    if exc.errno in _NO_SPACE:
        return StorageFull("The photo store is full; nothing was stored. Try again later.")
    return StorageUnavailable(
        "The photo store cannot be written to right now; nothing was stored. Try again later."
    )


def _fsync_directory(directory: Path) -> None:
    """Make a new or renamed directory entry durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _read_chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while chunk := stream.read(READ_CHUNK):
            yield chunk


def store_from_settings(settings: Settings, engine: Engine | None = None) -> PhotoStore:
    """The store XMLAPI_PHOTO_STORE names: files under ``<data dir>/photos``, or the
    database (``engine``, made from the settings when None) read through a cache under
    ``<data dir>/photo-cache``."""
    return store_named(settings.photo_store, settings, engine)


def store_named(kind: str, settings: Settings, engine: Engine | None = None) -> PhotoStore:
    """The store of kind ``file`` or ``postgresql`` (for moving photos between them)."""
    if kind == "file":
        return FileSystemStore(root=Path(settings.data_dir) / "photos")
    from xmlapi.catalog.photo_db_store import DatabaseStore, ReadCache

    if engine is None:
        from xmlapi.db import engine_for

        engine = engine_for(settings)
    cache = ReadCache(Path(settings.data_dir) / "photo-cache", settings.photo_cache_bytes)
    return DatabaseStore(engine=engine, cache=cache)
