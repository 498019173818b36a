"""What request ids, the access line and metrics cost a request, in process:
``python -m bench.request_overhead [--requests 20000]``. Times a trivial GET (/healthz)
through the whole app with them, then with the metrics and the access line switched
off, and prints the microseconds each costs a request."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from werkzeug.test import EnvironBuilder

from xmlapi import create_app, migrate
from xmlapi.operating import logs, metrics
from xmlapi.operating import requests as operating_requests
from xmlapi.settings import Settings


def timer(app):
    """A function timing ``count`` WSGI calls of GET /healthz, per call, in us."""
    environ = EnvironBuilder(path="/healthz").get_environ()

    def start_response(_status, _headers, _exc_info=None):
        return None

    def run(count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            answer = app(dict(environ), start_response)
            for _ in answer:
                pass
            answer.close()
        return (time.perf_counter() - started) / count * 1e6

    return run


def direct_us(function, count: int = 100_000) -> float:
    started = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - started) / count * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory, open(os.devnull, "w") as devnull:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        migrate.upgrade(url)
        app = create_app(Settings(data_dir=Path(directory), database_url=url))
        logs.handler().setStream(devnull)  # the access line is formatted and written
        layered = app.wsgi_app
        observe = metrics.observe
        access = logging.getLogger("xmlapi.access")

        def configure(with_metrics: bool, with_access: bool, with_layer: bool) -> None:
            metrics.observe = observe if with_metrics else (lambda *a: None)
            access.disabled = not with_access
            app.wsgi_app = layered if with_layer else layered.app

        configs = {
            "everything": (True, True, True),
            "no metrics": (False, True, True),
            "no metrics, no access line": (False, False, True),
            "bare (no request-id layer)": (False, False, False),
        }
        run = timer(app)
        run(500)  # warm up
        best = dict.fromkeys(configs, float("inf"))
        for _ in range(7):  # interleaved: the machine's load falls on every config alike
            for name, flags in configs.items():
                configure(*flags)
                best[name] = min(best[name], run(args.requests))
        configure(True, True, True)
        app.extensions["xmlapi.engine"].dispose()
    observe_us = direct_us(lambda: metrics.observe("products.list", "GET", 200, 0.001))
    id_us = direct_us(lambda: operating_requests.request_id({}))
    figures = ", ".join(f"{name} {us:.1f}" for name, us in best.items())
    print(
        f"GET /healthz in process, us a request (best of 7 x {args.requests}): {figures}; "
        f"metrics.observe alone {observe_us:.2f} us, a new request id {id_us:.2f} us"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
