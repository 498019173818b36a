"""How much memory photo uploads take in a gunicorn worker (issue 10, item 17).

Starts one gthread worker (8 threads) on a loopback port with SQLite in a temporary
directory, uploads images one at a time and 8 at once, and prints each scenario's
answers and the worker's resident memory: before, the peak while it ran (sampled every
5 ms) and after. Run: .venv/bin/python -m bench.photos_memory
"""

from __future__ import annotations

import base64
import struct
import tempfile
import threading
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.run import gunicorn, request
from xmlapi import migrate
from xmlapi.catalog.auth import save_user
from xmlapi.db import make_engine, session_scope

USER, PASSWORD = "bench", "bench password"
PARALLEL = 8


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_png(side: int, depth: int) -> bytes:
    """A transparent RGBA PNG of ``side`` x ``side`` pixels: a few hundred KB of bytes."""
    header = struct.pack(">IIBBBBB", side, side, depth, 6, 0, 0, 0)
    row = bytes(1 + side * 4 * depth // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def resident_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def worker_of(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


class Peak:
    """The highest resident memory of ``pid`` while the block runs."""

    def __init__(self, pid: int):
        self.pid, self.value, self._stop = pid, 0.0, threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.value = max(self.value, resident_mb(self.pid))
            time.sleep(0.005)

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            save_user(session, USER, PASSWORD)
        engine.dispose()
        env = {
            "XMLAPI_DATA_DIR": directory,
            "XMLAPI_DATABASE_URL": url,
            "XMLAPI_RATELIMIT_DEFAULT": "100000/minute",
            "XMLAPI_LOG_LEVEL": "ERROR",
        }
        with gunicorn("wsgi:app", env, workers=1, threads=PARALLEL) as (host, master):
            worker = worker_of(master)
            auth = {
                "Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            }
            # One product per parallel upload: uploads to one product commit one at a time.
            paths = []
            for number in range(PARALLEL):
                body = f"<product><code>M{number}</code></product>".encode()
                _, headers, _ = request(host, "POST", "/api/products/", auth, body)
                auth.setdefault("Cookie", headers.get("Set-Cookie", "").split(";", 1)[0])
                product = headers["Location"].rstrip("/").rsplit("/", 1)[1]
                request(host, "LOCK", f"/api/products/{product}/", auth)
                paths.append(f"/api/products/{product}/add_product_photo/")

            def upload(job: tuple[str, bytes]) -> int:
                return request(host, "POST", job[0], auth, job[1])[0]

            upload(
                (paths[0], blank_png(64, 8))
            )  # warm up: Pillow's plugins loaded, one photo stored
            print(f"worker {worker}: {resident_mb(worker):.0f} MB after start and one small upload")
            scenarios = [
                ("9400x9400 RGBA 16-bit PNG (687 KB, 88 MP)", blank_png(9400, 16)),
                ("5600x5600 RGBA 8-bit PNG (125 MB decoded)", blank_png(5600, 8)),
            ]
            for name, data in scenarios:
                for parallel in (1, PARALLEL):
                    before = resident_mb(worker)
                    started = time.perf_counter()
                    with Peak(worker) as peak, ThreadPoolExecutor(parallel) as pool:
                        statuses = Counter(pool.map(upload, [(p, data) for p in paths[:parallel]]))
                    elapsed = time.perf_counter() - started
                    time.sleep(0.5)
                    after = resident_mb(worker)
                    print(
                        f"{name} x{parallel}: {dict(statuses)} in {elapsed:.1f}s; RSS before "
                        f"{before:.0f} MB, peak {peak.value:.0f} MB, after {after:.0f} MB"
                    )
            upload((paths[0], blank_png(64, 8)))
            time.sleep(0.5)
            print(f"after one more small upload: {resident_mb(worker):.0f} MB")


if __name__ == "__main__":
    main()
