"""`make bench` (on PostgreSQL): the database photo store against the file store.

    python -m bench.photo_stores [--duration 4] [--rounds 3] [--database-url URL]

Two gunicorn instances on one PostgreSQL database, one with XMLAPI_PHOTO_STORE=file and
one with postgresql (each its own data directory). Measures image 256 served from the
warm cache against the file store (wrk, in alternation), the first read from a cold
cache against a warm read (one connection, in sequence), a 12 MP upload through each,
and the sizes and encode times of the WebP and AVIF renditions. The table goes to
stdout and to bench/results/photo-stores.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree
from PIL import Image
from sqlalchemy import create_engine

from bench.photos_upload import photo_like_jpeg
from bench.run import (
    IMAGE_256,
    PASSWORD,
    ROOT,
    USER,
    Row,
    gunicorn,
    log_in,
    machine,
    paired,
    prepare_database,
    ratio_row,
    render_table,
    request,
)
from xmlapi.catalog import scales
from xmlapi.catalog.auth import save_user
from xmlapi.db import session_scope

RESULTS = ROOT / "bench" / "results" / "photo-stores.md"
COLD_PHOTOS = 12


def new_product(host: str, headers: dict, code: str) -> str:
    body = f"<product><code>{code}</code></product>".encode()
    status, _, answer = request(host, "POST", "/api/products/", headers, body)
    assert status == 201, answer
    path = f"/api/products/{etree.fromstring(answer).get('id')}/"
    assert request(host, "LOCK", path, headers)[0] == 200
    return path


def add_photo(host: str, headers: dict, product_path: str, data: bytes) -> tuple[float, str]:
    """Upload; returns the seconds it took and the photo's image path."""
    started = time.perf_counter()
    status, _, body = request(host, "POST", f"{product_path}add_product_photo/", headers, data)
    elapsed = time.perf_counter() - started
    assert status == 201, body
    return elapsed, f"{product_path}product_photos/{etree.fromstring(body).get('id')}/image/"


def latency_ms(host: str, headers: dict, path: str) -> float:
    started = time.perf_counter()
    status, _, _ = request(host, "GET", path, {**headers, "Accept": IMAGE_256})
    assert status == 200
    return (time.perf_counter() - started) * 1000


def camera_photo(size: tuple[int, int]) -> bytes:
    image = Image.open(io.BytesIO(photo_like_jpeg())).resize(size)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def rendition_rows() -> list[Row]:
    """Sizes and encode times of each format of the 512 and 256 scales of a camera photo."""
    picture = scales.make_scales(io.BytesIO(photo_like_jpeg()), "jpeg")
    rows = []
    for scaled in picture.scales:
        image = Image.open(io.BytesIO(scaled.data)).convert("RGB")
        stored = f"{scaled.format.upper()} {len(scaled.data) / 1000:.1f} kB"
        parts = [stored]
        for fmt in scales.RENDITIONS:
            times = []
            for _ in range(3):
                started = time.perf_counter()
                encoded = scales._encode_rendition(scaled.size, image, fmt, None)
                times.append(time.perf_counter() - started)
            parts.append(
                f"{fmt.upper()} {len(encoded.data) / 1000:.1f} kB in "
                f"{statistics.median(times) * 1000:.0f} ms"
            )
        rows.append(Row(f"scale {scaled.size} and its renditions", note="; ".join(parts)))
    return rows


def cold_row(host: str, headers: dict, product_path: str, cache: Path) -> Row:
    """First reads from an emptied cache against warm reads, and the file store's."""
    data = camera_photo((1200, 900))
    paths = [add_photo(host, headers, product_path, data)[1] for _ in range(COLD_PHOTOS)]
    for entry in cache.iterdir():
        if entry.name != "tmp":
            shutil.rmtree(entry)  # as on a host that never read them
    cold = [latency_ms(host, headers, path) for path in paths]
    warm = [latency_ms(host, headers, path) for path in paths]
    return Row(
        "GET image 256, postgresql store, cold cache",
        note=f"first read median {statistics.median(cold):.1f} ms, then warm "
        f"{statistics.median(warm):.1f} ms ({COLD_PHOTOS} photos, one connection)",
    )


def upload_row(args, hosts: dict[str, tuple[str, dict, str]]) -> Row:
    """12 MP uploads through each store, in alternation; medians."""
    data = photo_like_jpeg()
    times: dict[str, list[float]] = {kind: [] for kind in hosts}
    for _ in range(args.uploads):
        for kind, (host, headers, product_path) in hosts.items():
            times[kind].append(add_photo(host, headers, product_path, data)[0])
    file_ms, db_ms = (statistics.median(times[kind]) * 1000 for kind in ("file", "postgresql"))
    return Row(
        "POST 12 MP JPEG, postgresql vs file store",
        ratio=db_ms / file_ms,
        note=f"median {db_ms:.0f} ms vs {file_ms:.0f} ms of {args.uploads} "
        f"({len(data) / 1e6:.1f} MB; scales and renditions made in the request)",
    )


def measure(args) -> list[Row]:
    workdir = Path(tempfile.mkdtemp(prefix="xmlapi-bench-photos-"))
    common = {
        "XMLAPI_DATABASE_URL": args.database_url,
        "XMLAPI_RATELIMIT_DEFAULT": "100000000/minute",
        "XMLAPI_RATELIMIT_STORAGE": "redis://127.0.0.1:6379",
        "XMLAPI_LOG_LEVEL": "WARNING",
    }
    file_env = {**common, "XMLAPI_DATA_DIR": str(workdir / "file"), "XMLAPI_PHOTO_STORE": "file"}
    db_env = {**common, "XMLAPI_DATA_DIR": str(workdir / "db"), "XMLAPI_PHOTO_STORE": "postgresql"}
    try:
        prepare_database(args.database_url)
        engine = create_engine(args.database_url)
        with session_scope(engine) as session:
            save_user(session, USER, PASSWORD)
        engine.dispose()
        with (
            gunicorn("wsgi:app", file_env, args.workers, args.threads) as (file_host, file_pid),
            gunicorn("wsgi:app", db_env, args.workers, args.threads) as (db_host, db_pid),
        ):
            # Sessions live in the database: one cookie serves on both hosts.
            headers = {"Cookie": log_in(file_host)}
            file_product = new_product(file_host, headers, "FILE")
            db_product = new_product(db_host, headers, "DB")
            photo = camera_photo((1600, 1200))
            file_image = add_photo(file_host, headers, file_product, photo)[1]
            db_image = add_photo(db_host, headers, db_product, photo)[1]
            latency_ms(db_host, headers, db_image)  # warm already: the uploading host keeps it
            warm, on_file = paired(
                f"http://{db_host}{db_image}",
                db_pid,
                f"http://{file_host}{file_image}",
                file_pid,
                args.duration,
                args.rounds,
                {"BENCH_ACCEPT": IMAGE_256, "BENCH_COOKIE": headers["Cookie"]},
            )
            rows = [
                ratio_row(
                    "GET image 256, postgresql store, warm cache", warm, on_file, "file store"
                ),
                cold_row(db_host, headers, db_product, workdir / "db" / "photo-cache"),
                upload_row(
                    args,
                    {
                        "file": (file_host, headers, file_product),
                        "postgresql": (db_host, headers, db_product),
                    },
                ),
            ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows + rendition_rows()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs of each store")
    parser.add_argument("--uploads", type=int, default=3, help="12 MP uploads through each")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=os.environ.get("XMLAPI_BENCH_DATABASE_URL"))
    args = parser.parse_args(argv)
    if not (args.database_url or "").startswith("postgresql"):
        print(
            "bench.photo_stores: skipped (needs XMLAPI_BENCH_DATABASE_URL=postgresql+psycopg://...)"
        )
        return
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (apt-get install wrk)")
    started = time.perf_counter()
    rows = measure(args)
    header = (
        f"## {dt.date.today()}: photo stores, PostgreSQL + Redis, gunicorn {args.workers} "
        f"workers x {args.threads} threads per host, two hosts\n\nMachine: {machine()}; "
        f"whole run {time.perf_counter() - started:.0f} s"
    )
    table = render_table(rows, header)
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table)


if __name__ == "__main__":
    main()
