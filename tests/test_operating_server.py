"""Metrics under gunicorn: every worker's counts in every scrape."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict

from tests.conftest import add_users, basic, empty_tables
from tests.server import gunicorn
from tests.test_server import request

pytestmark = pytest.mark.server

SAMPLE = 'xmlapi_requests_total{endpoint="products.list",method="GET",status="200"}'


def _count(base: str) -> float:
    status, _, body = request(base, "GET", "/metrics")
    assert status == 200, body
    for line in body.decode().splitlines():
        if line.startswith(SAMPLE + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _processes_that_counted(directory: Path) -> set[str]:
    """The counter files (one per process) holding counts of products.list."""
    return {
        path.name
        for path in directory.glob("counter_*.db")
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path))
        if "products.list" in key and value > 0
    }


def test_metrics_count_a_request_under_its_endpoint_name_across_two_workers(
    database_url, engine, tmp_path
):
    add_users(engine)
    env = {"XMLAPI_DATABASE_URL": database_url, "XMLAPI_DATA_DIR": str(tmp_path)}
    stale = tmp_path / "metrics" / "counter_1.db"  # a previous run's file
    stale.parent.mkdir()
    stale.write_bytes(b"left over")
    alice = {"Authorization": basic("alice")}
    try:
        with gunicorn(env, workers=2, threads=2) as base:
            assert not stale.exists()  # emptied at start
            # One worker may take every connection for a while: send rounds of 40 until
            # both have counted (bounded), then every scrape must sum both.
            sent = 0
            for _round in range(10):
                with ThreadPoolExecutor(8) as pool:
                    answers = list(
                        pool.map(
                            lambda _: request(base, "GET", "/api/products/", headers=alice)[0],
                            range(40),
                        )
                    )
                assert answers == [200] * 40
                sent += 40
                if len(_processes_that_counted(tmp_path / "metrics")) == 2:
                    break
            assert len(_processes_that_counted(tmp_path / "metrics")) == 2
            # A worker counts a request once its answer is out: wait (bounded) until the
            # last one is counted, then each scrape, whichever worker answers it, sums
            # every worker's counts.
            deadline = time.monotonic() + 5
            while _count(base) != float(sent) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert {_count(base) for _ in range(6)} == {float(sent)}
    finally:
        empty_tables(engine)
