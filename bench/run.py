"""`make bench`: the service under gunicorn on a loopback port, driven by wrk, each figure
next to its ceiling measured in the same run with the same server settings.

    python -m bench.run [--products 10000] [--duration 5] [--workers 2] [--threads 4]
                        [--create 2000] [--scaling] [--database-url URL]

SQLite by default; XMLAPI_BENCH_DATABASE_URL (or --database-url) runs on PostgreSQL, with
the rate-limit counters in the Redis on 127.0.0.1:6379. The table goes to stdout and to
bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import http.client
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from lxml import etree
from sqlalchemy import create_engine, text

from bench import loader
from xmlapi import migrate
from xmlapi.catalog.auth import save_user
from xmlapi.db import Base, session_scope

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.md"
USER, PASSWORD = "bench", "bench password"
WRK_CONNECTIONS = 8
LOCKED_PRODUCTS = 64  # the PUT scenario writes these in turn


@dataclass
class Row:
    scenario: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    ceiling: str = ""
    ratio: float | None = None
    note: str = ""


# Servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int, threads: int) -> Iterator[tuple]:
    """Serve ``app`` on a free loopback port; yields (base URL, master pid)."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        "gunicorn.conf.py",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "/dev/null",
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{app} did not start: {process.stderr.read()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            time.sleep(0.1)
        time.sleep(0.5)  # let every worker finish booting
        yield f"127.0.0.1:{port}", process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        process.stderr.close()


def request(
    host: str, method: str, path: str, headers: dict | None = None, body: bytes | None = None
) -> tuple[int, dict, bytes]:
    hostname, port = host.split(":")
    connection = http.client.HTTPConnection(hostname, int(port), timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def workers_of(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                pids.append(int(stat.parent.name))
    return pids


def memory_kb(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1))


def reset_peak(pid: int) -> None:
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)


# wrk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(
    url: str,
    duration: int,
    script: str = "headers.lua",
    env: dict | None = None,
    connections: int = WRK_CONNECTIONS,
    threads: int = 1,
) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 in ms for ``url``."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "wrk" / script),
        url,
    ]
    output = subprocess.run(
        command,
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
        text=True,
        timeout=duration + 120,
    ).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk saw errors on {url}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50, p99 = (_latency(output, percent) for percent in ("50%", "99%"))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return Measured(rps, p50, p99, requests)


def _latency(output: str, percent: str) -> float:
    value, unit = re.search(
        rf"^\s+{percent}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE
    ).groups()
    return float(value) * _UNITS[unit]


# The run ---------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            Base.metadata.drop_all(connection)
        engine.dispose()
    migrate.upgrade(url)


def load_catalog(url: str, products: int) -> list[int]:
    engine = create_engine(url)
    try:
        ids = loader.load(engine, products)
        with session_scope(engine) as session:
            save_user(session, USER, PASSWORD)
    finally:
        engine.dispose()
    return ids


def log_in(host: str) -> str:
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    status, headers, body = request(host, "GET", "/api/", {"Authorization": f"Basic {basic}"})
    assert status == 200, body
    return headers["Set-Cookie"].split(";", 1)[0]


def ratio_row(name: str, measured: Measured, ceiling: Measured, ceiling_name: str) -> Row:
    return Row(
        name,
        measured.rps,
        measured.p50_ms,
        measured.p99_ms,
        f"{ceiling_name}: {ceiling.rps:,.0f}/s",
        measured.rps / ceiling.rps,
    )


def versions(host: str, cookie: str, paths: list[str]) -> int:
    """The sum of the products' row versions (from their ETags: "id-version-generation")."""
    total = 0
    for path in paths:
        status, headers, _ = request(host, "GET", path, {"Cookie": cookie})
        assert status == 200
        total += int(headers["ETag"].strip('"').split("-")[1])
    return total


def whole_catalog(host: str, master: int, cookie: str, count: int) -> tuple[Row, Row]:
    """Stream the whole list; time it, watch the workers' peak RSS, and compare with
    lxml serializing the same tree in-process."""
    workers = workers_of(master)
    for pid in workers:
        reset_peak(pid)
    baseline = {pid: memory_kb(pid, "VmRSS") for pid in workers}
    started = time.perf_counter()
    status, _, body = request(host, "GET", "/api/products/", {"Cookie": cookie})
    elapsed = time.perf_counter() - started
    assert status == 200, body[:500]
    growth = max(memory_kb(pid, "VmHWM") - baseline[pid] for pid in workers) / 1024
    tree = etree.fromstring(body)
    assert int(tree.get("total_count")) == count == len(tree)
    serial_started = time.perf_counter()
    etree.tostring(tree, encoding="UTF-8")
    serialized = time.perf_counter() - serial_started
    listing = Row(
        f"GET /api/products/ (all {count:,})",
        note=f"{elapsed:.2f} s, {len(body) / 1e6:.1f} MB",
        ceiling=f"lxml tostring: {serialized:.2f} s",
        ratio=serialized / elapsed,
    )
    memory = Row(f"worker peak RSS growth, list of {count:,}", note=f"{growth:.1f} MB")
    return listing, memory


def bulk_create(host: str, cookie: str, total: int, chunk_seconds: int = 10) -> Row:
    """Create products through POST /api/products/ with 4 connections until ``total``
    exist (wrk runs for a fixed time, so it runs in chunks)."""
    loaded = "/api/products/?count=0&filter=" + quote('family == "Load"')
    started, created, run = time.perf_counter(), 0, 0
    while created < total:
        run += 1
        subprocess.run(
            [
                "wrk",
                "-t2",
                "-c4",
                f"-d{chunk_seconds}s",
                "-s",
                str(ROOT / "bench" / "wrk" / "create.lua"),
                f"http://{host}/api/products/",
            ],
            env={**os.environ, "BENCH_COOKIE": cookie, "BENCH_RUN": str(run)},
            check=True,
            capture_output=True,
            text=True,
            timeout=chunk_seconds + 120,
        )
        status, _, body = request(host, "GET", loaded, {"Cookie": cookie})
        assert status == 200, body
        created = int(etree.fromstring(body).get("total_count"))
        loader.progress("created", min(created, total), total, started)
    elapsed = time.perf_counter() - started
    rate = created / elapsed
    return Row(
        "POST /api/products/ (4 connections)",
        rps=rate,
        note=f"{created:,} in {elapsed:.0f} s; 100k at this rate: {100_000 / rate / 60:.1f} min",
    )


def scenario_rows(args, env: dict, product_ids: list[int], workdir: Path) -> list[Row]:
    rows: list[Row] = []
    duration = args.duration
    with gunicorn("wsgi:app", env, args.workers, args.threads) as (host, master):
        cookie = log_in(host)
        headers = {"Cookie": cookie}
        detail_path = f"/api/products/{product_ids[len(product_ids) // 2]}/"
        ceiling_dir = workdir / "ceiling"
        ceiling_dir.mkdir()
        (ceiling_dir / "detail.xml").write_bytes(request(host, "GET", detail_path, headers)[2])
        (ceiling_dir / "list50.xml").write_bytes(
            request(host, "GET", "/api/products/?count=50", headers)[2]
        )
        cookie_env = {"BENCH_COOKIE": cookie}
        detail = wrk(f"http://{host}{detail_path}", duration, env=cookie_env)
        list50 = wrk(f"http://{host}/api/products/?count=50", duration, env=cookie_env)
        basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        basic_only = wrk(
            f"http://{host}{detail_path}", duration, env={"BENCH_AUTHORIZATION": f"Basic {basic}"}
        )
        locked = [f"/api/products/{pid}/" for pid in product_ids[:LOCKED_PRODUCTS]]
        for path in locked:
            assert request(host, "LOCK", path, headers)[0] == 200
        before = versions(host, cookie, locked)
        put = wrk(
            f"http://{host}{locked[0]}",
            duration,
            script="put.lua",
            env={**cookie_env, "BENCH_PATHS": ",".join(locked)},
        )
        written = versions(host, cookie, locked) - before
        # Every answered PUT wrote; those still in flight when wrk stopped may have too.
        assert put.requests <= written <= put.requests + WRK_CONNECTIONS, (put, written)
        listing, memory = whole_catalog(host, master, cookie, len(product_ids))
        if args.create:
            rows.append(bulk_create(host, cookie, args.create))
    with gunicorn(
        "bench.ceiling:app", {"BENCH_CEILING_DIR": str(ceiling_dir)}, args.workers, args.threads
    ) as (ceiling_host, _):
        detail_ceiling = wrk(f"http://{ceiling_host}/detail", duration)
        list_ceiling = wrk(f"http://{ceiling_host}/list50", duration)
    rows[:0] = [
        ratio_row("GET /api/products/X/ (full render)", detail, detail_ceiling, "bare Flask"),
        ratio_row("GET /api/products/?count=50", list50, list_ceiling, "bare Flask"),
        listing,
        ratio_row(
            f"PUT /api/products/X/ under lock ({LOCKED_PRODUCTS} in turn)", put, detail, "GET X"
        ),
        ratio_row("GET X, Basic credentials only", basic_only, detail, "GET X, cookie"),
        memory,
    ]
    return rows


def scaling_rows(args, env: dict, product_ids: list[int]) -> list[Row]:
    rows, first = [], None
    path = f"/api/products/{product_ids[len(product_ids) // 2]}/"
    for workers in (1, 2, 4):
        with gunicorn("wsgi:app", env, workers, args.threads) as (host, _):
            measured = wrk(
                f"http://{host}{path}", args.duration, env={"BENCH_COOKIE": log_in(host)}
            )
        first = first or measured
        rows.append(ratio_row(f"GET X with {workers} worker(s)", measured, first, "1 worker"))
    return rows


def render_table(rows: list[Row], header: str) -> str:
    lines = [
        header,
        "",
        "| scenario | req/s | p50 ms | p99 ms | ceiling | ratio | note |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for row in rows:
        cells = [
            row.scenario,
            f"{row.rps:,.0f}" if row.rps is not None else "",
            f"{row.p50_ms:.2f}" if row.p50_ms is not None else "",
            f"{row.p99_ms:.2f}" if row.p99_ms is not None else "",
            row.ceiling,
            f"{row.ratio:.0%}" if row.ratio is not None else "",
            row.note,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, AttributeError):
        cpu = re.search(r"model name\s+: (.+)", Path("/proc/cpuinfo").read_text()).group(1)
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--create", type=int, default=2_000, help="products to create through HTTP (0: skip)"
    )
    parser.add_argument("--scaling", action="store_true", help="also 1, 2 and 4 workers")
    parser.add_argument("--database-url", default=os.environ.get("XMLAPI_BENCH_DATABASE_URL"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="xmlapi-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {
        "XMLAPI_DATA_DIR": str(workdir),
        "XMLAPI_DATABASE_URL": url,
        "XMLAPI_RATELIMIT_DEFAULT": "100000000/minute",
        "XMLAPI_LOG_LEVEL": "WARNING",
    }
    if url.startswith("postgresql"):
        env["XMLAPI_RATELIMIT_STORAGE"] = "redis://127.0.0.1:6379"
    started = time.perf_counter()
    try:
        prepare_database(url)
        product_ids = load_catalog(url, args.products)
        rows = scenario_rows(args, env, product_ids, workdir)
        if args.scaling:
            rows += scaling_rows(args, env, product_ids)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    database = "PostgreSQL + Redis" if url.startswith("postgresql") else "SQLite"
    header = (
        f"## {dt.date.today()}: {args.products:,} products, {database}, gunicorn "
        f"{args.workers} workers x {args.threads} threads, wrk 1 thread "
        f"{WRK_CONNECTIONS} connections {args.duration} s\n\nMachine: {machine()}; "
        f"whole run {time.perf_counter() - started:.0f} s"
    )
    table = render_table(rows, header)
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table)


if __name__ == "__main__":
    main()
