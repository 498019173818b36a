"""What every view of the legacy face uses: XML in, XML out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from flask import Response, stream_with_context
from lxml import etree

from xmlapi.faces.legacy.xml.parse import parse_document
from xmlapi.faces.legacy.xml.render import CONTENT_TYPE, to_bytes
from xmlapi.faces.legacy.xml.roundtrip import Edit, parse_edit
from xmlapi.http.common import read_body


def parse_body(name: str, read_only: Iterable[str] = ()) -> etree._Element:
    """The request body as a checked ``<name>`` document (413/400 on failure)."""
    return parse_document(read_body(), name, read_only)


def parse_edit_body(
    name: str,
    read_only: Iterable[str],
    current: Callable[[], etree._Element],
    stamp: str | None = None,
) -> Edit:
    """A PUT body as a checked ``<name>`` document; ``current()`` renders the resource
    as stored, for documents that carry back what a GET rendered (read-modify-write);
    ``stamp``: the element saying when it last changed (see ``parse_edit``)."""
    return parse_edit(read_body(), name, read_only, current, stamp)


def xml_response(element: etree._Element, status: int = 200, **headers: str) -> Response:
    return Response(to_bytes(element), status, headers, content_type=CONTENT_TYPE)


def xml_stream(chunks: Iterator[bytes]) -> Response:
    """A streamed XML answer; the request's database session lives until the end."""
    return Response(stream_with_context(chunks), 200, content_type=CONTENT_TYPE)
