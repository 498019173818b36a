"""gunicorn settings for ``make run``; each can be overridden on the command line."""

import os
import shutil
from pathlib import Path


def _metrics_dir() -> str:
    """Where the workers keep their metrics (prometheus_client's multiprocess mode, which
    reads the variable when first imported: before the app is): under the data dir,
    emptied when the master starts (not when it reloads its configuration)."""
    path = os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR",
        str(Path(os.environ.get("XMLAPI_DATA_DIR", "var")).resolve() / "metrics"),
    )
    if os.environ.get("XMLAPI_METRICS_DIR_OF") != str(os.getpid()):
        shutil.rmtree(path, ignore_errors=True)
        os.environ["XMLAPI_METRICS_DIR_OF"] = str(os.getpid())
    Path(path).mkdir(parents=True, exist_ok=True)
    return path


_metrics_dir()

from gunicorn.http import message as _message  # noqa: E402

from xmlapi.faces.legacy import server_errors  # noqa: E402

bind = f"127.0.0.1:{os.environ.get('PORT', '8080')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
# A client that trickles its body holds a thread until XMLAPI_BODY_TIMEOUT_SECONDS
# (without a database connection: the body is read before the app runs). A worker
# accepts connections whatever its threads are doing, so a handful of such clients may
# all land on one worker: enough threads that they leave room for everyone else.
threads = int(os.environ.get("XMLAPI_THREADS", "16"))
# Load the app once in the master: a bad setting or an old schema stops start-up with
# one line, and workers share the imported code.
preload_app = True
# Legacy clients send X_PAPPID; gunicorn drops header names with underscores unless
# they are mapped (to the same key as X-PAPPID).
header_map = "dangerous"
# The app writes its own access line (with the request id, and never the query string,
# which may carry secrets); XMLAPI_LOG_FORMAT=json makes it JSON.
accesslog = None
# Hides bearer_token values (and Authorization credentials) from gunicorn's own log lines.
logger_class = "xmlapi.http.access_log.ScrubbingLogger"
timeout = 60

# gunicorn's refusals are HTML pages; the app's own caps (XMLAPI_MAX_URL_BYTES,
# XMLAPI_MAX_HEADER_BYTES) answer in XML, so gunicorn's are set above them. It caps the
# request line at 8190 bytes unless unlimited; a long filter needs more, and unlimited
# would let one request line fill a worker's memory, so its ceiling is raised instead.
_message.MAX_REQUEST_LINE = max(_message.MAX_REQUEST_LINE, 64 * 1024)
limit_request_line = 64 * 1024
limit_request_field_size = 32 * 1024
limit_request_fields = 128
# A folded header line (obs-fold) is joined with a space, as RFC 9112 allows, rather
# than refused with an HTML page.
permit_obsolete_folding = True

# What gunicorn still refuses itself is answered in XML too.
server_errors.install()


def child_exit(_server, worker) -> None:
    """A worker's live gauges go with it; its counters stay counted."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
