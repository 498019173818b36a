"""Which statements move the catalog's generation on (``xmlapi.generation.watch``), and
when: after the connection that wrote goes back to the pool; reads and a session's
last-use never do; a bump that failed is owed until it goes through."""

from __future__ import annotations

import logging
import os
import time

import pytest
import redis
from sqlalchemy import text

from xmlapi import generation
from xmlapi.db import make_engine


class Counter:
    """A generation that counts its bumps (and can fail, as an unreachable Redis)."""

    def __init__(self):
        self.bumps = 0
        self.failing = False
        self.owed = False

    def bump(self) -> None:
        if self.failing:
            self.owed = True
            return
        self.bumps += 1
        self.owed = False


@pytest.fixture
def watched(tmp_path):
    counter = Counter()
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}", counter)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    counter.bumps = 0
    yield engine, counter
    engine.dispose()


def run(engine, statement: str, **options) -> None:
    with engine.connect() as connection:
        connection.execute(text(statement).execution_options(**options))
        connection.commit()


@pytest.mark.parametrize(
    "statement",
    ["SELECT n FROM t", "  select count(*) from t", "PRAGMA foreign_keys"],
)
def test_reads_do_not_move_it(watched, statement):
    engine, counter = watched
    run(engine, statement)
    assert counter.bumps == 0


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET n = 2",
        "DELETE FROM t",
        # a statement that starts as a query may write in its CTEs (the feed's seal)
        "WITH x AS (SELECT 1 AS n) INSERT INTO t SELECT n FROM x",
    ],
)
def test_writes_move_it_once_the_connection_is_back(watched, statement):
    engine, counter = watched
    with engine.connect() as connection:
        connection.execute(text(statement))
        connection.commit()
        assert counter.bumps == 0  # not before the connection is given back
    assert counter.bumps == 1


def test_a_write_marked_unseen_does_not_move_it(watched):
    engine, counter = watched
    run(engine, "UPDATE t SET n = 3", **{generation.UNSEEN: True})
    assert counter.bumps == 0


def test_a_failed_bump_is_owed_until_it_goes_through(watched):
    engine, counter = watched
    counter.failing = True
    run(engine, "INSERT INTO t VALUES (1)")
    assert counter.owed and counter.bumps == 0
    counter.failing = False
    run(engine, "SELECT n FROM t")  # any later use of the database pays the debt
    assert counter.bumps == 1 and not counter.owed


def test_a_real_generation_logs_a_failure_once_and_never_raises(caplog):
    unreachable = generation.Generation("redis://127.0.0.1:1", timeout=0.1)
    caplog.set_level(logging.ERROR, logger="xmlapi.generation")
    unreachable.bump()
    unreachable.bump()
    assert unreachable.owed
    assert caplog.text.count("could not move the catalog's generation on") == 1
    unreachable._bump = lambda keys: 1  # Redis is back: the retrying thread stops
    deadline = time.monotonic() + 5
    while unreachable.owed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not unreachable.owed


def test_an_owed_bump_is_retried_until_redis_takes_it_without_another_request(monkeypatch):
    # A worker that kept its memory through an outage trusts the counter as soon as
    # Redis answers again: the bump must not wait for this process's next request.
    real = generation.Generation("redis://127.0.0.1:6379", timeout=0.1)
    monkeypatch.setattr(real, "RETRY_SECONDS", 0.01)
    attempts = []

    def flaky(keys):
        attempts.append(keys)
        if len(attempts) < 4:
            raise redis.ConnectionError("unreachable")
        return 1

    monkeypatch.setattr(real, "_bump", flaky)
    real.bump()  # fails: owed, and a thread takes over
    deadline = time.monotonic() + 5
    while real.owed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not real.owed and len(attempts) == 4
    real.bump()
    assert len(attempts) == 5  # no retry left running: one call, one attempt


def test_without_redis_there_is_no_generation(settings):
    assert generation.from_settings(settings) is None
    with_redis = settings.replace(ratelimit_storage="redis://127.0.0.1:6379")
    assert isinstance(generation.from_settings(with_redis), generation.Generation)


def test_a_bump_moves_the_counter_in_redis(monkeypatch):
    from tests.test_limits import REDIS_URL

    monkeypatch.setattr(generation, "KEY", f"xmlapi-test-{os.getpid()}:generation")
    client = redis.Redis.from_url(REDIS_URL)
    before = int(client.get(generation.KEY) or 0)
    generation.Generation(REDIS_URL, timeout=1).bump()
    assert int(client.get(generation.KEY)) > before
