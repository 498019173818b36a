"""A real gunicorn process on a loopback port, for tests that need several workers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from gunicorn import config as gunicorn_config

ROOT = Path(__file__).resolve().parents[1]

# Newer gunicorns open a control socket at one path for every server of the user, and
# stopping it costs seconds; the tests need none.
_NO_CONTROL_SOCKET = (
    ["--no-control-socket"] if hasattr(gunicorn_config, "ControlSocketDisable") else []
)


def server_env(database_url: str, data_dir, **env: str) -> dict[str, str]:
    """The environment of a gunicorn serving the test database, its files in
    ``data_dir``; ``env`` adds settings (``XMLAPI_...``)."""
    return {"XMLAPI_DATABASE_URL": database_url, "XMLAPI_DATA_DIR": str(data_dir), **env}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited: {log.read()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start in time")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, threads: int | None = 2) -> Iterator[str]:
    """Serve wsgi:app with the project's gunicorn.conf.py; yields the base URL.
    ``threads=None`` keeps the configuration's own number."""
    with gunicorn_process(env, workers, threads) as (base, _process):
        yield base


@contextlib.contextmanager
def gunicorn_process(
    env: dict[str, str], workers: int = 2, threads: int | None = 2
) -> Iterator[tuple[str, subprocess.Popen]]:
    """As ``gunicorn``, and the master process too, in a process group of its own (a
    fault test may kill the group: ``os.killpg(process.pid, signal.SIGKILL)``)."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "-c",
        "gunicorn.conf.py",
        "--workers",
        str(workers),
        *(["--threads", str(threads)] if threads is not None else []),
        "--access-logfile",
        "/dev/null",
        *_NO_CONTROL_SOCKET,
        "wsgi:app",
    ]
    # The log goes to a file: a pipe nobody reads while the server runs fills up and
    # blocks every worker that logs (faults log a lot).
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env, "PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
            start_new_session=True,  # its own process group: the workers with it
        )
        try:
            _wait_for(port, process, log)
            yield f"http://127.0.0.1:{port}", process
        finally:
            # Killed, master and workers: no test needs a graceful stop, which costs
            # seconds per server (interpreters finalizing one after the other).
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
