"""Rate limits: a budget per user, a smaller one for failed logins, visible in headers."""

from __future__ import annotations

import pytest
import redis

from tests.conftest import basic, client_of
from tests.helpers import error_type

REDIS_URL = "redis://127.0.0.1:6379"


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


@pytest.fixture
def redis_app(app):
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.ConnectionError as exc:  # a failure, not a skip: Redis is part of CI
        pytest.fail(f"Redis is not answering at {REDIS_URL}: {exc}")
    for key in connection.scan_iter("LIMITS:*/xmlapi/*"):
        connection.delete(key)
    connection.close()
    settings = app.extensions["xmlapi.settings"]
    return settings.replace(ratelimit_storage=REDIS_URL, ratelimit_default="6/minute")


def test_redis_shares_the_budget_between_workers(redis_app, make_app):
    first, second = make_app(redis_app), make_app(redis_app)  # two workers
    on_first, on_second = client_of(first, "bob"), client_of(second, "bob")
    for _ in range(3):
        assert on_first.get("/api/").status_code == 200
        assert on_second.get("/api/").status_code == 200
    assert on_first.get("/api/").status_code == 429
    assert on_second.get("/api/").status_code == 429
