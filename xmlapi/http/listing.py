"""Product lists for any face: items from the face's cache while they stay current, the
others read a batch at a time and written by the face's formatter."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from sqlalchemy import Connection, Row

from xmlapi.catalog import reads
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.readmodel import ListItem
from xmlapi.http.cache import RenderCache

T = TypeVar("T")
BATCH = 1000


def list_bodies(
    connection: Connection,
    keys: Iterable[Row],
    rules: Pricing,
    formatter: Callable[[ListItem], bytes],
    cache: RenderCache,
    batch: int = BATCH,
    *,
    exact: bool = False,
) -> Iterator[bytes]:
    """The formatted items of (id, version) keys, in their order. An item comes from the
    worker's ``cache`` while the product's version stays (every write to it or under
    it, photos included, moves the version); the others are read ``batch`` at a time
    in one statement each. A product deleted since its key was read is left out; with
    ``exact`` (keyset pages), so is one written since: it comes again, later, with its
    new stamp, and a sync would otherwise see its new state twice."""
    for chunk in batches(keys, batch):
        cached = cache.get_many(chunk)
        missing = [key.id for key, body in zip(chunk, cached, strict=True) if body is None]
        items = reads.list_items(connection, missing, rules)
        for key, body in zip(chunk, cached, strict=True):
            if body is None:
                item = items.get(key.id)
                if item is None or (exact and item.version != key.version):
                    continue
                body = formatter(item)
                cache.put(item.id, item.version, body)
            yield body


def batches(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    """``iterable`` in lists of ``size`` items (the last one shorter)."""
    chunk: list[T] = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
