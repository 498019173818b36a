"""What the change feed costs a write: PUT under lock with the feed against the same
service with ``XMLAPI_FEED=0`` (a setting that exists for this comparison only), both up
at once, each on a database of its own loaded alike (so neither waits for the other's
writes), measured in alternation, the median of each kept.

    python -m bench.feed_cost [--products 2000] [--duration 4] [--rounds 3]
                              [--database-url URL --bare-database-url URL2]

The feed's share of a write: an UPDATE of the clock row (numbers and stamp), an UPDATE
of the products' stamp and an INSERT .. ON CONFLICT of their entries, in the write's
transaction (one statement on PostgreSQL, three on SQLite). The target is >= 90% of the
rate without it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from bench.run import (
    LOCKED_PRODUCTS,
    Row,
    _median,
    gunicorn,
    load_catalog,
    log_in,
    prepare_database,
    put_under_lock,
    ratio_row,
    render_table,
)


def measure(args, feed_env: dict, bare_env: dict, ids: list[int], bare_ids: list[int]) -> list[Row]:
    with (
        gunicorn("wsgi:app", feed_env, args.workers, args.threads) as (feed_host, feed_master),
        gunicorn("wsgi:app", bare_env, args.workers, args.threads) as (bare_host, bare_master),
    ):
        feed_cookie, bare_cookie = log_in(feed_host), log_in(bare_host)
        with_feed, without = [], []
        for _ in range(args.rounds):
            put, _ = put_under_lock(feed_host, feed_master, feed_cookie, ids, args.duration)
            with_feed.append(put)
            put, _ = put_under_lock(bare_host, bare_master, bare_cookie, bare_ids, args.duration)
            without.append(put)
    return [
        ratio_row(
            f"PUT under lock with the feed ({LOCKED_PRODUCTS} in turn)",
            _median(with_feed),
            _median(without),
            "the same, XMLAPI_FEED=0",
        )
    ]


def _twin(url: str, workdir: Path) -> str:
    """A second database like ``url``'s: a SQLite file, or ``<name>_bare`` beside it on
    the same PostgreSQL server (created when missing)."""
    if not url.startswith("postgresql"):
        return f"sqlite:///{workdir / 'bare.db'}"
    parsed = make_url(url)
    name = f"{parsed.database}_bare"
    maintenance = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with maintenance.connect() as connection:
        if not connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    maintenance.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=os.environ.get("XMLAPI_BENCH_DATABASE_URL"))
    parser.add_argument(
        "--bare-database-url",
        default=os.environ.get("XMLAPI_BENCH_BARE_DATABASE_URL"),
        help="the database of the service without the feed (default: a twin of the other)",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="xmlapi-bench-feed-"))
    url = args.database_url or f"sqlite:///{workdir / 'feed.db'}"
    bare_url = args.bare_database_url or _twin(url, workdir)
    try:
        envs, ids = [], []
        for name, database in (("feed", url), ("bare", bare_url)):
            (workdir / name).mkdir()
            prepare_database(database)
            ids.append(load_catalog(database, args.products, workdir / name))
            envs.append(
                {
                    "XMLAPI_DATA_DIR": str(workdir / name),
                    "XMLAPI_DATABASE_URL": database,
                    "XMLAPI_RATELIMIT_DEFAULT": "100000000/minute",
                    "XMLAPI_LOG_LEVEL": "WARNING",
                }
            )
        envs[1]["XMLAPI_FEED"] = "0"
        rows = measure(args, envs[0], envs[1], ids[0], ids[1])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(render_table(rows, f"## The change feed's cost to a write ({database})"))


if __name__ == "__main__":
    main()
