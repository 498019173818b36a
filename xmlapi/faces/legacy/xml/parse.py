"""The one way request bodies become elements: a hardened parser, then the XSD.

No DTDs, no entities, no network, no huge trees. Every failure is an ``XmlError``
carrying the line and column where the document went wrong.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

from lxml import etree

from xmlapi.faces.legacy.xml.schemas import request_schema


class XmlError(ValueError):
    """A request body is not the document we expected."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{self.message} ({where})"


class MalformedXml(XmlError):
    """Not well-formed XML, or XML with constructs we refuse (DTDs, entities)."""


class InvalidDocument(XmlError):
    """Well-formed XML that its XSD refuses; ``field``: the element it refuses, as the
    face's field paths name it (``flags/web``), when it is not the document itself."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ):
        super().__init__(message, line, column)
        self.field = field


class ReadOnlyElements(XmlError):
    """A document carries elements the client may read but not write."""

    def __init__(self, paths: list[str]):
        super().__init__(f"Read-only elements cannot be written: {', '.join(paths)}.")
        self.paths = paths


_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers keep state while parsing, so each thread gets its own.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def parse(body: bytes) -> etree._Element:
    """Parse ``body`` into its root element, refusing DTDs and entity references."""
    if not body.strip():
        raise MalformedXml("The request body is empty; an XML document was expected.")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise MalformedXml(f"Malformed XML: {_first_line(exc.msg)}", line, column) from None
    doctype = root.getroottree().docinfo
    if doctype.doctype or doctype.internalDTD is not None:
        raise MalformedXml("DTDs and entity declarations are not allowed.", 1)
    for entity in root.iter(etree.Entity):
        raise MalformedXml(f"Entity reference &{entity.name}; is not allowed.", entity.sourceline)
    return root


def parse_document(body: bytes, name: str, read_only: Iterable[str] = ()) -> etree._Element:
    """Parse ``body`` and check it against the request XSD of ``<name>``.

    Elements at the ``read_only`` paths (as the full render shows them) are refused
    first, by name, rather than as unexpected elements of the XSD.
    """
    root = parse(body)
    present = [path for path in read_only if root.find(path) is not None]
    if present:
        raise ReadOnlyElements(present)
    validate(root, name)
    return root


def validate(root: etree._Element, name: str) -> None:
    schema = request_schema(name)
    if root.tag != name:
        raise InvalidDocument(f"Expected a <{name}> document, got <{root.tag}>.", root.sourceline)
    if not schema.validate(root):
        error = schema.error_log.last_error
        raise InvalidDocument(
            _first_line(error.message),
            error.line,
            error.column or None,
            _field_of(error.path, name),
        )


def _field_of(path: str | None, name: str) -> str | None:
    """The element an XSD error names, as the face's field paths do (``flags/web``);
    None for the document itself. ``path`` is lxml's: /product/keywords/keyword[4]."""
    prefix = f"/{name}/"
    if not path or not path.startswith(prefix):
        return None
    return re.sub(r"\[\d+\]", "", path[len(prefix) :]) or None


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


def element_to_dict(element: etree._Element) -> dict[str, Any]:
    """Turn an element's children into a dict keyed by tag.

    A child with children becomes a dict; an empty child with attributes (a reference
    such as ``<class id="3"/>``) becomes its attributes; other children become their
    text, or None when empty. A tag that repeats becomes a list.
    """
    data: dict[str, Any] = {}
    for child in element:
        value = _child_value(child)
        if child.tag not in data:
            data[child.tag] = value
        elif isinstance(data[child.tag], _Repeated):
            data[child.tag].append(value)
        else:
            data[child.tag] = _Repeated([data[child.tag], value])
    return {key: list(v) if isinstance(v, _Repeated) else v for key, v in data.items()}


class _Repeated(list):
    """A list made by repetition, told apart from values that are already lists."""


def _child_value(child: etree._Element) -> Any:
    if len(child):
        return element_to_dict(child)
    if child.attrib:
        return dict(child.attrib)
    text = child.text
    return text if text is not None and text != "" else None
