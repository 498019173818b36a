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
import secrets
import shutil
import signal
import socket
import statistics
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
from bench.photos_upload import photo_like_jpeg
from xmlapi import migrate
from xmlapi.catalog.auth import save_user
from xmlapi.catalog.photo_store import store_from_settings
from xmlapi.db import Base, session_scope
from xmlapi.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.md"
USER, PASSWORD = "bench", "bench password"
WRK_CONNECTIONS = 16
# The Redis of the PostgreSQL runs (XMLAPI_BENCH_REDIS_URL picks a database of its own).
REDIS_URL = os.environ.get("XMLAPI_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
# The PUT scenario writes these in turn: two writes of one product are in flight together
# (the later one answered 409, failing the run) only when a PUT outlasts all the others;
# with 256 that happened on a loaded machine (p99 over 1 s).
LOCKED_PRODUCTS = 1024


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
def gunicorn(
    app: str,
    env: dict[str, str],
    workers: int,
    threads: int,
    worker_class: str = "gthread",
    root: Path = ROOT,
) -> Iterator[tuple]:
    """Serve ``app`` on a free loopback port; yields (base URL, master pid). A ``sync``
    worker serves one request at a time (gunicorn ignores --threads with it only at 1).

    gthread workers share one listening socket, and when wrk opens its keep-alive
    connections at once, one worker often takes them all while the other idles for the
    whole run. Capping each worker's connections (the same for the service and its
    ceiling) makes the others accept the rest.
    """
    port = free_port()
    per_worker = max(WRK_CONNECTIONS // workers, 1) + threads
    if worker_class == "sync":
        threads = 1  # more threads would make gunicorn switch to gthread
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        "gunicorn.conf.py",
        "--worker-class",
        worker_class,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-connections",
        str(per_worker),
        "--access-logfile",
        "/dev/null",
        "--bind",
        f"127.0.0.1:{port}",
        app,
    ]
    process = subprocess.Popen(
        command,
        cwd=root,
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


def load_catalog(url: str, products: int, data_dir: Path) -> list[int]:
    engine = create_engine(url)
    try:
        photo_files = loader.PhotoFiles(store_from_settings(Settings(data_dir=data_dir)).root)
        ids = loader.load(engine, products, photo_rows=photo_files.add)
        with session_scope(engine) as session:
            save_user(session, USER, PASSWORD)
    finally:
        engine.dispose()
    return ids


def log_in(host: str) -> str:
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    # An app id of its own: the same credentials from the same app would join the
    # session they opened before, and get no cookie.
    agent = f"bench{secrets.token_hex(4)}/1.0"
    headers = {"Authorization": f"Basic {basic}", "User-Agent": agent}
    status, headers, body = request(host, "GET", "/api/", headers)
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


IMAGE_256 = "image/*;size=256"


def photo_image_path(host: str, headers: dict, detail_path: str) -> str:
    """The image URL of the product's first photo, followed from its uri as clients do."""
    status, _, body = request(host, "GET", detail_path, headers)
    assert status == 200
    photo = etree.fromstring(body).find("product_photos/product_photo")
    return f"/api{photo.get('uri')}image/"


def upload(host: str, headers: dict, product_path: str, rounds: int = 5) -> Row:
    """POST a 12-megapixel camera JPEG to add_product_photo (the product is locked)."""
    data = photo_like_jpeg()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        status, _, body = request(
            host,
            "POST",
            f"{product_path}add_product_photo/",
            {**headers, "Content-Type": "image/jpeg"},
            data,
        )
        times.append(time.perf_counter() - started)
        assert status == 201, body
    return Row(
        "POST add_product_photo, 12 MP JPEG",
        note=f"median {statistics.median(times) * 1000:.0f} ms of {rounds} "
        f"({len(data) / 1e6:.1f} MB, scales 512 and 256 made in the request)",
    )


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def balanced_wrk(
    url: str,
    master: int,
    duration: int,
    env: dict | None = None,
    script: str = "headers.lua",
    check=None,
    attempts: int = 12,
    connections: int = WRK_CONNECTIONS,
) -> Measured:
    """A wrk run in which every worker did its share (``check``, if given, is called
    around each run: ``check()`` before returns a function to call with the result).

    Without the connection cap (see ``gunicorn``), half the runs here had one worker
    serving all of wrk's connections, on the bare Flask app alike, halving the figure;
    a run like that is thrown away and made again.
    """
    workers = workers_of(master)
    for _ in range(attempts):
        after = check() if check else None
        before = {pid: cpu_ticks(pid) for pid in workers}
        measured = wrk(url, duration, script=script, env=env, connections=connections)
        used = [cpu_ticks(pid) - before[pid] for pid in workers]
        if after is not None:
            after(measured)
        if len(used) < 2 or min(used) >= 0.25 * max(used):
            return measured
    raise RuntimeError(f"wrk never spread over the workers of {url}")


def paired(
    service: str,
    service_master: int,
    ceiling: str,
    ceiling_master: int,
    duration: int,
    rounds: int,
    env: dict | None = None,
    connections: int = WRK_CONNECTIONS,
) -> tuple[Measured, Measured]:
    """Measure the service and its ceiling in alternation, ``rounds`` times each, and keep
    each one's median run: both servers are up at once (the idle one costs nothing), so
    whatever else the machine does falls on both alike."""
    ours, theirs = alternated(
        [(service, service_master), (ceiling, ceiling_master)],
        duration,
        rounds,
        env,
        connections,
    )
    return ours, theirs


def alternated(
    targets: list[tuple[str, int]],
    duration: int,
    rounds: int,
    env: dict | None = None,
    connections: int = WRK_CONNECTIONS,
) -> list[Measured]:
    """Each (URL, master pid) measured in turn, ``rounds`` times; each one's median run."""
    runs: list[list[Measured]] = [[] for _ in targets]
    for _ in range(rounds):
        for (url, master), measured in zip(targets, runs, strict=True):
            measured.append(balanced_wrk(url, master, duration, env, connections=connections))
    return [_median(measured) for measured in runs]


def _median(runs: list[Measured]) -> Measured:
    return sorted(runs, key=lambda run: run.rps)[len(runs) // 2]


def capture_ceiling_bodies(host: str, headers: dict, detail_path: str, directory: Path) -> str:
    """Save what the ceiling app serves; returns the image URL it was taken from."""
    directory.mkdir()
    (directory / "detail.xml").write_bytes(request(host, "GET", detail_path, headers)[2])
    (directory / "list50.xml").write_bytes(
        request(host, "GET", "/api/products/?count=50", headers)[2]
    )
    json_detail, json_list = json_paths(detail_path)
    (directory / "detail.json").write_bytes(request(host, "GET", json_detail, headers)[2])
    (directory / "list50.json").write_bytes(request(host, "GET", json_list, headers)[2])
    image_path = photo_image_path(host, headers, detail_path)
    status, _, image_256 = request(host, "GET", image_path, {**headers, "Accept": IMAGE_256})
    assert status == 200
    (directory / "image.bin").write_bytes(image_256)
    return image_path


def json_paths(detail_path: str) -> tuple[str, str]:
    """The organization face's product detail and list of 50 for an XML detail path."""
    product_id = detail_path.rstrip("/").rsplit("/", 1)[1]
    return f"/api/v2/orgs/1/products/{product_id}/", "/api/v2/orgs/1/products/?limit=50"


def put_under_lock(
    host: str,
    master: int,
    cookie: str,
    product_ids: list[int],
    duration: int,
    connections: int = WRK_CONNECTIONS,
):
    """PUT to products locked by the session, checking that every answered PUT wrote."""
    headers = {"Cookie": cookie}
    locked = [f"/api/products/{pid}/" for pid in product_ids[:LOCKED_PRODUCTS]]
    for path in locked:
        assert request(host, "LOCK", path, headers)[0] == 200

    def count_writes():
        before = versions(host, cookie, locked)

        def after(put: Measured) -> None:
            written = versions(host, cookie, locked) - before
            # Every answered PUT wrote; those in flight when wrk stopped may have too.
            assert put.requests <= written <= put.requests + connections, (put, written)

        return after

    put = balanced_wrk(
        f"http://{host}{locked[0]}",
        master,
        duration,
        script="put.lua",
        env={"BENCH_COOKIE": cookie, "BENCH_PATHS": ",".join(locked)},
        check=count_writes,
        connections=connections,
    )
    return put, locked


def scenario_rows(args, env: dict, product_ids: list[int], workdir: Path) -> list[Row]:
    duration, rounds = args.duration, args.rounds
    ceiling_dir = workdir / "ceiling"
    with gunicorn("wsgi:app", env, args.workers, args.threads) as (host, master):
        cookie = log_in(host)
        headers = {"Cookie": cookie}
        cookie_env = {"BENCH_COOKIE": cookie}
        detail_path = f"/api/products/{product_ids[len(product_ids) // 2]}/"
        image_path = capture_ceiling_bodies(host, headers, detail_path, ceiling_dir)
        with gunicorn(
            "bench.ceiling:app", {"BENCH_CEILING_DIR": str(ceiling_dir)}, args.workers, args.threads
        ) as (ceiling_host, ceiling_master):
            detail, detail_ceiling = paired(
                f"http://{host}{detail_path}",
                master,
                f"http://{ceiling_host}/detail",
                ceiling_master,
                duration,
                rounds,
                cookie_env,
            )
            list50, list_ceiling = paired(
                f"http://{host}/api/products/?count=50",
                master,
                f"http://{ceiling_host}/list50",
                ceiling_master,
                duration,
                rounds,
                cookie_env,
            )
            json_detail_path, json_list_path = json_paths(detail_path)
            json_detail, json_detail_ceiling = paired(
                f"http://{host}{json_detail_path}",
                master,
                f"http://{ceiling_host}/detail.json",
                ceiling_master,
                duration,
                rounds,
                cookie_env,
            )
            json_list, json_list_ceiling = paired(
                f"http://{host}{json_list_path}",
                master,
                f"http://{ceiling_host}/list50.json",
                ceiling_master,
                duration,
                rounds,
                cookie_env,
            )
            image, image_ceiling = paired(
                f"http://{host}{image_path}",
                master,
                f"http://{ceiling_host}/image",
                ceiling_master,
                duration,
                rounds,
                {**cookie_env, "BENCH_ACCEPT": IMAGE_256},
            )
        basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        basic_only = balanced_wrk(
            f"http://{host}{detail_path}",
            master,
            duration,
            env={"BENCH_AUTHORIZATION": f"Basic {basic}"},
        )
        put, locked = put_under_lock(host, master, cookie, product_ids, duration)
        listing, memory = whole_catalog(host, master, cookie, len(product_ids))
        rows = [
            ratio_row("GET /api/products/X/ (full render)", detail, detail_ceiling, "bare Flask"),
            ratio_row("GET /api/products/?count=50", list50, list_ceiling, "bare Flask"),
            ratio_row(
                "GET /api/v2/orgs/1/products/X/ (JSON)",
                json_detail,
                json_detail_ceiling,
                "bare Flask",
            ),
            ratio_row(
                "GET /api/v2/orgs/1/products/?limit=50", json_list, json_list_ceiling, "bare Flask"
            ),
            listing,
            ratio_row(
                f"PUT /api/products/X/ under lock ({LOCKED_PRODUCTS} in turn)", put, detail, "GET X"
            ),
            ratio_row("GET X, Basic credentials only", basic_only, detail, "GET X, cookie"),
            ratio_row(
                "GET photo image, Accept size=256", image, image_ceiling, "bare Flask send_file"
            ),
            memory,
            upload(host, headers, locked[1]),
        ]
        if args.create:
            rows.append(bulk_create(host, cookie, args.create))
    return rows


def scaling_rows(args, env: dict, product_ids: list[int]) -> list[Row]:
    rows, first = [], None
    path = f"/api/products/{product_ids[len(product_ids) // 2]}/"
    for workers in (1, 2, 4):
        with gunicorn("wsgi:app", env, workers, args.threads) as (host, master):
            measured = balanced_wrk(
                f"http://{host}{path}", master, args.duration, env={"BENCH_COOKIE": log_in(host)}
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
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each paired scenario (the median counts)"
    )
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
        env["XMLAPI_RATELIMIT_STORAGE"] = REDIS_URL
    started = time.perf_counter()
    try:
        prepare_database(url)
        product_ids = load_catalog(url, args.products, workdir)
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
