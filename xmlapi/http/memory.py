"""What a worker keeps in memory at the catalog's generation (``xmlapi.generation``):
the generation a request learned from Redis, and entries read after it."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app, g

from xmlapi.generation import WorkerMemory

EXTENSION = "xmlapi.memory"
T = TypeVar("T")


def worker_memory() -> WorkerMemory:
    return current_app.extensions[EXTENSION]


def learn(current: bytes | None) -> bytes | None:
    """Note the generation Redis answered this request (None: there is none)."""
    g.generation = current
    worker_memory().at(current)
    return current


def request_generation() -> bytes | None:
    """The generation this request learned (None: none, keep nothing)."""
    return g.get("generation")


def remembered(key: Hashable, read: Callable[[], T], current: bytes | None = None) -> T:
    """The value under ``key`` from the worker's memory while the generation
    (``current``, default the request's) holds, else ``read()`` and kept under it:
    ``read`` must run after the generation was learned."""
    if current is None:
        current = request_generation()
        if current is None:  # no Redis: nothing is kept
            return read()
    kept = worker_memory()
    found = kept.get(current, key)
    if found is None:
        found = read()
        kept.put(current, key, found)
    return found
