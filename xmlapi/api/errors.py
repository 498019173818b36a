"""Every failure becomes an XML ``<error>`` document with a stable type.

The table below is the list of error types clients can rely on. Flask's own errors
(404, 405, 413, ...) and uncaught exceptions go through the same builder, so no answer
is ever an HTML page or a traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, Response
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from xmlapi.api.common import xml_response
from xmlapi.catalog import errors as catalog
from xmlapi.catalog.filters import InvalidQuery
from xmlapi.payloads import PayloadError
from xmlapi.xml.errors import error_document
from xmlapi.xml.parse import InvalidDocument, MalformedXml, ReadOnlyElements

log = logging.getLogger(__name__)

# exception -> (status, error type); the first matching class wins.
ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (MalformedXml, 400, "xml.malformed"),
    (InvalidDocument, 400, "xml.invalid"),
    (ReadOnlyElements, 400, "field.read_only"),
    (InvalidQuery, 400, "query.invalid"),
    (PayloadError, 422, "field.invalid"),
    (catalog.NotFound, 404, "not_found"),
    (catalog.UnknownReference, 422, "reference.unknown"),
    (catalog.RuleBroken, 422, "rule.broken"),
    (catalog.LockNotHeld, 409, "lock.not_held"),
    (catalog.Conflict, 409, "conflict"),
    (catalog.ModifiedMeanwhile, 412, "precondition.failed"),
    (catalog.LockHeld, 423, "lock.held"),
    (catalog.LockRequired, 428, "lock.required"),
    (catalog.UnsupportedImage, 415, "media.unsupported"),
    (catalog.ImageTooLarge, 413, "image.too_large"),
    (catalog.PhotoFileMissing, 500, "photo.file_missing"),
    # The database went away under the request (restarted, connection cut): nothing of
    # it was committed, and the same request may be sent again.
    (OperationalError, 503, "database.unavailable"),
    (catalog.StorageFull, 507, "storage.full"),
    (catalog.StorageUnavailable, 503, "storage.unavailable"),
    (catalog.DecoderBusy, 503, "server.busy"),
)

# Flask's and werkzeug's own errors, by status.
HTTP_TYPES = {
    400: "request.bad",
    401: "auth.required",
    403: "auth.forbidden",
    404: "not_found",
    405: "method.not_allowed",
    406: "not_acceptable",
    408: "body.timeout",
    409: "conflict",
    411: "length.required",
    412: "precondition.failed",
    413: "body.too_large",
    415: "media.unsupported",
    428: "precondition.required",
    429: "rate.limited",
    500: "server.error",
    501: "not_implemented",
}


def error_response(
    status: int, error_type: str, message: str, fields: dict[str, str] | None = None, **headers: str
) -> Response:
    return xml_response(error_document(error_type, status, message, fields), status, **headers)


def _fields(exc: Exception) -> dict[str, str] | None:
    if isinstance(exc, ReadOnlyElements):
        return {path: "Read-only; leave it out." for path in exc.paths}
    if isinstance(exc, MalformedXml | InvalidDocument) and exc.line is not None:
        return {"body": str(exc)}
    return getattr(exc, "fields", None) or None


def _headers(exc: Exception) -> dict[str, str]:
    if isinstance(exc, catalog.ModifiedMeanwhile):
        return {"ETag": f'"{exc.current_etag}"'}
    if isinstance(exc, OperationalError):
        return {"Retry-After": "1"}
    retry_after = getattr(exc, "retry_after", None)
    return {} if retry_after is None else {"Retry-After": str(retry_after)}


def handle_known(exc: Exception) -> Response:
    for cls, status, error_type in ERRORS:
        if isinstance(exc, cls):
            return error_response(status, error_type, _message(exc), _fields(exc), **_headers(exc))
    return handle_unexpected(exc)


def _message(exc: Exception) -> str:
    if isinstance(exc, OperationalError):
        log.warning("database unavailable: %s", exc.orig)
        return "The database is not answering; try again shortly."
    return str(exc)


def handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    for name, value in exc.get_headers():
        if name in ("WWW-Authenticate", "Retry-After"):
            headers[name] = value
    message = exc.description or exc.name
    return error_response(status, HTTP_TYPES.get(status, "http.error"), message, **headers)


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error: %s", exc)
    return error_response(500, "server.error", "The server failed; the error was logged.")


def init_app(app: Flask) -> None:
    for cls, _status, _type in ERRORS:
        app.register_error_handler(cls, handle_known)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
