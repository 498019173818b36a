"""Rate limits: one budget per user across the whole API, and a much smaller one for
logins per address. Every answer says how much budget is left
(X-RateLimit-Limit, -Remaining, -Reset); a 429 says when to come back (Retry-After).

The counters are kept by the `limits` library (Flask-Limiter's engine) in the storage
XMLAPI_RATELIMIT_STORAGE names. We call it once per request ourselves: Flask-Limiter's
per-route machinery cost 140 us a request here, the counter itself 6 us.

The limits never take the API down: when the storage fails or does not answer within
XMLAPI_RATELIMIT_TIMEOUT_SECONDS, counting goes on in this process's memory for a while
(`degraded()` says so, and the failure is logged once per while), then the storage is
tried again.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask, Response, current_app, g, request
from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from werkzeug.exceptions import TooManyRequests

from xmlapi import generation
from xmlapi.generation import WorkerMemory
from xmlapi.http import endpoints, memory
from xmlapi.settings import Settings

NAMESPACE = "xmlapi"
# Light requests (images, and conditional requests, which mostly end in 304) have their
# own budget, this many times the default: a page of 50 thumbnails spends one request
# of the caller's budget, not 51.
LIGHT_FACTOR = 20
# After a storage failure, how long counting stays in memory before the storage is
# tried again (and how often the failure is logged at most).
RETRY_SECONDS = 10.0
# Entries (sessions, product tags, pages) a worker keeps at one generation.
MEMORY_SIZE = 16384

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    """What is left of the caller's budget after this request."""

    limit: int
    remaining: int
    reset_at: float  # epoch seconds

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))


def _storage(settings: Settings) -> Storage:
    if settings.ratelimit_storage.startswith("memory://"):
        return MemoryStorage()
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    timeout = settings.ratelimit_timeout_seconds
    return storage_from_string(
        settings.ratelimit_storage,
        wrap_exceptions=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),  # a retry would double the wait; we fall back instead
    )


class FailOpenStorage:
    """The configured storage, replaced by process memory while it fails."""

    def __init__(self, storage: Storage):
        self.primary = storage
        self.fallback = MemoryStorage()
        self.retry_seconds = RETRY_SECONDS
        self._failed_until = 0.0
        self._lock = threading.Lock()

    def degraded(self) -> bool:
        """Whether counting happens in this process only, the storage having failed."""
        return time.monotonic() < self._failed_until

    def call(self, operation: Callable[[Storage], T]) -> T:
        """``operation`` on the storage; on the fallback when the storage fails."""
        if not self.degraded():
            try:
                return operation(self.primary)
            except StorageError as exc:
                self._fail(exc)
        return operation(self.fallback)

    def _fail(self, exc: StorageError) -> None:
        with self._lock:
            if self.degraded():
                return  # another thread logged it already
            self._failed_until = time.monotonic() + self.retry_seconds
        log.error(
            "rate-limit storage failed (%s); counting in process memory for %.0f s",
            exc.storage_error,
            self.retry_seconds,
        )


# INCR, its window's expiry when it opens it, the time left and the catalog's generation
# (see xmlapi.generation): one round trip to Redis where `limits` makes two (its incr
# script, then TTL) and the worker's memory would need a third. The count's key is the
# one `limits` uses.
COUNT_AND_TTL = (
    generation.CURRENT
    + """
local used = redis.call('INCRBY', KEYS[1], 1)
if used == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {used, redis.call('TTL', KEYS[1]), current_generation(KEYS[2])}
"""
)
_GENERATION = generation.CURRENT + "return current_generation(KEYS[1])"


def count_and_expiry(storage: Storage, key: str, expiry: int) -> tuple[int, float, bytes | None]:
    """Count one hit on ``key`` (a window of ``expiry`` seconds opens with the first):
    the count, when the window ends (epoch seconds), and the catalog's generation (None
    without Redis)."""
    if not isinstance(storage, RedisStorage):
        return storage.incr(key, expiry), storage.get_expiry(key), None
    keys = [storage.prefixed_key(key), generation.KEY]
    used, ttl, current = _run(storage, "xmlapi_count_and_ttl", COUNT_AND_TTL, keys, [expiry])
    return int(used), max(int(ttl), 0) + time.time(), current


def generation_of(storage: Storage) -> bytes | None:
    """The catalog's generation alone (None without Redis)."""
    if not isinstance(storage, RedisStorage):
        return None
    return _run(storage, "xmlapi_generation", _GENERATION, [generation.KEY], [])


def _run(storage: RedisStorage, name: str, source: str, keys: list, args: list):
    """Run a script of ours on the storage's connection (registered once, as ``name``)."""
    script = getattr(storage, name, None)
    if script is None:
        script = storage.get_connection().register_script(source)
        setattr(storage, name, script)
    try:
        return script(keys, args)
    except storage.base_exceptions as exc:
        raise StorageError(exc) from exc


class RateLimits:
    """The per-user budget and the login budget, over one storage."""

    def __init__(self, *, settings: Settings):
        self.storage = FailOpenStorage(_storage(settings))
        self.default = parse(settings.ratelimit_default)
        self.light = type(self.default)(
            self.default.amount * LIGHT_FACTOR, self.default.multiples, self.default.namespace
        )
        self.failed_login = parse(settings.ratelimit_failed_login)

    def spend(self, caller: str, light: bool = False) -> tuple[bool, Budget, bytes | None]:
        """Count one request of ``caller``: whether it is within budget, what is left,
        and the catalog's generation (None without Redis, or while it fails). A
        ``light`` request counts against the caller's light budget instead.

        This is the fixed-window strategy's own ``hit``, done on the storage directly so
        that the count it returns gives the remaining budget: one round trip to Redis a
        request instead of four.
        """
        item = self.light if light else self.default
        key = item.key_for(NAMESPACE, caller)
        expiry = item.get_expiry()
        used, reset_at, current = self.storage.call(
            lambda storage: count_and_expiry(storage, key, expiry)
        )
        budget = Budget(item.amount, max(0, item.amount - used), reset_at)
        return used <= item.amount, budget, current

    def generation(self) -> bytes | None:
        """The catalog's generation now (None without Redis, or while it fails)."""
        return self.storage.call(generation_of)

    def login_allowed(self, address: str) -> bool:
        """Whether ``address`` is within its login budget (without spending any)."""
        key = self.failed_login.key_for(NAMESPACE, "login", address)
        return self.storage.call(lambda storage: storage.get(key)) < self.failed_login.amount

    def spend_login(self, address: str) -> bool:
        """Count a login attempt of ``address`` before checking it; False when over.

        Counting first, in one atomic increment, is what keeps parallel guesses from
        all passing a check made before any of them is counted.
        """
        key = self.failed_login.key_for(NAMESPACE, "login", address)
        expiry = self.failed_login.get_expiry()
        used = self.storage.call(lambda storage: storage.incr(key, expiry))
        return used <= self.failed_login.amount

    def refund_login(self, address: str) -> None:
        """Give back the attempt a successful login spent: only failures count."""
        key = self.failed_login.key_for(NAMESPACE, "login", address)
        expiry = self.failed_login.get_expiry()
        self.storage.call(lambda storage: storage.incr(key, expiry, amount=-1))

    def login_refused(self, address: str) -> TooManyRequests:
        key = self.failed_login.key_for(NAMESPACE, "login", address)
        reset_at = self.storage.call(lambda storage: storage.get_expiry(key))
        return TooManyRequests(
            "Too many failed logins from this address; try again later.",
            retry_after=Budget(self.failed_login.amount, 0, reset_at).retry_after,
        )


def _limits() -> RateLimits:
    return current_app.extensions["xmlapi.limits"]


def _address() -> str:
    return request.remote_addr or "unknown"


def degraded(app: Flask | None = None) -> bool:
    """Whether rate limiting has fallen back to process memory (its storage failed)."""
    limits: RateLimits = (app or current_app).extensions["xmlapi.limits"]
    return limits.storage.degraded()


def check_login_allowed() -> None:
    """429 when the caller's address has failed to log in too often lately; asked before
    credentials are checked in any way, so that a right guess looks like a wrong one."""
    if not _limits().login_allowed(_address()):
        raise _limits().login_refused(_address())


def spend_login() -> None:
    """Count a login attempt before the password is hashed; 429 when over the budget."""
    if not _limits().spend_login(_address()):
        raise _limits().login_refused(_address())


def refund_login() -> None:
    _limits().refund_login(_address())


def spend() -> None:
    """Before every authenticated /api request: count it against the caller's budget
    (unless ``spend_early`` counted it already)."""
    identity = g.get("identity")
    if identity is None:
        return
    if g.get("spent_for") == identity.user_id:
        allowed = g.spent_within
    else:
        allowed, g.budget, current = _limits().spend(f"user:{identity.user_id}", light=_light())
        memory.learn(current)
    if not allowed:
        raise TooManyRequests("Too many requests; slow down.", retry_after=g.budget.retry_after)


def spend_early(user_id: int) -> bytes | None:
    """Count the request against the budget of ``user_id`` while its session is still
    being checked, for the catalog's generation that comes with the count (the worker's
    memory of that session needs it first); returns it. The 429 comes from ``spend``,
    once the caller is known."""
    g.spent_within, g.budget, current = _limits().spend(f"user:{user_id}", light=_light())
    g.spent_for = user_id
    return memory.learn(current)


def current_generation() -> bytes | None:
    """The catalog's generation alone (None without Redis): for a request that has not
    been counted yet and is about to read rows the worker may keep."""
    return memory.learn(_limits().generation())


def _light() -> bool:
    """Whether the request counts against the light budget: its registry entry says so
    (images), or it is a conditional GET (answered 304 while the client's copy holds;
    one that is not is charged in full afterwards, see ``charge_full_answers``)."""
    entry = endpoints.lookup(request.endpoint, request.method)
    if entry is not None and entry.light:
        return True
    g.revalidating = request.method in {"GET", "HEAD"} and "If-None-Match" in request.headers
    return g.revalidating


def charge_full_answers(response: Response) -> Response:
    """A conditional GET that got the whole answer, not a 304, costs a whole request:
    an If-None-Match that never matches buys no larger budget."""
    if g.pop("revalidating", False) and response.status_code != 304:
        _limits().spend(f"user:{g.identity.user_id}")
    return response


def add_headers(response: Response) -> Response:
    budget = g.get("budget")
    if budget is not None:
        response.headers["X-RateLimit-Limit"] = str(budget.limit)
        response.headers["X-RateLimit-Remaining"] = str(budget.remaining)
        response.headers["X-RateLimit-Reset"] = str(math.ceil(budget.reset_at))
    return response


def init_app(app: Flask) -> None:
    app.extensions["xmlapi.limits"] = RateLimits(settings=app.extensions["xmlapi.settings"])
    app.extensions[memory.EXTENSION] = WorkerMemory(size=MEMORY_SIZE)
    app.before_request(spend)
    app.after_request(add_headers)
    app.after_request(charge_full_answers)
