"""Rendered documents kept per worker, each under the tag it was rendered for.

A product's full render costs ~2 ms to load and build; asking the database for its tag
costs ~50 us. Entries are only ever returned for the tag they were made under, so a
write in any worker (which changes the tag) makes them unreachable; the least recently
used go first when the cache is full.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable

from xmlapi.operating.metrics import count_lookups


class RenderCache:
    def __init__(self, *, size: int, name: str = "renders"):
        self.size = size
        self.name = name  # its label in the hit and miss counts
        self._items: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, tag: Hashable) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != tag:
                found = None
            else:
                self._items.move_to_end(key)
                found = item[1]
        count_lookups(self.name, found is not None, found is None)
        return found

    def get_many(self, keys: Iterable[tuple[Hashable, Hashable]]) -> list[bytes | None]:
        """``get`` for each (key, tag) pair, under one acquisition of the lock."""
        with self._lock:
            found = []
            for key, tag in keys:
                item = self._items.get(key)
                if item is None or item[0] != tag:
                    found.append(None)
                else:
                    self._items.move_to_end(key)
                    found.append(item[1])
        misses = found.count(None)
        count_lookups(self.name, len(found) - misses, misses)
        return found

    def put(self, key: Hashable, tag: Hashable, body: bytes) -> None:
        with self._lock:
            self._items[key] = (tag, body)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class Memo:
    """Answers that hold for good, up to ``size`` of them: emptied whole when full (rare;
    each entry is one statement or round trip away)."""

    def __init__(self, *, size: int):
        self.size = size
        self._items: dict[Hashable, object] = {}

    def get(self, key: Hashable):
        return self._items.get(key)

    def put(self, key: Hashable, value: object) -> None:
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key] = value
