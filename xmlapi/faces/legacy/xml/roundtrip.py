"""Read-modify-write: documents that carry back what a GET rendered.

Clients GET a resource, change one element and PUT back every element they read. A
document that carries read-only elements or the render's ``uri``/``id`` attributes is
such a round trip: it is compared with the resource's current render, read-only elements
whose value equals the stored one are removed (before the XSD check), and one that would
change something is refused by name. A copy read before the resource last changed (the
client added a cost or a photo since, say) carries the read-only values of then: they
are removed unchecked. Values compare as values: ``3.0`` equals ``3.00``,
``true`` equals ``1``, timestamps are instants, an empty element equals one whose
children are all empty, and a reference equals one with the same id whatever its uri.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from xmlapi.faces.legacy.xml.parse import ReadOnlyElements, parse, validate

# Attributes of a render's root that say which resource it is.
RENDER_ATTRIBUTES = ("uri", "id", "full_render")

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_BOOLEANS = {"true": Decimal(1), "false": Decimal(0)}


@dataclass(frozen=True)
class Edit:
    """A checked request document; ``stored`` is the current render without its
    read-only parts when the document was a round trip, else None."""

    root: etree._Element
    stored: etree._Element | None = None


def parse_edit(
    body: bytes,
    name: str,
    read_only: Iterable[str],
    current: Callable[[], etree._Element],
    stamp: str | None = None,
) -> Edit:
    """Parse a PUT body of ``<name>``; ``current()`` renders the resource as stored and
    is called only for a round trip. ``stamp``: the read-only element that says when the
    resource last changed (see ``accept_unchanged``). Raises ReadOnlyElements, XmlError."""
    read_only = tuple(read_only)
    root = parse(body)
    if not is_round_trip(root, read_only):
        validate(root, name)
        return Edit(root)
    rendered = current()
    accept_unchanged(root, rendered, read_only, stamp)
    validate(root, name)
    return Edit(root, without(rendered, read_only))


def is_round_trip(root: etree._Element, read_only: Iterable[str]) -> bool:
    if any(name in root.attrib for name in RENDER_ATTRIBUTES):
        return True
    return any(root.find(path) is not None for path in read_only)


def accept_unchanged(
    root: etree._Element,
    current: etree._Element,
    read_only: Iterable[str],
    stamp: str | None = None,
) -> None:
    """Remove the render's attributes and the read-only elements equal to ``current``'s;
    raise ReadOnlyElements naming those that differ (nothing is removed then).

    A copy read before the resource last changed (its ``stamp`` an instant earlier than
    the stored one) carries the read-only values of then: they are removed unchecked,
    as unchanged ones are (clients send back the whole document they read)."""
    changed = []
    if "id" in root.attrib and _scalar(root.get("id")) != _scalar(current.get("id")):
        changed.append("id")
    older = stamp is not None and _earlier(root.find(stamp), current.find(stamp))
    unchanged = []
    for path in read_only:
        stored = current.find(path)
        for element in root.findall(path):
            if older or (stored is not None and same(element, stored)):
                unchanged.append(element)
            else:
                changed.append(path)
    if changed:
        raise ReadOnlyElements(list(dict.fromkeys(changed)))
    for name in RENDER_ATTRIBUTES:
        root.attrib.pop(name, None)
    for element in unchanged:
        element.getparent().remove(element)


def _earlier(sent: etree._Element | None, stored: etree._Element | None) -> bool:
    """Whether ``sent`` is an instant earlier than ``stored`` (False for anything else)."""
    if sent is None or stored is None:
        return False
    sent_at, stored_at = _scalar(sent.text), _scalar(stored.text)
    both = isinstance(sent_at, dt.datetime) and isinstance(stored_at, dt.datetime)
    return both and sent_at < stored_at


def without(current: etree._Element, read_only: Iterable[str]) -> etree._Element:
    """A copy of ``current`` without its read-only elements: what a client may write."""
    writable = copy.deepcopy(current)
    for path in read_only:
        for element in writable.findall(path):
            element.getparent().remove(element)
    return writable


def same(a: etree._Element, b: etree._Element) -> bool:
    """Whether two elements carry the same value (see the module's rules)."""
    return _value(a) == _value(b)


def _value(element: etree._Element) -> tuple | None:
    """An element as a comparable value; None when it carries nothing."""
    children = [(child.tag, value) for child in element if (value := _value(child)) is not None]
    children.sort(key=lambda pair: pair[0])  # stable: repeated tags keep their order
    ident = _scalar(element.get("id"))
    scalar = _scalar(element.text)
    if not children and ident is None and scalar is None:
        return None
    return ident, scalar, tuple(children)


def _scalar(text: str | None):
    """A text as a value: None when blank, Decimal for numbers and booleans, an aware
    datetime for timestamps, else the text itself."""
    if text is None or not text.strip():
        return None
    stripped = text.strip()
    if stripped.lower() in _BOOLEANS:
        return _BOOLEANS[stripped.lower()]
    if _DECIMAL.fullmatch(stripped):
        return Decimal(stripped)
    if _TIMESTAMP.match(stripped):
        try:
            moment = dt.datetime.fromisoformat(stripped)
        except ValueError:
            return text
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return text
