"""Server time of the back office's product list, a page of 50 with their thumbnails'
links, price and stock: ``python -m bench.pages [--products 10000] [--requests 200]``.
Times whole requests through the app in process (no network, no browser), signed in
with a session cookie, and prints the median and the 95th percentile in ms; the
budget is 50 ms."""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from bench import loader
from xmlapi import create_app, migrate
from xmlapi.catalog import auth
from xmlapi.db import make_engine, session_scope
from xmlapi.settings import Settings

BUDGET_MS = 50.0
PAGES = ("/catalog/", "/catalog/?sort=sell_price&direction=desc&page=3", "/catalog/?search=a")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/bench.db")
        migrate.upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        loader.load(engine, args.products)
        with session_scope(engine) as session:
            auth.save_user(session, "bench", "bench password")
        client = create_app(settings).test_client()
        form = client.get("/catalog/sign-in/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form).group(1)
        signed = client.post(
            "/catalog/sign-in/",
            data={"name": "bench", "password": "bench password", "csrf_token": token},
        )
        assert signed.status_code == 303, signed.status_code
        for path in PAGES:
            report(path, time_page(client, path, args.requests), args.products)


def time_page(client, path: str, count: int) -> list[float]:
    for _ in range(10):  # warm: caches, compiled statements, templates
        assert client.get(path).status_code == 200
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(path: str, times: list[float], products: int) -> None:
    median = statistics.median(times)
    p95 = statistics.quantiles(times, n=20)[-1]
    verdict = "within" if p95 < BUDGET_MS else "OVER"
    print(
        f"pages list {path:<48} {products} products: median {median:.1f} ms, "
        f"p95 {p95:.1f} ms ({verdict} the {BUDGET_MS:.0f} ms budget)"
    )


if __name__ == "__main__":
    main()
