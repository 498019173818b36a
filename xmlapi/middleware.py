"""WSGI middleware for what legacy clients send, and for what no client may send."""

from __future__ import annotations

import contextlib
import re
import socket
import time

from werkzeug.exceptions import RequestTimeout

from xmlapi.xml.errors import error_document
from xmlapi.xml.render import CONTENT_TYPE, to_bytes

_SLASHES = re.compile(r"//+")


class TrailingSlash:
    """Answer ``/api/products/2`` exactly like ``/api/products/2/``, for every method.

    Legacy clients leave the slash off, for LOCK and UNLOCK too; a redirect would lose
    the method or the body, so the path is completed before routing instead.
    The last segment of a file path (``schemas/in/product.xsd``) is left alone.
    Runs of slashes (``/api//products/1/``) are read as one, for the same reason.
    """

    def __init__(self, app, prefix: str = "/api"):
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            path = environ["PATH_INFO"] = _SLASHES.sub("/", path)
        if path.startswith(self.prefix) and not path.endswith("/"):
            last = path.rsplit("/", 1)[-1]
            if "." not in last:
                environ["PATH_INFO"] = path + "/"
        return self.app(environ, start_response)


class RequestLimits:
    """Refuse, as XML, request targets and header fields over the service's caps (414,
    431), and give the body a deadline: reads past it raise 408.

    gunicorn's own limits are set higher (gunicorn.conf.py), so that these answers, not
    its HTML pages, are what clients see.
    """

    def __init__(self, app, *, max_url_bytes: int, max_header_bytes: int, body_seconds: float):
        self.app = app
        self.max_url_bytes = max_url_bytes
        self.max_header_bytes = max_header_bytes
        self.body_seconds = body_seconds

    def __call__(self, environ, start_response):
        if _target_length(environ) > self.max_url_bytes:
            return _refuse(
                start_response,
                414,
                "uri.too_long",
                f"The request target is longer than {self.max_url_bytes} bytes.",
            )
        if _largest_header(environ) > self.max_header_bytes:
            return _refuse(
                start_response,
                431,
                "header.too_large",
                f"A request header field is larger than {self.max_header_bytes} bytes.",
            )
        environ["wsgi.input"] = DeadlineInput(
            environ["wsgi.input"], environ.get("gunicorn.socket"), self.body_seconds
        )
        return self.app(environ, start_response)


class DeadlineInput:
    """``wsgi.input`` whose reads must all be done within ``seconds`` of the request's
    start; otherwise RequestTimeout (408). Under gunicorn each read also waits on the
    client's socket no longer than the time left, so a client that stops sending holds a
    thread only that long."""

    def __init__(self, stream, sock, seconds: float):
        self._stream = stream
        self._sock = sock
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds

    def read(self, *args):
        return self._call(self._stream.read, *args)

    def readline(self, *args):
        return self._call(self._stream.readline, *args)

    def readlines(self, *args):
        return self._call(self._stream.readlines, *args)

    def __iter__(self):
        while line := self.readline():
            yield line

    def _call(self, method, *args):
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise self._timeout()
        if self._sock is None:
            return method(*args)
        try:
            self._sock.settimeout(left)
            return method(*args)
        except TimeoutError:
            raise self._timeout() from None
        finally:
            self._sock.settimeout(None)

    def _timeout(self) -> RequestTimeout:
        if self._sock is not None:
            # The rest of the body is not wanted: without this, gunicorn would wait for
            # it (to find the next request on the connection) in a thread of its own.
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RD)
        return RequestTimeout(f"The request body did not arrive within {self._seconds:g} s.")


def _target_length(environ) -> int:
    raw = environ.get("RAW_URI")
    if raw is not None:
        return len(raw)
    query = environ.get("QUERY_STRING", "")
    return len(environ.get("PATH_INFO", "")) + (len(query) + 1 if query else 0)


def _largest_header(environ) -> int:
    return max(
        (len(key) - 5 + len(value) for key, value in environ.items() if key.startswith("HTTP_")),
        default=0,
    )


def _refuse(start_response, status: int, error_type: str, message: str):
    body = to_bytes(error_document(error_type, status, message))
    reasons = {414: "URI Too Long", 431: "Request Header Fields Too Large"}
    start_response(
        f"{status} {reasons[status]}",
        [
            ("Content-Type", CONTENT_TYPE),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ],
    )
    return [body]
