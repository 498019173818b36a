"""Helpers every view uses: settings, XML in, XML out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from flask import Response, current_app, request, stream_with_context
from lxml import etree
from werkzeug.exceptions import RequestEntityTooLarge

from xmlapi.api.cache import RenderCache
from xmlapi.catalog.photo_store import PhotoStore
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.scales import DecodeLimits
from xmlapi.settings import Settings
from xmlapi.xml.parse import parse_document
from xmlapi.xml.render import CONTENT_TYPE, to_bytes
from xmlapi.xml.roundtrip import Edit, parse_edit


def settings() -> Settings:
    return current_app.extensions["xmlapi.settings"]


def renders() -> RenderCache:
    """Full renders of products, by product id."""
    return current_app.extensions["xmlapi.renders"]


def list_items() -> RenderCache:
    """Serialized list items of products, by product id."""
    return current_app.extensions["xmlapi.list_items"]


def photo_store() -> PhotoStore:
    return current_app.extensions["xmlapi.photo_store"]


def decode_limits() -> DecodeLimits:
    """This worker's photo decode limits and slots."""
    return current_app.extensions["xmlapi.decode_limits"]


def pricing() -> Pricing:
    current = settings()
    return Pricing(current.tax_inclusive, current.default_tax_rate)


def if_match() -> frozenset[str] | None:
    """The tags of the request's If-Match, None when it has none or ``*``. Compared
    strongly (RFC 9110 13.1.1): a weak tag matches nothing."""
    condition = request.if_match
    if not condition or condition.star_tag:
        return None
    return frozenset(condition.as_set())


def read_body() -> bytes:
    """The whole request body, or 413 when it is over the cap.

    A body with Content-Length is measured before reading. A chunked body is cut at the
    cap by werkzeug without an error, so one that fills the cap counts as too large.
    """
    data = request.get_data(cache=False)
    cap = request.max_content_length
    if cap is not None and request.content_length is None and len(data) >= cap:
        raise RequestEntityTooLarge()
    return data


def parse_body(name: str, read_only: Iterable[str] = ()) -> etree._Element:
    """The request body as a checked ``<name>`` document (413/400 on failure)."""
    return parse_document(read_body(), name, read_only)


def parse_edit_body(
    name: str, read_only: Iterable[str], current: Callable[[], etree._Element]
) -> Edit:
    """A PUT body as a checked ``<name>`` document; ``current()`` renders the resource
    as stored, for documents that carry back what a GET rendered (read-modify-write)."""
    return parse_edit(read_body(), name, read_only, current)


def xml_response(element: etree._Element, status: int = 200, **headers: str) -> Response:
    return Response(to_bytes(element), status, headers, content_type=CONTENT_TYPE)


def xml_stream(chunks: Iterator[bytes]) -> Response:
    """A streamed XML answer; the request's database session lives until the end."""
    return Response(stream_with_context(chunks), 200, content_type=CONTENT_TYPE)
