"""WSGI middleware for what legacy clients send, and for what no client may send."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable

from werkzeug.wsgi import ClosingIterator

# How an answer made before routing is written: (path, status, error type, message) ->
# the body and its content type, in the format of the face the path belongs to.
ErrorBody = Callable[[str, int, str, str], tuple[bytes, str]]

log = logging.getLogger(__name__)
_SLASHES = re.compile(r"//+")


class MergeSlashes:
    """Answer ``/api//products/1/`` exactly like ``/api/products/1/``, for every method.

    werkzeug's own ``merge_slashes`` answers such paths with a redirect, which would lose
    the method or the body of legacy clients (and take its Location from the Host
    header); the path is read with single slashes before routing instead. A missing
    trailing slash needs nothing here: the routes do not insist on it
    (``strict_slashes`` is off in the app factory).
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if "//" in path:
            environ["PATH_INFO"] = _SLASHES.sub("/", path)
        return self.app(environ, start_response)


class RequestLimits:
    """Refuse request targets and header fields over the service's caps (414, 431), in
    the format of the path's face, and read the body whole, against a deadline, before
    the app sees the request (408 when it does not arrive in time).

    gunicorn's own limits are set higher (gunicorn.conf.py), so that these answers, not
    its HTML pages, are what clients see. Reading the body first means a client that
    trickles it holds a thread for the deadline at most, no view or database
    transaction ever waits on the network, and an early answer (401, 428) never leaves
    a body unread on the connection.
    """

    def __init__(
        self,
        app,
        *,
        max_url_bytes: int,
        max_header_bytes: int,
        max_body_bytes: int,
        body_seconds: float,
        error_body: ErrorBody,
    ):
        self.app = app
        self.error_body = error_body
        self.max_url_bytes = max_url_bytes
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes
        self.body_seconds = body_seconds

    def _refuse(self, environ, start_response, status: int, error_type: str, message: str):
        path = environ.get("PATH_INFO", "")
        body, content_type = self.error_body(path, status, error_type, message)
        start_response(
            f"{status} {REASONS[status]}",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]

    def __call__(self, environ, start_response):
        if _target_length(environ) > self.max_url_bytes:
            message = f"The request target is longer than {self.max_url_bytes} bytes."
            return self._refuse(environ, start_response, 414, "uri.too_long", message)
        if _largest_header(environ) > self.max_header_bytes:
            message = f"A request header field is larger than {self.max_header_bytes} bytes."
            return self._refuse(environ, start_response, 431, "header.too_large", message)
        try:
            spool = self._buffer_body(environ)
        except BodyTimeout:
            message = f"The request body did not arrive within {self.body_seconds:g} s."
            return self._refuse(environ, start_response, 408, "body.timeout", message)
        except BodyCutShort:
            message = "The request body ended before its Content-Length."
            return self._refuse(environ, start_response, 400, "request.bad", message)
        except OSError as exc:  # the spool's disk (TMPDIR) is full or failing
            log.error(
                "could not keep a request body of %s bytes: %s", _content_length(environ), exc
            )
            message = "The server could not keep the request body; try again later."
            return self._refuse(environ, start_response, 503, "body.unstored", message)
        if spool is None:
            return self.app(environ, start_response)
        return ClosingIterator(self.app(environ, start_response), spool.close)

    def _buffer_body(self, environ):
        """Replace ``wsgi.input`` by the body read whole (spooled to disk when large).

        A body declared larger than any cap is left to the app, which refuses it (413)
        before reading; a chunked one is read up to one byte past the cap.
        """
        length = _content_length(environ)
        # gunicorn says wsgi.input_terminated of every request, bodiless GETs included
        chunked = length is None and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and (length is None or length == 0 or length > self.max_body_bytes):
            return None
        # It outlives this call as wsgi.input, closed when the answer is done.
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        deadline = Deadline(self.body_seconds, environ.get("gunicorn.socket"))
        try:
            wanted = self.max_body_bytes + 1 if chunked else length
            if _copy(environ["wsgi.input"], spool, wanted, deadline) and not chunked:
                raise BodyCutShort()
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        environ["wsgi.input"] = spool
        return spool


def _copy(stream, spool, wanted: int, deadline: Deadline) -> int:
    """Copy up to ``wanted`` bytes of ``stream`` to ``spool`` before the deadline;
    returns how many of them did not come."""
    try:
        while wanted > 0:
            try:
                chunk = stream.read(min(CHUNK, wanted))
            except Exception:  # any failure to read is a body cut short
                chunk = b""
            deadline.check()
            if not chunk:
                break
            spool.write(chunk)
            wanted -= len(chunk)
    finally:
        deadline.cancel()
    return wanted


SPOOL_IN_MEMORY = 1024 * 1024
CHUNK = 64 * 1024


class BodyTimeout(Exception):
    """The body did not arrive before its deadline."""


class BodyCutShort(Exception):
    """The client stopped sending before the body's declared end."""


class Deadline:
    """The time a body has to arrive. Under gunicorn a timer stops reading from the
    client's socket when it passes: a read that waits on a client that sends nothing
    (or a byte now and then) ends then, whatever gunicorn's reader does inside."""

    def __init__(self, seconds: float, sock):
        self.at = time.monotonic() + seconds
        self.passed = threading.Event()
        self._timer = None
        if sock is not None:
            self._timer = threading.Timer(seconds, self._stop, (sock,))
            self._timer.daemon = True
            self._timer.start()

    def _stop(self, sock) -> None:
        self.passed.set()
        with contextlib.suppress(OSError):
            # Reads return at once from now on, and gunicorn will not wait for the rest
            # of the body to find a next request on this connection.
            sock.shutdown(socket.SHUT_RD)

    def check(self) -> None:
        if self.passed.is_set() or time.monotonic() > self.at:
            raise BodyTimeout()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _content_length(environ) -> int | None:
    try:
        return int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


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


REASONS = {
    400: "Bad Request",
    503: "Service Unavailable",
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
}
