"""The PhotoStore contract, run over both stores (the file store and the database store),
then what only the database store's read cache promises."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from xmlapi.catalog import photo_store
from xmlapi.catalog.photo_db_store import CHUNK, DatabaseStore, ReadCache
from xmlapi.models import PhotoBlob
from xmlapi.settings import Settings

NAME = "ab/abc_512.jpg"


@pytest.fixture(params=["file", "postgresql"])
def store(request, database_url, engine, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=database_url, photo_store=request.param)
    yield photo_store.store_from_settings(settings, engine)
    with engine.begin() as connection:
        connection.execute(PhotoBlob.__table__.delete())


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_file(store, engine, name: str, data: bytes) -> None:
    """An upload's life: write, stage in the rows' transaction, commit, publish."""
    store.write(name, [data[i : i + 7000] for i in range(0, len(data), 7000)])
    with Session(engine) as session:
        store.stage_writes(session, [name])
        session.commit()
    store.publish([name])


def read(stored: photo_store.StoredFile) -> bytes:
    with stored.stream:
        return stored.stream.read()


def test_a_published_file_reads_back_whole(store, engine):
    data = os.urandom(CHUNK * 2 + 123)  # more than one chunk
    written = store.write(NAME, [data[:1000], data[1000:]])
    assert (written.size, written.digest) == (len(data), digest(data))
    with store.read_pending(NAME) as pending:
        assert pending.read() == data
    with Session(engine) as session:
        store.stage_writes(session, [NAME])
        session.commit()
    store.publish([NAME])
    opened = store.open(NAME, digest(data))
    assert opened.size == len(data)
    assert opened.stream.fileno() >= 0  # a real file: served with sendfile
    assert read(opened) == data
    assert b"".join(store.chunks(NAME)) == data
    assert store.contains(NAME)
    assert [(e.name, e.pending) for e in store.entries()] == [(NAME, False)]


def test_a_discarded_write_leaves_nothing(store, engine):
    store.write(NAME, [b"bytes"])
    with Session(engine) as session:
        store.stage_writes(session, [NAME])
        session.rollback()  # the rows did not commit
    store.discard([NAME])
    assert not store.contains(NAME)
    assert list(store.entries()) == []
    with pytest.raises(FileNotFoundError):
        store.open(NAME, digest(b"bytes"))
    with pytest.raises(FileNotFoundError):
        store.chunks(NAME)


def test_a_failing_body_passes_its_error_through_and_leaves_nothing(store):
    def chunks():
        yield b"some"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.write(NAME, chunks())
    assert list(store.entries()) == []


def test_a_deleted_file_is_gone(store, engine):
    store_file(store, engine, NAME, b"one")
    store_file(store, engine, "cd/cde_256.jpg", b"two")
    with Session(engine) as session:
        store.stage_deletes(session, [NAME, "ef/never.jpg"])
        session.commit()
    store.delete([NAME, "ef/never.jpg"])
    assert not store.contains(NAME)
    assert store.contains("cd/cde_256.jpg")
    assert [e.name for e in store.entries()] == ["cd/cde_256.jpg"]


def test_remove_takes_an_entry_away(store, engine):
    store_file(store, engine, NAME, b"one")
    (entry,) = store.entries()
    store.remove(entry)
    assert list(store.entries()) == []


# The database store's read cache ------------------------------------------------------


@pytest.fixture
def db_store(engine, tmp_path) -> DatabaseStore:
    yield DatabaseStore(engine=engine, cache=ReadCache(tmp_path / "cache", 10_000_000))
    with engine.begin() as connection:
        connection.execute(PhotoBlob.__table__.delete())


def test_the_uploading_host_and_a_first_read_keep_the_bytes_by_digest(db_store, engine):
    store_file(db_store, engine, NAME, b"uploaded")
    assert db_store.cache.path(digest(b"uploaded")).read_bytes() == b"uploaded"
    db_store.cache.path(digest(b"uploaded")).unlink()  # another host: a cold cache
    assert read(db_store.open(NAME, digest(b"uploaded"))) == b"uploaded"
    assert db_store.cache.path(digest(b"uploaded")).read_bytes() == b"uploaded"


def test_a_changed_row_never_reaches_old_bytes(db_store, engine):
    store_file(db_store, engine, NAME, b"old bytes")
    with engine.begin() as connection:
        connection.execute(update(PhotoBlob).values(data=b"new bytes"))
    # The row now keeps the new digest: the cached old bytes are not its key.
    assert read(db_store.open(NAME, digest(b"new bytes"))) == b"new bytes"
    # Bytes that do not match the row's digest are never served (nor cached).
    with pytest.raises(FileNotFoundError):
        db_store.open(NAME, digest(b"something else"))
    assert not db_store.cache.path(digest(b"something else")).exists()


def test_the_cache_keeps_to_its_bound_dropping_the_least_recently_read(engine, tmp_path):
    cache = ReadCache(tmp_path / "cache", 20_000)
    blobs = [bytes([n]) * 2400 for n in range(8)]
    for age, data in enumerate(blobs):
        cache.fill(digest(data), [data]).stream.close()
        past = time.time() - 1000 + age * 100
        os.utime(cache.path(digest(data)), (past, past))
    # Reading the oldest makes it the most recent (its age is refreshed).
    cache.open(digest(blobs[0])).stream.close()
    cache.fill(digest(b"x" * 2400), [b"x" * 2400]).stream.close()  # 21,600 bytes now
    kept = {data for data in blobs if cache.path(digest(data)).exists()}
    assert cache.sweep() <= 20_000
    assert blobs[0] in kept and blobs[1] not in kept and blobs[2] not in kept


def test_an_evicted_file_stays_readable_by_its_reader(engine, tmp_path):
    cache = ReadCache(tmp_path / "cache", 20_000)
    data = b"y" * 2000
    opened = cache.fill(digest(data), [data])
    cache.path(digest(data)).unlink()  # another worker's sweep
    assert read(opened) == data
    assert cache.open(digest(data)) is None  # the next reader goes to the store


def test_threads_filling_the_same_digest_all_get_whole_bytes(db_store, engine):
    data = os.urandom(300_000)
    store_file(db_store, engine, NAME, data)
    db_store.cache.path(digest(data)).unlink()
    results = []

    def reader():
        results.append(read(db_store.open(NAME, digest(data))))

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [data] * 6
    assert not list((db_store.cache.root / "tmp").iterdir())  # no spool file left


def test_a_file_too_big_to_keep_is_served_but_not_cached(tmp_path):
    cache = ReadCache(tmp_path / "cache", 8_000)
    assert read(cache.fill(digest(b"w" * 1001), [b"w" * 1001])) == b"w" * 1001
    assert cache.open(digest(b"w" * 1001)) is None


def test_chunks_are_kept_in_pieces_of_a_mebibyte(db_store, engine):
    store_file(db_store, engine, NAME, b"z" * (CHUNK + 1))
    with engine.connect() as connection:
        sizes = connection.scalars(
            select(PhotoBlob.data).where(PhotoBlob.name == NAME).order_by(PhotoBlob.chunk)
        ).all()
    assert [len(piece) for piece in sizes] == [CHUNK, 1]
