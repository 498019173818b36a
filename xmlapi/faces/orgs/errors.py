"""How the organization face writes errors: JSON in the spec's shapes (``{"field":
["message"]}`` for a value refused, ``{"detail": ...}`` otherwise; see http/jsonio).
A value the catalog refuses is a 400 here, as the spec's validation errors are."""

from __future__ import annotations

from marshmallow import ValidationError

from xmlapi.catalog import errors as catalog
from xmlapi.http.faces import ErrorTable
from xmlapi.http.jsonio import JSON_ERRORS

ERRORS: ErrorTable = (
    (ValidationError, 400, "field.invalid"),
    (catalog.InvalidValue, 400, "field.invalid"),
    (catalog.UnknownReference, 400, "reference.unknown"),
    (catalog.RuleBroken, 400, "rule.broken"),
    *JSON_ERRORS,
)

# The catalog's names of what the wire calls otherwise.
WIRE_NAMES = {
    "sell_price": "unit_price",
    "sell": "unit_price",
    "currency_id": "unit_price",
    "available": "quantity",
}


def error_fields(exc: Exception) -> dict[str, str] | None:
    """The fields an error names, by their wire names, one message each."""
    if isinstance(exc, ValidationError):
        return {str(name): _text(messages) for name, messages in exc.normalized_messages().items()}
    fields = getattr(exc, "fields", None)
    if not fields:
        return None
    return {WIRE_NAMES.get(name, name): text for name, text in fields.items()}


def _text(messages) -> str:
    """marshmallow's messages of one field (a list, or a dict for nested values) as one."""
    if isinstance(messages, dict):
        return " ".join(f"{name}: {_text(value)}" for name, value in messages.items())
    if isinstance(messages, list | tuple):
        return " ".join(_text(message) for message in messages)
    return str(messages)
