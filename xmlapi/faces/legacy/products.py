"""/api/products/ and /api/products/X/."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Blueprint, Response, request

from xmlapi.catalog import filters, listing, products, reads
from xmlapi.catalog.filters import InvalidQuery
from xmlapi.catalog.pricing import Pricing
from xmlapi.db import get_connection, get_session
from xmlapi.faces.legacy import payloads, uris
from xmlapi.faces.legacy.common import parse_body, parse_edit_body, xml_response, xml_stream
from xmlapi.faces.legacy.xml import render
from xmlapi.http.common import if_match, list_items, photo_store, pricing, renders
from xmlapi.http.listing import list_bodies
from xmlapi.http.memory import remembered
from xmlapi.http.scope import current_scope

bp = Blueprint("products", __name__)

# Elements of the full render a client may not write.
READ_ONLY = (
    "costs",
    "supplier_costs",
    "inventory",
    "margin",
    "created",
    "modified",
    "serial_numbers",
    "product_photos",
    "flags/new_cost",
    "flags/master_model",
    # what an embedded reference shows of the row it points at
    "tax_exemption/name",
    "tax_exemption/code",
    "categories/pos/category/name",
    "categories/web/category/name",
)


# Pages up to this many products are answered whole, with a Content-Length; longer
# lists (and the whole catalog) are streamed.
WHOLE_PAGE = 1000


@bp.get("/products/", endpoint="list")
def list_products() -> Response:
    rules = pricing()
    query = list_query(rules)  # a bad query is a 400 before anything is streamed
    if query.after is None and query.count is not None and query.count <= WHOLE_PAGE:
        key = ("products", query.organization_id, request.query_string)
        body = remembered(key, lambda: b"".join(_list_document(query, rules, _total(query))))
        return Response(body, content_type=render.CONTENT_TYPE)
    total = _total(query)
    if query.after is not None:
        return _keyset_page(query, rules, total)
    return xml_stream(_list_document(query, rules, total))


def _total(query: listing.ListQuery) -> int:
    # Counting before the first byte also runs the filter once: whatever the database
    # makes of it answers as XML, not as a broken stream.
    return listing.count(get_connection(), query)


def _list_document(query: listing.ListQuery, rules: Pricing, total: int) -> Iterator[bytes]:
    # Runs while the answer streams, inside the context stream_with_context re-enters:
    # the request's connection is the one the count used, closed at the end.
    connection = get_connection()
    keys = listing.page(connection, query)
    items = list_bodies(connection, keys, rules, render.list_item_bytes, list_items())
    yield from render.stream_list("products", {"total_count": str(total)}, items)


def _keyset_page(query: listing.ListQuery, rules: Pricing, total: int) -> Response:
    """A keyset page (``?after=``): its keys are read first, for the next cursor that
    the root carries; ``total_count`` counts the matches from the cursor on."""
    connection = get_connection()
    keys, cursor = listing.keyset_page(connection, query)
    attrs = {"total_count": str(total), "next_after": str(cursor)}
    items = list_bodies(connection, keys, rules, render.list_item_bytes, list_items(), exact=True)
    return Response(
        b"".join(render.stream_list("products", attrs, items)), content_type=render.CONTENT_TYPE
    )


def list_query(rules: Pricing) -> listing.ListQuery:
    """The list query of ``?filter=&order_by=&count=&offset=`` or, keyset paging,
    ``?filter=&after=&count=``; raises InvalidQuery."""
    fields = listing.filter_fields(rules)
    args = request.args
    where = filters.parse_filter(args["filter"], fields) if "filter" in args else None
    order_by = filters.parse_order_by(args["order_by"], fields) if "order_by" in args else []
    count = _whole_number("count", minimum=0)
    offset = _whole_number("offset", minimum=0) or 0
    after = None
    if "after" in args:
        after = listing.parse_cursor(args["after"])
        _check_keyset(order_by, offset)
        count = KEYSET_PAGE if count is None else count
        if count > WHOLE_PAGE:
            raise InvalidQuery(f"at most {WHOLE_PAGE} with after", parameter="count")
    return listing.ListQuery(
        organization_id=current_scope().organization_id,
        where=where,
        order_by=order_by,
        count=count,
        offset=offset,
        after=after,
    )


KEYSET_PAGE = 100  # a keyset page's default count


def _check_keyset(order_by: list, offset: int) -> None:
    """Keyset paging has its own order and no offset."""
    if order_by:
        raise InvalidQuery("after pages in (datetime_mod, id) order", parameter="order_by")
    if offset:
        raise InvalidQuery("after takes no offset: the cursor says where", parameter="offset")


_WHOLE_NUMBER = re.compile(r"[0-9]{1,19}", re.ASCII)
_LARGEST_COUNT = 2**63 - 1  # both databases' LIMIT and OFFSET are 64-bit


def _whole_number(name: str, minimum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    value = int(raw) if _WHOLE_NUMBER.fullmatch(raw) else None
    if value is None or not minimum <= value <= _LARGEST_COUNT:
        raise InvalidQuery(
            f"expected a whole number from {minimum} to {_LARGEST_COUNT} in digits 0-9,"
            f" got {raw!r}",
            parameter=name,
        )
    return value


@bp.post("/products/")
def create() -> Response:
    changes = payloads.load_product(parse_body("product", READ_ONLY))
    session = get_session()
    answer = DetailAnswer()
    organization_id = current_scope().organization_id
    product = products.create(session, changes, pricing(), organization_id, prepare=answer)
    return answer.response(201, Location=uris.location(uris.product(product.id)))


@bp.get("/products/<int:product_id>/")
def detail(product_id: int) -> Response:
    return _detail_response(product_id)


@bp.put("/products/<int:product_id>/")
def update(product_id: int) -> Response:
    edit = parse_edit_body("product", READ_ONLY, lambda: _stored(product_id), stamp="modified")
    changes = payloads.load_product(edit.root, edit.stored)
    answer = DetailAnswer()
    products.update(
        get_session(), product_id, changes, pricing(), if_match=if_match(), prepare=answer
    )
    return answer.response()


def _stored(product_id: int):
    return render.product(reads.product_detail(get_session(), product_id, pricing()))


@bp.delete("/products/<int:product_id>/")
def delete(product_id: int) -> Response:
    products.delete(get_session(), product_id, photo_store=photo_store(), if_match=if_match())
    return xml_response(render.deleted("product", uris.product(product_id), product_id))


class DetailAnswer:
    """The answer to a write of a product, read inside the write's transaction before
    it commits: once the write has committed, answering needs no database (which may
    be gone by then), so a stored write is never answered with an error. It is rendered
    after the commit, with the stamp the commit gave the product."""

    def __call__(self, product) -> None:
        session = get_session()
        self.product = product
        self.tag = products.version_tag(session.connection(), product.id)
        self.detail = reads.product_detail(session, product.id, pricing())

    def response(self, status: int = 200, **headers: str) -> Response:
        detail = self.detail.restamped(self.product.modified)
        body = render.to_bytes(render.product(detail))
        renders().put(detail.id, self.tag, body)
        return _detail(body, self.tag, status, headers)


def _detail_response(product_id: int) -> Response:
    """The full render, from the worker's cache when the product has not changed since;
    304 when the client's copy (If-None-Match) is current."""
    tag = remembered(
        ("tag", product_id), lambda: products.version_tag(get_connection(), product_id)
    )
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/"tag" matches "tag".
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
        response.set_etag(tag)
        return response
    body = renders().get(product_id, tag)
    if body is None:
        # Rendered from what is read now; if a write slipped in after the tag was read,
        # the entry is filed under the old tag and never found again.
        body = _render_detail(product_id)
        renders().put(product_id, tag, body)
    return _detail(body, tag)


def _render_detail(product_id: int) -> bytes:
    return render.to_bytes(
        render.product(reads.product_detail(get_session(), product_id, pricing()))
    )


def _detail(body: bytes, tag: str, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(body, status, headers, content_type=render.CONTENT_TYPE)
    response.set_etag(tag)
    return response
