"""The PIM face's errors: malformed JSON is 400, a bad value 422 naming its field."""

from __future__ import annotations

from xmlapi.http.faces import ErrorTable
from xmlapi.http.jsonio import JSON_ERRORS


class BadParameter(Exception):
    """A query parameter the face cannot read; ``name`` is the parameter."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.fields = {name: message}


ERRORS: ErrorTable = (*JSON_ERRORS, (BadParameter, 422, "parameter.invalid"))


def error_fields(exc: Exception) -> dict[str, str] | None:
    return getattr(exc, "fields", None) or None
