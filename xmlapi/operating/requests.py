"""Every request: an id (the client's ``X-Request-ID`` when sane, else made), sent back
in the answer and carried by every log line; when answered, one access line and the
request's metrics."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable

from flask import Flask, Response, g, request
from werkzeug.wsgi import ClosingIterator

from xmlapi.operating import metrics
from xmlapi.operating.logs import REQUEST_ID

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:@+=-]{1,128}")
# Where the Flask side leaves what only it knows, for the access line.
ENDPOINT_KEY = "xmlapi.endpoint"
USER_KEY = "xmlapi.user"

access_log = logging.getLogger("xmlapi.access")


def request_id(environ) -> str:
    """The client's (or its proxy's) id when it is short and plain, else a new one."""
    sent = environ.get("HTTP_X_REQUEST_ID")
    if sent is not None and _SANE.fullmatch(sent):
        return sent
    return os.urandom(16).hex()


class RequestContext:
    """Outermost WSGI layer: ids every request, then logs and counts its answer."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        ident = request_id(environ)
        REQUEST_ID.set(ident)
        status = []

        def start(status_line, headers, exc_info=None):
            status[:] = [status_line]
            headers.append((HEADER, ident))
            return start_response(status_line, headers, exc_info)

        def done():
            code = int(status[0].split(" ", 1)[0]) if status else 500
            self._answered(environ, code, time.perf_counter() - started)
            REQUEST_ID.set(None)

        try:
            return closing(environ, self.app(environ, start), done)
        except BaseException:
            REQUEST_ID.set(None)
            raise

    @staticmethod
    def _answered(environ, status: int, seconds: float) -> None:
        endpoint = environ.get(ENDPOINT_KEY) or metrics.UNMATCHED
        method = environ.get("REQUEST_METHOD", "")
        metrics.observe(endpoint, method, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            user = environ.get(USER_KEY)
            path = environ.get("PATH_INFO", "")  # never the query: it may carry secrets
            fields = {
                "user": user,
                "endpoint": endpoint,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            }
            # Made by hand: logging's search of the caller's frame is a third of its cost.
            record = access_log.makeRecord(
                access_log.name,
                logging.INFO,
                __file__,
                0,
                "%s %s %s %.1fms user=%s",
                (method, path, status, seconds * 1000, user or "-"),
                None,
                extra=fields,
            )
            access_log.handle(record)


def closing(environ, answer, done: Callable[[], None]):
    """``answer`` with ``done`` called when the server closes it. A file the server's
    ``wsgi.file_wrapper`` wraps stays that wrapper, so that the server still sends it
    with sendfile (an iterator around it would have every chunk read into Python)."""
    file_wrapper = environ.get("wsgi.file_wrapper")
    if file_wrapper is None or not isinstance(answer, file_wrapper):
        return ClosingIterator(answer, done)
    close_file = getattr(answer, "close", None)

    def close() -> None:
        try:
            if close_file is not None:
                close_file()
        finally:
            done()

    answer.close = close
    return answer


def note_request(response: Response) -> Response:
    """After every request in the app: leave its endpoint and user for the access line."""
    environ = request.environ
    environ[ENDPOINT_KEY] = request.endpoint
    identity = g.get("identity")
    if identity is not None:
        environ[USER_KEY] = identity.user_name
    return response


def init_app(app: Flask) -> None:
    app.after_request(note_request)
    app.wsgi_app = RequestContext(app.wsgi_app)
