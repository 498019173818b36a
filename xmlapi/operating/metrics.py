"""Prometheus metrics: counted in each process (files under PROMETHEUS_MULTIPROC_DIR when
gunicorn's workers share them), plus figures read from the database when scraped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Connection, func, select

from xmlapi.models import ApiSession, PhotoScale, ProductLock
from xmlapi.models.types import utcnow

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "LOCK", "UNLOCK", "OPTIONS"})
UNMATCHED = "unmatched"  # requests no route took (404, 405, refusals before routing)
disable_created_metrics()  # a *_created series for every counter doubles the scrape

REQUESTS = Counter(
    "xmlapi_requests_total",
    "Requests answered, by endpoint name (the registry's view), method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "xmlapi_request_duration_seconds",
    "Time from the request reaching the app to the end of its answer, by endpoint.",
    ["endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter(
    "xmlapi_rate_limit_refusals_total", "Requests refused with 429 by the rate limits."
)
CACHE_LOOKUPS = Counter(
    "xmlapi_render_cache_lookups_total",
    "Render-cache lookups, by cache and result (hit or miss).",
    ["cache", "result"],
)


# Each label set's children, found once: ``labels()`` takes a lock and builds a key on
# every call, a third of the cost of counting a request.
_counted: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request."""
    if method not in METHODS:
        method = "other"  # clients may send any method: the label set must stay small
    key = (endpoint, method, status)
    children = _counted.get(key)
    if children is None:
        children = _counted[key] = (
            REQUESTS.labels(endpoint, method, str(status)),
            LATENCY.labels(endpoint),
        )
    children[0].inc()
    children[1].observe(seconds)
    if status == 429:
        RATE_LIMITED.inc()


def count_lookups(cache: str, hits: int, misses: int) -> None:
    if hits:
        CACHE_LOOKUPS.labels(cache, "hit").inc(hits)
    if misses:
        CACHE_LOOKUPS.labels(cache, "miss").inc(misses)


class DatabaseFigures:
    """Gauges read from the database at scrape time: one cheap aggregate each."""

    def __init__(self, connection: Connection):
        now = utcnow()
        self.locks = connection.scalar(
            select(func.count()).select_from(ProductLock).where(ProductLock.expires > now)
        )
        self.sessions = connection.scalar(
            select(func.count()).select_from(ApiSession).where(ApiSession.expires > now)
        )
        self.photo_bytes = connection.scalar(
            select(func.coalesce(func.sum(PhotoScale.byte_size), 0))
        )

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("xmlapi_locks_held", "Product locks not expired.", self.locks)
        yield GaugeMetricFamily("xmlapi_sessions_open", "Sessions not expired.", self.sessions)
        yield GaugeMetricFamily(
            "xmlapi_photo_bytes_stored", "Bytes of every stored photo file.", self.photo_bytes
        )


def exposition(connection: Connection) -> bytes:
    """The scrape: every process's counters and the database's figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    figures = CollectorRegistry(auto_describe=False)
    figures.register(DatabaseFigures(connection))
    return generate_latest(counted) + generate_latest(figures)
