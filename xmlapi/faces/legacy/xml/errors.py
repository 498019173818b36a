"""The one builder of error documents, in the legacy server's shape."""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree


def error_document(
    error_type: str, status: int, message: str, fields: Mapping[str, str] | None = None
) -> etree._Element:
    """``<error type status><localizable_message type><message/><fields/>...``"""
    error = etree.Element("error", type=error_type, status=str(status))
    localizable = etree.SubElement(error, "localizable_message", type=error_type)
    etree.SubElement(localizable, "message").text = message
    if fields:
        container = etree.SubElement(localizable, "fields")
        for name, problem in fields.items():
            etree.SubElement(container, "field", name=name).text = problem
    return error
