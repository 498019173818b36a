"""What the JSON faces share: reading a JSON document from a request and writing JSON
answers and errors. Money stays ``Decimal`` on the way in (numbers are never floats)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import Response, current_app, request

from xmlapi.http.common import read_body
from xmlapi.http.faces import ErrorTable

MAX_DEPTH = 32  # a document nested deeper is refused before it is walked


class MalformedDocument(Exception):
    """The body is not a JSON object this face can read."""


class UnsupportedDocumentType(Exception):
    """The body was sent with a media type other than JSON."""


# What a JSON face adds to the shared error table.
JSON_ERRORS: ErrorTable = (
    (MalformedDocument, 400, "document.malformed"),
    (UnsupportedDocumentType, 415, "media.unsupported"),
)


def _refuse_constant(name: str) -> Any:
    raise MalformedDocument(f"{name} is not a number JSON allows.")


def _depth(value: Any, limit: int) -> None:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise MalformedDocument(f"The document is nested deeper than {limit} levels.")
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        stack.extend((child, depth + 1) for child in node)


def read_object() -> dict[str, Any]:
    """The request's body as a JSON object: numbers with a fraction as Decimal, NaN and
    Infinity refused, at most MAX_DEPTH levels. A missing Content-Type is taken as JSON
    (scripts forget it); another media type is refused."""
    mimetype = request.mimetype
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedDocumentType(f"Send the document as application/json, not {mimetype}.")
    body = read_body()
    try:
        document = json.loads(
            body.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant
        )
    except UnicodeDecodeError as exc:
        raise MalformedDocument("The document is not UTF-8.") from exc
    except RecursionError as exc:
        raise MalformedDocument(f"The document is nested deeper than {MAX_DEPTH} levels.") from exc
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        raise MalformedDocument(f"The document is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise MalformedDocument("The document must be a JSON object.")
    _depth(document, MAX_DEPTH)
    return document


def json_answer(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """``data`` as a JSON answer (Decimal written as a string by Flask's provider)."""
    response = current_app.response_class(
        current_app.json.dumps(data), status=status, mimetype="application/json"
    )
    response.headers.update(headers or {})
    return response


def write_error(
    status: int,
    error_type: str,
    message: str,
    fields: Mapping[str, str] | None,
    headers: Mapping[str, str],
) -> Response:
    """An error of a JSON face: ``{"field": ["message"]}`` when it names fields, else
    ``{"detail": "...", "type": "..."}`` (the shapes of the JSON specs)."""
    if fields:
        body: dict[str, Any] = {name: [text] for name, text in fields.items()}
    else:
        body = {"detail": message, "type": error_type}
    return json_answer(body, status, headers)
