"""Every failure becomes an error in the format of the face that was asked, with a
stable type.

The table below is the list of error types clients can rely on, whatever the face; a
face adds the types of its own wire format (a malformed document, say) and writes each
error its way. Flask's own errors (404, 405, 413, ...) and uncaught exceptions go
through the same writer, so no answer is ever a page of the framework or a traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, Response
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from xmlapi.catalog import errors as catalog
from xmlapi.catalog.feed import CursorExpired
from xmlapi.catalog.filters import InvalidQuery
from xmlapi.http.faces import ErrorTable, face_of_request

log = logging.getLogger(__name__)

# exception -> (status, error type); a face's own table is tried first.
ERRORS: ErrorTable = (
    (InvalidQuery, 400, "query.invalid"),
    (catalog.NotFound, 404, "not_found"),
    (CursorExpired, 410, "cursor.expired"),
    (catalog.UnknownReference, 422, "reference.unknown"),
    (catalog.InvalidValue, 422, "field.invalid"),
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


def write_error(
    status: int,
    error_type: str,
    message: str,
    fields: dict[str, str] | None = None,
    **headers: str,
) -> Response:
    """The error in the format of the face the request was for."""
    return face_of_request().write_error(status, error_type, message, fields, headers)


def _headers(exc: Exception) -> dict[str, str]:
    if isinstance(exc, catalog.ModifiedMeanwhile):
        return {"ETag": f'"{exc.current_etag}"'}
    if isinstance(exc, OperationalError):
        return {"Retry-After": "1"}
    retry_after = getattr(exc, "retry_after", None)
    return {} if retry_after is None else {"Retry-After": str(retry_after)}


def _message(exc: Exception) -> str:
    if isinstance(exc, OperationalError):
        log.warning("database unavailable: %s", exc.orig)
        return "The database is not answering; try again shortly."
    return str(exc)


def handle_known(exc: Exception) -> Response:
    face = face_of_request()
    for cls, status, error_type in (*face.errors, *ERRORS):
        if isinstance(exc, cls):
            fields = face.error_fields(exc) if face.error_fields else None
            fields = fields or getattr(exc, "fields", None) or None
            return face.write_error(status, error_type, _message(exc), fields, _headers(exc))
    return handle_unexpected(exc)


def handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    for name, value in exc.get_headers():
        if name in ("WWW-Authenticate", "Retry-After"):
            headers[name] = value
    message = exc.description or exc.name
    return write_error(status, HTTP_TYPES.get(status, "http.error"), message, **headers)


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error: %s", exc)
    return write_error(500, "server.error", "The server failed; the error was logged.")


def register(app: Flask, table: ErrorTable) -> None:
    """Send the exceptions of ``table`` to the face-aware handler."""
    for cls, _status, _type in table:
        app.register_error_handler(cls, handle_known)


def init_app(app: Flask) -> None:
    register(app, ERRORS)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
