"""gunicorn's refusals (a request it cannot parse, a header over its limits) in the
service's XML error shape instead of its HTML page. gunicorn.conf.py installs it."""

from __future__ import annotations

from gunicorn import util

from xmlapi.faces.legacy.xml.errors import error_document
from xmlapi.faces.legacy.xml.render import CONTENT_TYPE, to_bytes

TYPES = {
    400: "request.bad",
    403: "auth.forbidden",
    414: "uri.too_long",
    417: "expectation.failed",
    431: "header.too_large",
    500: "server.error",
    501: "not_implemented",
}


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """What gunicorn's ``util.write_error`` does, in XML. The message is not echoed: it
    quotes what the client sent, which need not even be text."""
    message = (
        "The server failed; the error was logged."
        if status_int >= 500
        else f"{reason}: the request could not be read."
    )
    body = to_bytes(error_document(TYPES.get(status_int, "http.error"), status_int, message))
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: {CONTENT_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    util.write_error = write_error
