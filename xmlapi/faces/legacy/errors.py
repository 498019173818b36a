"""The legacy face writes every error as an XML ``<error>`` document in the legacy
server's shape; these are the error types of its own wire format."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response

from xmlapi.faces.legacy.common import xml_response
from xmlapi.faces.legacy.payloads import PayloadError
from xmlapi.faces.legacy.xml.errors import error_document
from xmlapi.faces.legacy.xml.parse import InvalidDocument, MalformedXml, ReadOnlyElements
from xmlapi.http.errors import ErrorTable

# The catalog names fields by their attributes; these are the legacy documents' names
# for those that differ (anything else is called the same in both).
WIRE_NAMES = {
    "class_id": "class",
    "currency_id": "currency",
    "supplier_id": "supplier",
    "tax_exemption_id": "tax_exemption",
    "pos_category_id": "categories/pos/category",
    "web_category_id": "categories/web/category",
    "product_color_id": "product_color",
    "product_size_id": "product_size",
    "master_id": "master_product/product",
    "related_id": "related_products/related_product/product",
    "related": "related_products",
    "serialized": "flags/serialized",
    "warehouse_id": "warehouse",
    "source_name": "Content-Location",
}

ERRORS: ErrorTable = (
    (MalformedXml, 400, "xml.malformed"),
    (InvalidDocument, 400, "xml.invalid"),
    (ReadOnlyElements, 400, "field.read_only"),
    (PayloadError, 422, "field.invalid"),
)


def write_error(
    status: int,
    error_type: str,
    message: str,
    fields: Mapping[str, str] | None,
    headers: Mapping[str, str],
) -> Response:
    named = {WIRE_NAMES.get(name, name): text for name, text in (fields or {}).items()}
    document = error_document(error_type, status, message, named or None)
    return xml_response(document, status, **headers)


def error_fields(exc: Exception) -> dict[str, str] | None:
    """The fields an error of this face's own parsing names."""
    if isinstance(exc, ReadOnlyElements):
        return {path: "Read-only; leave it out." for path in exc.paths}
    if isinstance(exc, InvalidDocument) and exc.field is not None:
        return {exc.field: str(exc)}
    if isinstance(exc, MalformedXml | InvalidDocument) and exc.line is not None:
        return {"body": str(exc)}
    return None
