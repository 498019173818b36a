"""Paging of the organization face's lists: ``?limit=&offset=`` in, and the spec's
``{"count", "next", "previous", "results"}`` out, ``next``/``previous`` full URLs with
every other parameter of the request kept. Keyset paging (``?after=``, where a list
offers it) adds ``next_after``, the cursor ``next`` carries."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import request
from marshmallow import ValidationError

from xmlapi.catalog.filters import InvalidQuery
from xmlapi.catalog.listing import Keyset, parse_cursor
from xmlapi.catalog.orders import Page, Paging

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 2**63 - 1  # both databases' OFFSET is 64-bit


@dataclass(frozen=True)
class PageRequest:
    offset: int
    limit: int


def page_request() -> PageRequest:
    """The page the request asks for; raises ValidationError naming the parameter."""
    return PageRequest(
        offset=whole_number("offset", 0, MAX_OFFSET, 0),
        limit=whole_number("limit", 1, MAX_LIMIT, DEFAULT_LIMIT),
    )


def whole_number(name: str, minimum: int, maximum: int, default: int) -> int:
    """Query parameter ``name`` as a number from ``minimum`` to ``maximum`` (ASCII
    digits only); ``default`` when it is absent or empty."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and minimum <= int(raw) <= maximum):
        raise ValidationError({name: [f"Must be a whole number from {minimum} to {maximum}."]})
    return int(raw)


def page_head(count: int, page: PageRequest) -> dict[str, Any]:
    """A list's answer but its items: how many in all, links to the pages around."""
    following = page.offset + page.limit
    return {
        "count": count,
        "next": page_url(following, page.limit) if following < count else None,
        "previous": (
            page_url(max(page.offset - page.limit, 0), page.limit) if page.offset > 0 else None
        ),
    }


def page_document(count: int, page: PageRequest, results: Iterable[Any]) -> dict[str, Any]:
    """A list's answer: how many in all, links to the pages around, this page's items."""
    return {**page_head(count, page), "results": list(results)}


def page_url(offset: int, limit: int) -> str:
    """This list's URL at another offset, every other parameter kept."""
    return _url_with(limit=str(limit), offset=str(offset))


def _url_with(**replaced: str) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in replaced]
    return f"{request.base_url}?{urlencode([*args, *replaced.items()])}"


def keyset_cursor(page: PageRequest) -> Keyset | None:
    """The ``after`` cursor of a keyset page (None without one); raises
    ValidationError naming the parameter."""
    raw = request.args.get("after")
    if raw is None:
        return None
    try:
        cursor = parse_cursor(raw)
    except InvalidQuery as exc:
        raise ValidationError({"after": [exc.message]}) from None
    if page.offset:
        raise ValidationError({"offset": ["after takes no offset: the cursor says where."]})
    return cursor


def keyset_head(count: int, shown: int, cursor: str) -> dict[str, Any]:
    """A keyset page's answer but its items: ``count`` matches from its cursor on, of
    which ``shown`` were listed (read) on it; ``next`` follows from ``cursor``."""
    return {
        "count": count,
        "next": _url_with(after=cursor) if count > shown else None,
        "previous": None,
        "next_after": cursor,
    }


def paging() -> Paging:
    """The page of a list of orders, boxes or items the request asks for (``limit`` and
    ``offset``, or ``after`` and ``limit``); raises ValidationError."""
    page = page_request()
    return Paging(limit=page.limit, offset=page.offset, after=keyset_cursor(page))


def list_document(found: Page, paged: Paging, format_one: Callable[[Any], Any]) -> dict[str, Any]:
    """The answer of a page of orders, boxes or items, in offset or keyset paging."""
    results = [format_one(view) for view in found.results]
    if found.cursor is None:
        return page_document(found.count, PageRequest(paged.offset, paged.limit), results)
    return {**keyset_head(found.count, len(results), str(found.cursor)), "results": results}
