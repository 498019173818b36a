"""Rate limits: a budget per user, a smaller one for failed logins, visible in headers."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from tests.conftest import basic, client_of
from tests.helpers import error_type
from xmlapi import generation
from xmlapi.catalog import auth as catalog_auth
from xmlapi.http import limits

# Redis of CI; XMLAPI_TEST_REDIS_URL picks a database of its own.
REDIS_URL = os.environ.get("XMLAPI_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def limited(app, make_app):
    settings = app.extensions["xmlapi.settings"]
    return make_app(
        settings.replace(ratelimit_default="5/minute", ratelimit_failed_login="3/minute")
    )


def test_every_answer_carries_the_remaining_budget(client):
    response = client.get("/api/products/")
    assert response.headers["X-RateLimit-Limit"] == "1200"
    assert int(response.headers["X-RateLimit-Remaining"]) == 1199
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    again = client.get("/api/products/")
    assert int(again.headers["X-RateLimit-Remaining"]) == 1198


def test_over_the_limit_is_an_xml_429_with_retry_after(limited):
    alice = client_of(limited, "alice")
    for _ in range(5):
        assert alice.get("/api/").status_code == 200
    response = alice.get("/api/products/")
    assert response.status_code == 429
    assert error_type(response) == "rate.limited"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_the_budget_is_per_user(limited):
    alice, bob = client_of(limited, "alice"), client_of(limited, "bob")
    for _ in range(6):
        alice.get("/api/")
    assert alice.get("/api/").status_code == 429
    assert bob.get("/api/").status_code == 200


def test_failed_logins_are_limited_harder(limited):
    stranger = client_of(limited, None)
    wrong = {"Authorization": basic("alice", "guess")}
    for _ in range(3):
        assert stranger.get("/api/", headers=wrong).status_code == 401
    response = stranger.get("/api/", headers={"Authorization": basic("alice")})
    assert response.status_code == 429
    assert error_type(response) == "rate.limited"
    assert int(response.headers["Retry-After"]) > 0


def test_a_session_in_hand_is_not_stopped_by_failed_logins_elsewhere(limited):
    alice = client_of(limited, "alice")
    assert alice.get("/api/").status_code == 200
    stranger = client_of(limited, None)
    for _ in range(4):
        stranger.get("/api/", headers={"Authorization": basic("bob", "guess")})
    assert alice.get("/api/").status_code == 200  # her cookie needs no login


def _failed_logins(app, forwarded_for: list[str]) -> list[int]:
    """One wrong login from each X-Forwarded-For address in turn; their statuses."""
    stranger = client_of(app, None)
    wrong = {"Authorization": basic("alice", "guess")}
    return [
        stranger.get("/api/", headers={**wrong, "X-Forwarded-For": address}).status_code
        for address in forwarded_for
    ]


def test_behind_a_trusted_proxy_failed_logins_count_by_the_forwarded_address(app, make_app):
    settings = app.extensions["xmlapi.settings"]
    proxied = make_app(settings.replace(ratelimit_failed_login="3/minute", trusted_proxies=1))
    assert _failed_logins(proxied, ["203.0.113.5"] * 4) == [401, 401, 401, 429]
    # Everyone else behind the same proxy (the same connection address) still logs in.
    right = {"Authorization": basic("bob"), "X-Forwarded-For": "203.0.113.9"}
    assert client_of(proxied, None).get("/api/", headers=right).status_code == 200


def test_without_a_trusted_proxy_x_forwarded_for_is_not_believed(limited):
    # A client cannot dodge the limit by naming another address each time.
    addresses = [f"198.51.100.{n}" for n in range(4)]
    assert _failed_logins(limited, addresses) == [401, 401, 401, 429]


@pytest.fixture
def redis_app(app, monkeypatch):
    """Settings counting on the Redis of CI, under keys of this test alone: other xdist
    workers and other runs share that Redis, and the users' ids repeat between them."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError as exc:  # a failure, not a skip: Redis is part of CI
        pytest.fail(f"Redis is not answering at {REDIS_URL}: {exc}")
    prefix = f"LIMITS-test-{os.getpid()}-{random.randrange(2**32)}"
    # The catalog's generation too: a write in another worker's test would move a shared
    # counter on, and empty this test's worker memory under it.
    monkeypatch.setattr(generation, "KEY", f"{prefix}:generation")
    real_storage = limits.storage_from_string
    monkeypatch.setattr(
        limits,
        "storage_from_string",
        lambda uri, **options: real_storage(uri, key_prefix=prefix, **options),
    )
    settings = app.extensions["xmlapi.settings"]
    yield settings.replace(ratelimit_storage=REDIS_URL, ratelimit_default="6/minute")
    for key in connection.scan_iter(f"{prefix}:*"):
        connection.delete(key)
    connection.close()


def test_redis_shares_the_budget_between_workers(redis_app, make_app):
    first, second = make_app(redis_app), make_app(redis_app)  # two workers
    on_first, on_second = client_of(first, "bob"), client_of(second, "bob")
    for _ in range(3):
        assert on_first.get("/api/").status_code == 200
        assert on_second.get("/api/").status_code == 200
    assert on_first.get("/api/").status_code == 429
    assert on_second.get("/api/").status_code == 429


# The storage failing never takes the API down (issue 10, item 14) ------------------


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once it is closed


def failing_app(app, make_app, port: int):
    settings = app.extensions["xmlapi.settings"]
    return make_app(
        settings.replace(
            ratelimit_storage=f"redis://127.0.0.1:{port}",
            ratelimit_default="5/minute",
            ratelimit_failed_login="3/minute",
            ratelimit_timeout_seconds=0.1,
        )
    )


def timed(call) -> tuple[float, object]:
    start = time.monotonic()
    result = call()
    return time.monotonic() - start, result


def assert_fails_open(failing, caplog) -> None:
    alice = client_of(failing, "alice")
    stranger = client_of(failing, None)
    caplog.set_level(logging.ERROR, logger="xmlapi.http.limits")
    took, response = timed(lambda: alice.get("/api/products/"))
    assert response.status_code == 200
    assert took < 1.5
    assert limits.degraded(failing)
    took, response = timed(
        lambda: stranger.get("/api/", headers={"Authorization": basic("bob", "x")})
    )
    assert response.status_code == 401
    assert took < 0.5
    # counting goes on in memory meanwhile: the limits still hold in this process
    for _ in range(4):
        assert alice.get("/api/").status_code == 200
    assert alice.get("/api/").status_code == 429
    for _ in range(2):
        stranger.get("/api/", headers={"Authorization": basic("bob", "x")})
    assert stranger.get("/api/", headers={"Authorization": basic("bob")}).status_code == 429
    failures = [r for r in caplog.records if "rate-limit storage failed" in r.getMessage()]
    assert len(failures) == 1  # once per interval, not per request


def test_a_redis_that_is_down_fails_open(app, make_app, caplog):
    assert_fails_open(failing_app(app, make_app, closed_port()), caplog)


def test_a_redis_that_never_answers_fails_open_fast(app, make_app, caplog):
    with silent_server() as port:
        failing = failing_app(app, make_app, port)
        assert_fails_open(failing, caplog)
        took, _ = timed(lambda: [client_of(failing, "bob").get("/api/") for _ in range(10)])
        assert took < 2  # not 10 timeouts: the storage is left alone for a while


def test_the_storage_is_tried_again_after_a_while(app, make_app, monkeypatch):
    monkeypatch.setattr(limits, "RETRY_SECONDS", 0.2)
    failing = failing_app(app, make_app, closed_port())
    alice = client_of(failing, "alice")
    assert alice.get("/api/").status_code == 200
    assert limits.degraded(failing)
    time.sleep(0.3)
    assert not limits.degraded(failing)
    assert alice.get("/api/").status_code == 200
    assert limits.degraded(failing)  # tried, failed again


def test_a_working_storage_is_not_degraded(client, app):
    assert client.get("/api/").status_code == 200
    assert not limits.degraded(app)


def test_parallel_wrong_passwords_over_two_workers_on_redis(redis_app, make_app, monkeypatch):
    settings = redis_app.replace(ratelimit_failed_login="10/minute")
    workers = [make_app(settings), make_app(settings)]
    hashed = []
    real_check = catalog_auth.check_password_hash

    def slow_check(*args):
        hashed.append(1)
        time.sleep(0.02)
        return real_check(*args)

    monkeypatch.setattr(catalog_auth, "check_password_hash", slow_check)

    address = f"10.{os.getpid() % 256}.{random.randrange(256)}.{random.randrange(256)}"

    def guess(n: int) -> int:
        client = client_of(workers[n % 2], None)
        client.environ_base["REMOTE_ADDR"] = address  # apart from other runs on this Redis
        return client.get(
            "/api/", headers={"Authorization": basic("alice", f"guess {n}")}
        ).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(guess, range(64)))
    assert len(hashed) <= 10
    assert statuses.count(429) == 64 - len(hashed)


def test_a_counted_request_is_one_round_trip_to_redis(redis_app, make_app, monkeypatch):
    """The count and its window's end come back together (one script), and the window
    opens with the first request only."""
    worker = make_app(redis_app)
    storage = worker.extensions["xmlapi.limits"].storage.primary
    commands = []
    connection = storage.get_connection()
    real_execute = type(connection).execute_command
    requests_thread = threading.get_ident()

    def counting(self, *args, **options):
        commands.append((args[0], threading.get_ident() == requests_thread))
        return real_execute(self, *args, **options)

    alice = client_of(worker, "alice")
    assert alice.get("/api/").status_code == 200  # logs in (its own counters)
    monkeypatch.setattr(type(connection), "execute_command", counting)
    first = alice.get("/api/")
    second = alice.get("/api/")
    # The requests' own round trips, by any client of the app: a thread of another test's
    # app (retrying a generation bump against a Redis it was told is down) is not theirs.
    of_requests = [command for command, in_requests in commands if in_requests]
    assert of_requests == ["EVALSHA", "EVALSHA"], commands
    assert first.headers["X-RateLimit-Remaining"] == "4"
    assert second.headers["X-RateLimit-Remaining"] == "3"
    reset = int(first.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61
    assert int(second.headers["X-RateLimit-Reset"]) == reset  # the same window


def test_the_window_expires_in_redis(redis_app, make_app):
    worker = make_app(redis_app)
    storage = worker.extensions["xmlapi.limits"].storage.primary
    used, reset_at, _ = limits.count_and_expiry(storage, "probe", 30)
    assert used == 1 and time.time() < reset_at <= time.time() + 31
    assert limits.count_and_expiry(storage, "probe", 30)[0] == 2
    assert 0 < storage.get_connection().ttl(storage.prefixed_key("probe")) <= 30
    assert storage.get("probe") == 2  # the key `limits` itself reads
