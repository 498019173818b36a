"""Checks every XML answer the tests receive against the XSD of its root element."""

from __future__ import annotations

from flask.testing import FlaskClient
from lxml import etree

from xmlapi.faces.legacy.xml.render import PROLOG
from xmlapi.faces.legacy.xml.schemas import response_schemas


class ResponseInvalid(AssertionError):
    pass


def check_response(response) -> None:
    xml_answer = (response.content_type or "").startswith("application/xml")
    if not xml_answer or response.status_code == 304:
        return
    if response.request.path.startswith("/api/schemas/") and response.status_code == 200:
        return  # an XSD file itself
    check_xml(response.get_data())


def check_xml(body: bytes) -> etree._Element:
    """Check an XML answer's prolog and XSD; returns its root."""
    if not body.startswith(PROLOG):
        raise ResponseInvalid(f"XML answer without the legacy prolog: {body[:60]!r}")
    root = etree.fromstring(body)
    schema = response_schemas().get(root.tag)
    if schema is None:
        raise ResponseInvalid(f"no response XSD declares <{root.tag}>")
    if not schema.validate(root):
        raise ResponseInvalid(
            f"<{root.tag}> answer breaks its XSD: {schema.error_log.last_error}\n"
            f"{body.decode()[:2000]}"
        )
    return root


class XsdCheckingClient(FlaskClient):
    def open(self, *args, **kwargs):
        # Read streamed answers whole and close them, as a WSGI server does; an
        # unclosed stream would keep its database transaction open.
        kwargs.setdefault("buffered", True)
        response = super().open(*args, **kwargs)
        check_response(response)
        return response
