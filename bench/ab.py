"""Before against after in one run: the service of another source tree (``--baseline``,
say ``git archive main | tar -x -C DIR``) and this one, each under one gunicorn sync
worker on the same database, measured in alternation with wrk -t1 -c4 (median of
``--rounds``). On a machine whose load swings, only such a same-run ratio says whether a
change helped.

    python -m bench.ab --baseline DIR [--products 2000] [--duration 3] [--rounds 5]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import tempfile
from pathlib import Path

from bench import production, run
from bench.run import IMAGE_256, balanced_wrk, gunicorn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=os.environ.get("XMLAPI_BENCH_DATABASE_URL"))
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="xmlapi-bench-ab-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    env = {
        "XMLAPI_DATA_DIR": str(workdir),
        "XMLAPI_DATABASE_URL": url,
        "XMLAPI_RATELIMIT_DEFAULT": "100000000/minute",
        "XMLAPI_LOG_LEVEL": "WARNING",
    }
    if url.startswith("postgresql"):
        env["XMLAPI_RATELIMIT_STORAGE"] = run.REDIS_URL
    baseline_env = {**env, "PYTHONPATH": str(args.baseline.resolve())}
    try:
        run.prepare_database(url)
        ids = run.load_catalog(url, args.products, workdir)
        detail = f"/api/products/{ids[len(ids) // 2]}/"
        basic = base64.b64encode(f"{run.USER}:{run.PASSWORD}".encode()).decode()
        with (
            gunicorn("wsgi:app", baseline_env, **production.SYNC, root=args.baseline) as before,
            gunicorn("wsgi:app", env, **production.SYNC) as after,
        ):
            cookie = {name: run.log_in(host) for name, (host, _) in (("b", before), ("a", after))}
            image = run.photo_image_path(after[0], {"Cookie": cookie["a"]}, detail)
            scenarios = {
                "detail": (detail, {}),
                "list of 50": ("/api/products/?count=50", {}),
                "image 256": (image, {"BENCH_ACCEPT": IMAGE_256}),
                "Basic, no cookie": (detail, {"BENCH_AUTHORIZATION": f"Basic {basic}"}),
            }
            print("| scenario | before req/s (runs) | after req/s (runs) | after/before |")
            print("|---|---|---|---:|")
            for name, (path, extra) in scenarios.items():
                runs = {"b": [], "a": []}
                for _ in range(args.rounds):
                    for key, (host, master) in (("b", before), ("a", after)):
                        wrk_env = dict(extra)
                        if "BENCH_AUTHORIZATION" not in extra:
                            wrk_env["BENCH_COOKIE"] = cookie[key]
                        measured = balanced_wrk(
                            f"http://{host}{path}",
                            master,
                            args.duration,
                            wrk_env,
                            connections=production.CONNECTIONS,
                        )
                        runs[key].append(measured.rps)
                b, a = sorted(runs["b"]), sorted(runs["a"])
                median_b, median_a = b[len(b) // 2], a[len(a) // 2]
                print(
                    f"| {name} | {median_b:,.0f} ({', '.join(f'{x:.0f}' for x in runs['b'])})"
                    f" | {median_a:,.0f} ({', '.join(f'{x:.0f}' for x in runs['a'])})"
                    f" | {median_a / median_b:.2f} |",
                    flush=True,
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
