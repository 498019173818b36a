"""Every error under /catalog/ is a page: the sign-in form when nobody is signed in,
else a page naming what went wrong (status, stable type, message, fields)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, g

from xmlapi.faces.pages.common import CsrfRefused, page
from xmlapi.faces.pages.forms import FormInvalid
from xmlapi.faces.pages.signin import sign_in_page
from xmlapi.http.errors import ErrorTable

ERRORS: ErrorTable = (
    (CsrfRefused, 403, "csrf.refused"),
    (FormInvalid, 422, "field.invalid"),
)
# A browser would answer this with its own password dialog: the form replaces it.
_DROPPED = {"WWW-Authenticate"}


def write_error(
    status: int,
    error_type: str,
    message: str,
    fields: Mapping[str, str] | None,
    headers: Mapping[str, str],
) -> Response:
    if status == 401 and g.get("identity") is None:
        wording = "Sign in to continue." if error_type == "auth.required" else message
        response = sign_in_page(401, wording)
    else:
        response = page(
            "error.html",
            status,
            error_status=status,
            error_type=error_type,
            message=message,
            fields=fields or {},
        )
    for name, value in headers.items():
        if name not in _DROPPED:
            response.headers[name] = value
    return response
