"""The production profile: ONE gunicorn sync worker per server (``-w 1 -k sync``), wrk
``-t1 -c4`` on loopback, each server measured alone, its bare-Flask ceiling measured in
the same run (alternating with it, ``--rounds`` times, the median kept).

    python -m bench.production [--products 2000] [--duration 3] [--rounds 3]
                               [--profile-dir bench/results/profiles/NAME]

PostgreSQL + Redis with XMLAPI_BENCH_DATABASE_URL (Redis: XMLAPI_BENCH_REDIS_URL),
SQLite otherwise. The table goes to stdout and to bench/results/production.md; with
``--profile-dir``, a py-spy profile of the worker on each hot path goes there too.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import run
from bench.run import IMAGE_256, Row, alternated, balanced_wrk, gunicorn, paired, ratio_row

CONNECTIONS = 4
RESULTS = run.ROOT / "bench" / "results" / "production.md"
PROFILE_SECONDS = 6  # of wrk per profiled path
SYNC = {"workers": 1, "threads": 1, "worker_class": "sync"}


def session_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM sessions")).scalar_one()
    finally:
        engine.dispose()


@contextlib.contextmanager
def profiled(master: int, directory: Path | None, name: str, seconds: int):
    """py-spy records the worker of ``master`` while the block runs (when ``directory``)."""
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    (worker,) = run.workers_of(master)
    raw = directory / f"{name}.txt"
    spy = str(Path(sys.executable).with_name("py-spy"))
    command = [spy, "record", "--pid", str(worker), "--rate", "250", "--duration"]
    command += [str(seconds), "--format", "raw", "--output", str(raw), "--nonblocking"]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        recorder.wait(timeout=seconds + 60)
    if raw.exists():
        (directory / f"{name}.summary.txt").write_text(summarize(raw.read_text(), name))


def summarize(collapsed: str, name: str, top: int = 40) -> str:
    """The functions most often on the stack (inclusive share of samples), from py-spy's
    collapsed stacks: where a request's time goes."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [_short(frame) for frame in stack.split(";")]
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    lines = [f"py-spy, 250 Hz, one sync worker, {name}: {total} samples", "", "inclusive:"]
    lines += [f"{n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(top)]
    lines += ["", "own (self) time:"]
    lines += [f"{n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines) + "\n"


def _short(frame: str) -> str:
    """``function (path/to/module.py:12)`` -> ``function (module.py)``."""
    function, _, where = frame.partition(" (")
    module = where.rsplit("/", 1)[-1].split(":", 1)[0]
    for marker in ("site-packages/", "/xmlapi/"):
        if marker in where:
            module = where.split(marker, 1)[1].split(":", 1)[0]
    return f"{function} ({module})"


def measure(args, env: dict, url: str, product_ids: list[int], workdir: Path) -> list[Row]:
    duration, rounds, profiles = args.duration, args.rounds, args.profile_dir
    ceiling_dir = workdir / "ceiling"
    with gunicorn("wsgi:app", env, **SYNC) as (host, master):
        cookie = run.log_in(host)
        headers = {"Cookie": cookie}
        cookie_env = {"BENCH_COOKIE": cookie}
        detail_path = f"/api/products/{product_ids[len(product_ids) // 2]}/"
        image_path = run.capture_ceiling_bodies(host, headers, detail_path, ceiling_dir)
        image_env = {**cookie_env, "BENCH_ACCEPT": IMAGE_256}
        ceiling_env = {"BENCH_CEILING_DIR": str(ceiling_dir)}
        redis_url = env.get("XMLAPI_RATELIMIT_STORAGE")
        if redis_url:
            ceiling_env["BENCH_CEILING_REDIS"] = redis_url
        with gunicorn("bench.ceiling:app", ceiling_env, **SYNC) as (ceiling_host, ceiling_master):

            def pair(path: str, ceiling_path: str, wrk_env: dict):
                return paired(
                    f"http://{host}{path}",
                    master,
                    f"http://{ceiling_host}{ceiling_path}",
                    ceiling_master,
                    duration,
                    rounds,
                    wrk_env,
                    connections=CONNECTIONS,
                )

            def with_round_trip(path: str, ceiling_path: str, wrk_env: dict):
                """Ours, the bare ceiling, and (with Redis) the bare ceiling after the
                rate limit's round trip, in alternation."""
                if not redis_url:
                    return (*pair(path, ceiling_path, wrk_env), None)
                targets = [(f"http://{host}{path}", master)]
                for route in (ceiling_path, f"{ceiling_path}+redis"):
                    targets.append((f"http://{ceiling_host}{route}", ceiling_master))
                return tuple(
                    alternated(targets, duration, rounds, wrk_env, connections=CONNECTIONS)
                )

            detail, bare_xml, xml_after_redis = with_round_trip(detail_path, "/detail", cookie_env)
            list50, bare_list = pair("/api/products/?count=50", "/list50", cookie_env)
            image, bare_image, image_after_redis = with_round_trip(image_path, "/image", image_env)
        basic = base64.b64encode(f"{run.USER}:{run.PASSWORD}".encode()).decode()
        basic_env = {"BENCH_AUTHORIZATION": f"Basic {basic}"}
        # Its first request logs in (and opens the one session these credentials keep).
        assert run.request(host, "GET", detail_path, {"Authorization": f"Basic {basic}"})[0] == 200
        sessions_before = session_rows(url)
        basic_only, with_cookie = _basic_vs_cookie(
            host, master, detail_path, basic_env, cookie_env, args
        )
        new_sessions = session_rows(url) - sessions_before
        put, locked = run.put_under_lock(
            host, master, cookie, product_ids, duration, connections=CONNECTIONS
        )
        if profiles is not None:
            profile_paths(host, master, profiles, detail_path, image_path, basic_env, cookie)
            put_env = {"BENCH_COOKIE": cookie, "BENCH_PATHS": ",".join(locked)}
            with profiled(master, profiles, "put", PROFILE_SECONDS - 1):
                run.wrk(
                    f"http://{host}{locked[0]}",
                    PROFILE_SECONDS,
                    script="put.lua",
                    env=put_env,
                    connections=CONNECTIONS,
                )
    round_trip_rows = []
    if xml_after_redis is not None:
        round_trip_rows = [
            ratio_row(
                "bare Flask, one Redis round trip (the rate limit's script), then the detail",
                xml_after_redis,
                bare_xml,
                "bare XML",
            ),
            ratio_row(
                "bare Flask, one Redis round trip, then send_file of the 256 JPEG",
                image_after_redis,
                bare_image,
                "bare send_file",
            ),
        ]
    detail_row = ratio_row(
        "ours: GET /api/products/X/ (target >= 50%)", detail, bare_xml, "bare XML"
    )
    image_row = ratio_row(
        "ours: GET image, Accept size=256 (target >= 80%)", image, bare_image, "bare send_file"
    )
    if xml_after_redis is not None:
        _with_note(detail_row, f"{detail.rps / xml_after_redis.rps:.0%} of bare + round trip")
        _with_note(image_row, f"{image.rps / image_after_redis.rps:.0%} of bare + round trip")
    return [
        Row(
            "bare Flask, the same detail XML bytes",
            bare_xml.rps,
            bare_xml.p50_ms,
            bare_xml.p99_ms,
            ratio=1.0,
        ),
        Row(
            "bare Flask, the same list-of-50 XML bytes",
            bare_list.rps,
            bare_list.p50_ms,
            bare_list.p99_ms,
            ratio=1.0,
        ),
        Row(
            "bare Flask send_file of the 256 JPEG",
            bare_image.rps,
            bare_image.p50_ms,
            bare_image.p99_ms,
            ratio=1.0,
        ),
        *round_trip_rows,
        detail_row,
        _with_note(
            ratio_row(
                "ours: GET /api/products/?count=50 (target >= 35%)", list50, bare_xml, "bare XML"
            ),
            f"{list50.rps / bare_list.rps:.0%} of bare Flask with the same list bytes",
        ),
        image_row,
        ratio_row("ours: GET X with the cookie", with_cookie, bare_xml, "bare XML"),
        _with_note(
            ratio_row(
                "ours: GET X, Basic only, no cookie (target >= 50%)",
                basic_only,
                with_cookie,
                "GET X, cookie",
            ),
            f"{new_sessions} new session rows during the run",
        ),
        ratio_row(
            f"ours: PUT X under lock, {run.LOCKED_PRODUCTS} in turn (target >= 25%)",
            put,
            detail,
            "GET X",
        ),
    ]


def _basic_vs_cookie(host, master, path, basic_env, cookie_env, args):
    """Basic credentials on every request (no cookie) against the cookie, alternated."""
    url = f"http://{host}{path}"
    basic, cookie = [], []
    for _ in range(args.rounds):
        basic.append(balanced_wrk(url, master, args.duration, basic_env, connections=CONNECTIONS))
        cookie.append(balanced_wrk(url, master, args.duration, cookie_env, connections=CONNECTIONS))
    return run._median(basic), run._median(cookie)


def _with_note(row: Row, note: str) -> Row:
    row.note = note
    return row


def profile_paths(host, master, directory, detail_path, image_path, basic_env, cookie):
    """A py-spy profile of the worker on each hot read path."""
    seconds = PROFILE_SECONDS
    cookie_env = {"BENCH_COOKIE": cookie}
    paths = {
        "detail": (detail_path, cookie_env),
        "list50": ("/api/products/?count=50", cookie_env),
        "image256": (image_path, {**cookie_env, "BENCH_ACCEPT": IMAGE_256}),
        "basic-no-cookie": (detail_path, basic_env),
    }
    for name, (path, env) in paths.items():
        with profiled(master, directory, name, seconds - 1):
            run.wrk(f"http://{host}{path}", seconds, env=env, connections=CONNECTIONS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each pair (median)")
    parser.add_argument("--database-url", default=os.environ.get("XMLAPI_BENCH_DATABASE_URL"))
    parser.add_argument("--profile-dir", type=Path, help="py-spy profiles of the hot paths")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="xmlapi-bench-production-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {
        "XMLAPI_DATA_DIR": str(workdir),
        "XMLAPI_DATABASE_URL": url,
        "XMLAPI_RATELIMIT_DEFAULT": "100000000/minute",
        "XMLAPI_LOG_LEVEL": "WARNING",
    }
    if url.startswith("postgresql"):
        env["XMLAPI_RATELIMIT_STORAGE"] = run.REDIS_URL
    started = time.perf_counter()
    try:
        run.prepare_database(url)
        product_ids = run.load_catalog(url, args.products, workdir)
        rows = measure(args, env, url, product_ids, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    database = "PostgreSQL + Redis" if url.startswith("postgresql") else "SQLite"
    header = (
        f"## {dt.date.today()}: production profile, {args.products:,} products, {database}, "
        f"gunicorn 1 sync worker, wrk 1 thread {CONNECTIONS} connections {args.duration} s, "
        f"median of {args.rounds} alternated runs\n\nMachine: {run.machine()}; "
        f"whole run {time.perf_counter() - started:.0f} s"
    )
    table = run.render_table(rows, header)
    print(table)
    RESULTS.write_text(table)


if __name__ == "__main__":
    main()
