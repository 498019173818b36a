"""/catalog/ (the product list) and /catalog/products/X/ (one product)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, request
from sqlalchemy import and_

from xmlapi.catalog import filters, listing, reads
from xmlapi.catalog.filters import InvalidQuery
from xmlapi.catalog.readmodel import ListItem, ProductDetail, ReferenceItem
from xmlapi.db import get_connection, get_session
from xmlapi.faces.pages.common import page
from xmlapi.http.auth import current_identity
from xmlapi.http.common import pricing
from xmlapi.http.scope import current_scope

bp = Blueprint("pages", __name__)

PAGE_SIZE = 50
SORTABLE = ("code", "description", "sell_price", "available")
MAX_PAGE = 10**7
MAX_FILTER = 4000  # characters of a filter typed in the form


@dataclass(frozen=True)
class ListRequest:
    """What the list form asks for, as typed (shown back in the form and the links)."""

    search: str
    filter: str
    sort: str
    direction: str
    page: int

    def link(self, **changes) -> str:
        """The list's URL with some of these changed (sorting goes back to page 1)."""
        values = {
            "search": self.search,
            "filter": self.filter,
            "sort": self.sort,
            "direction": self.direction,
            "page": self.page,
            **changes,
        }
        query = {name: value for name, value in values.items() if value not in ("", None, 1)}
        return "/catalog/" + ("?" + urlencode(query) if query else "")


def _list_request() -> ListRequest:
    args = request.args
    return ListRequest(
        search=args.get("search", ""),
        filter=args.get("filter", ""),
        sort=args.get("sort", "code"),
        direction=args.get("direction", "asc"),
        page=_page_number(args.get("page", "1")),
    )


def _page_number(raw: str) -> int:
    if raw.isascii() and raw.isdigit() and len(raw) <= 8 and 1 <= int(raw) <= MAX_PAGE:
        return int(raw)
    return 0  # refused by the query, with a message


def _query(asked: ListRequest) -> listing.ListQuery:
    """The list query the form asks for; raises InvalidQuery saying what is wrong."""
    fields = listing.filter_fields(pricing())
    conditions = []
    if asked.search.strip():
        conditions.append(listing.search(asked.search, fields))
    if asked.filter.strip():
        if len(asked.filter) > MAX_FILTER:
            raise InvalidQuery(f"a filter is at most {MAX_FILTER} characters")
        conditions.append(filters.parse_filter(asked.filter, fields))
    if asked.sort not in SORTABLE or asked.direction not in ("asc", "desc"):
        raise InvalidQuery(f"sort by one of {', '.join(SORTABLE)}, asc or desc", parameter="sort")
    if asked.page == 0:
        raise InvalidQuery(f"a page is a whole number from 1 to {MAX_PAGE}", parameter="page")
    return listing.ListQuery(
        organization_id=current_scope().organization_id,
        where=and_(*conditions) if conditions else None,
        order_by=filters.parse_order_by(f"{asked.sort}:{asked.direction}", fields),
        count=PAGE_SIZE,
        offset=(asked.page - 1) * PAGE_SIZE,
    )


@bp.get("/", endpoint="list")
def product_list() -> Response:
    asked = _list_request()
    try:
        query = _query(asked)
        connection = get_connection()
        total = listing.count(connection, query)
        items = _items(connection, query)
    except InvalidQuery as exc:
        return page("list.html", 400, asked=asked, error=str(exc), items=[], total=0, pages=0)
    pages = max(1, -(-total // PAGE_SIZE))
    return page("list.html", asked=asked, error=None, items=items, total=total, pages=pages)


def _items(connection, query: listing.ListQuery) -> list[ListItem]:
    """The page's list items in list order (one statement for the keys, one for them)."""
    keys = list(listing.page(connection, query))
    found = reads.list_items(connection, [key.id for key in keys], pricing())
    return [found[key.id] for key in keys if key.id in found]


@bp.get("/products/<int:product_id>/", endpoint="detail")
def detail(product_id: int) -> Response:
    session = get_session()
    product = reads.product_detail(session, product_id, pricing())
    return page(
        "product.html",
        product=product,
        photos=reads.photo_list(session, product_id),
        variants=reads.product_variants(session, product_id),
        lock=reads.lock_state(session, product_id, current_identity().id),
        fields=plain_fields(product),
    )


def plain_fields(product: ProductDetail) -> list[tuple[str, object]]:
    """(name, value) of every stored field of the detail the other cards do not show:
    values as the read model has them, embedded references by name."""
    shown = []
    for field in dataclasses.fields(product):
        value = getattr(product, field.name)
        if isinstance(value, ReferenceItem):
            value = next((v.value for v in value.values if v.name == "name"), value.id)
        elif isinstance(value, tuple):
            value = ", ".join(map(str, value)) if field.name == "keywords" else None
            if value is None:
                continue
        elif dataclasses.is_dataclass(value):
            continue
        shown.append((field.name, value))
    return shown
