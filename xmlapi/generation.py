"""The catalog's generation: one counter in Redis that every write through the service
(the app's workers and the CLI alike) moves on before its answer goes out, so that what
a worker keeps in memory (live sessions, product tags, pages of lists) can be checked
by one number, fetched in the round trip the rate limit makes anyway, instead of being
asked of the database on every request.

A worker keeps an entry only under the generation it read from Redis *before* reading
the entry's rows, and uses it only while Redis still answers that generation: a write
commits, then moves the counter on, so any request that sees the old number began
before the write was answered. A missing counter (a new or restarted Redis) starts from
the clock, never from a number a worker may still remember.

Without Redis (``memory://`` rate limits, or Redis failing) there is no generation and
workers ask the database every time, as they did before.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable

from sqlalchemy import Engine, event

from xmlapi.settings import Settings

log = logging.getLogger(__name__)

KEY = "xmlapi:generation"

# The counter, made from Redis's clock (microseconds, as digits: a Lua number would
# print in exponent notation) when it is missing. Shared by the writers' script and
# the rate limit's.
CURRENT = """
local function current_generation(key)
  local found = redis.call('GET', key)
  if found then return found end
  local now = redis.call('TIME')
  redis.call('SET', key, now[1] .. string.format('%06d', tonumber(now[2])), 'NX')
  return redis.call('GET', key)
end
"""

_BUMP = (
    CURRENT
    + """
current_generation(KEYS[1])
return redis.call('INCR', KEYS[1])
"""
)


class Generation:
    """The counter's writer side: ``bump`` after a write has committed."""

    # How often a bump Redis refused is tried again, by a thread of its own: a worker
    # that kept its memory through an outage (it served nothing meanwhile) trusts the
    # counter again as soon as Redis answers, so an owed bump must not wait for this
    # process's next request.
    RETRY_SECONDS = 0.05

    def __init__(self, redis_url: str, *, timeout: float):
        import redis

        self._client = redis.Redis.from_url(
            redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._bump = self._client.register_script(_BUMP)
        # A bump that failed is owed: tried again after each later use of the database
        # in this process, and every RETRY_SECONDS by a thread, until Redis takes it.
        self.owed = False
        self._retrying = threading.Lock()

    def bump(self) -> None:
        """Move the counter on; a failure is logged, never raised (the write stands,
        and workers that cannot reach Redis keep nothing in memory meanwhile)."""
        if not self._try():
            self._retry_in_background()

    def _try(self) -> bool:
        import redis

        try:
            self._bump([KEY])
        except redis.RedisError as exc:
            if not self.owed:
                log.error("could not move the catalog's generation on in Redis: %s", exc)
            self.owed = True
            return False
        if self.owed:
            log.warning("moved the catalog's generation on in Redis again")
        self.owed = False
        return True

    def _retry_in_background(self) -> None:
        if not self._retrying.acquire(blocking=False):
            return  # a thread is at it already
        threading.Thread(
            target=_retry, args=(weakref.ref(self),), name="xmlapi-generation-retry", daemon=True
        ).start()


def _retry(generation_ref: weakref.ref) -> None:
    """Bump until Redis takes it; stop early when the generation is gone (its engine
    and app were dropped), which the thread's weak reference lets happen."""
    while (generation := generation_ref()) is not None:
        if not generation.owed or generation._try():
            generation._retrying.release()
            return
        pause = generation.RETRY_SECONDS
        del generation
        time.sleep(pause)


def from_settings(settings: Settings) -> Generation | None:
    """The generation kept beside the rate limits, when they are kept in Redis."""
    if not settings.ratelimit_storage.startswith(("redis://", "rediss://")):
        return None
    return Generation(settings.ratelimit_storage, timeout=settings.ratelimit_timeout_seconds)


# The execution option of a write that changes nothing a worker keeps in memory (a
# session's last use, checked against the clock by each worker itself): no bump.
UNSEEN = "xmlapi_unseen_by_workers"

# Statements that change no row: anything else marks its connection as having written.
_READS = ("SELECT", "PRAGMA", "SHOW", "SET", "BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")


def watch(engine: Engine, generation: Generation) -> None:
    """Bump ``generation`` whenever a connection that wrote goes back to the pool (after
    its commit, before the request that used it answers: Flask closes the request's
    connections before the server sends the answer)."""

    def note_write(connection, _cursor, statement, _parameters, context, _executemany):
        if context is not None and context.execution_options.get(UNSEEN):
            return
        if not statement.lstrip()[:9].upper().startswith(_READS):
            connection.info["wrote"] = True

    def bump_after_write(_dbapi_connection, record) -> None:
        if record.info.pop("wrote", False) or generation.owed:
            generation.bump()

    event.listen(engine, "after_cursor_execute", note_write)
    event.listen(engine, "checkin", bump_after_write)


class WorkerMemory:
    """What this worker knows at one generation: entries of any kind by key, the least
    recently used dropped past ``size``; all of them forgotten when the generation
    changes."""

    def __init__(self, *, size: int):
        self.size = size
        self.generation: bytes | None = None
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def at(self, generation: bytes | None) -> None:
        """The generation Redis answered now: forget everything if it is another."""
        if generation != self.generation:
            with self._lock:
                self._items.clear()
                self.generation = generation

    def get(self, generation: bytes | None, key: Hashable):
        """The entry under ``key`` if it holds at ``generation``, else None."""
        if generation is None or generation != self.generation:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, generation: bytes | None, key: Hashable, value) -> None:
        """Keep ``value``, read after Redis answered ``generation``: only if that is still
        the generation kept (a thread that read an older one keeps nothing)."""
        if generation is None:
            return
        with self._lock:
            if generation != self.generation:
                return
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
