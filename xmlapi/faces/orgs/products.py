"""/api/v2/orgs/<org>/products/ and /api/v2/orgs/<org>/products/<id>/ (the JSON spec).

The organization in the URL and the product's place in it are checked before a view
runs (http/scope.py): another organization's product is a 404 like a missing one.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from marshmallow import ValidationError

from xmlapi.catalog import listing, product_sheets, products, reads
from xmlapi.catalog.product_sheets import SheetQuery
from xmlapi.catalog.readmodel import ProductSheet
from xmlapi.db import get_connection, get_session
from xmlapi.faces.orgs import format
from xmlapi.faces.orgs.fields import load_product, parse_instant
from xmlapi.faces.orgs.paging import (
    PageRequest,
    keyset_cursor,
    keyset_head,
    page_head,
    page_request,
)
from xmlapi.http.cache import RenderCache
from xmlapi.http.common import if_match, photo_store, pricing, query_time
from xmlapi.http.jsonio import read_object
from xmlapi.http.scope import current_scope

bp = Blueprint("orgs_products", __name__)

PRODUCTS = "/orgs/<int:org_id>/products/"
PRODUCT = PRODUCTS + "<int:product_id>/"

DOCUMENTS = "xmlapi.orgs.products"
DOCUMENTS_CACHED = 16384  # encoded product documents per worker, ~1 KB each


@bp.get(PRODUCTS, endpoint="list")
def list_products(org_id: int) -> Response:
    query = _list_query()
    connection = get_connection()
    total, keys = reads.sheet_keys(connection, query)
    if query.after is None:
        head = page_head(total, PageRequest(offset=query.offset, limit=query.limit))
        return json_body(format.page(head, _documents(connection, keys)))
    cursor = str(listing.cursor_after(keys, query.after))
    head = keyset_head(total, len(keys), cursor)
    return json_body(format.page(head, _documents(connection, keys, exact=True)))


def _documents(connection, keys: list[reads.SheetKey], *, exact: bool = False) -> list[bytes]:
    """The encoded documents of the products on a page: from the worker's cache while
    their tag stays, the others read in one statement. A product deleted since its key
    was read is left out; with ``exact`` (keyset pages), so is one written since: it
    comes again on a later page, under its new stamp."""
    cache = documents()
    found = cache.get_many((key.id, key.tag) for key in keys)
    missing = [key.id for key, body in zip(keys, found, strict=True) if not body]
    sheets = reads.sheets(connection, missing, pricing()) if missing else {}
    bodies = []
    for key, body in zip(keys, found, strict=True):
        if body is None:
            sheet = sheets.get(key.id)
            if sheet is None or (exact and sheet.modified != key.modified):
                continue
            body = _encode(sheet)
        bodies.append(body)
    return bodies


def _list_query() -> SheetQuery:
    """The page ``?limit=&offset=&updated_at__gte=`` or, keyset paging,
    ``?after=&limit=&updated_at__gte=`` asks for; raises ValidationError."""
    page = page_request()
    return SheetQuery(
        organization_id=current_scope().organization_id,
        limit=page.limit,
        offset=page.offset,
        updated_since=_instant_parameter("updated_at__gte"),
        after=keyset_cursor(page),
    )


def _instant_parameter(name: str):
    raw = request.args.get(name)
    try:
        return None if raw is None else parse_instant(query_time(raw))
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None


@bp.post(PRODUCTS, endpoint="create")
def create(org_id: int) -> Response:
    changes = load_product(read_object())
    answer = SheetAnswer()
    product_sheets.create(get_session(), changes, pricing(), org_id, prepare=answer)
    return answer.response(201, Location=format.product_url(org_id, answer.sheet.id))


@bp.get(PRODUCT, endpoint="detail")
def detail(org_id: int, product_id: int) -> Response:
    connection = get_connection()
    tag = products.version_tag(connection, product_id)
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/"tag" matches "tag".
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
        response.set_etag(tag)
        return response
    body = documents().get(product_id, tag)
    if body is None:
        # Read now; if a write slipped in after the tag was read, the document is filed
        # under its own newer tag and answered with it.
        sheet = reads.product_sheet(connection, product_id, pricing())
        tag, body = sheet.tag, _encode(sheet)
    return _answer(body, tag)


@bp.patch(PRODUCT, endpoint="update")
def update(org_id: int, product_id: int) -> Response:
    changes = load_product(read_object())
    answer = SheetAnswer()
    product_sheets.update(
        get_session(), product_id, changes, pricing(), if_match=if_match(), prepare=answer
    )
    return answer.response()


@bp.delete(PRODUCT, endpoint="delete")
def delete(org_id: int, product_id: int) -> Response:
    products.delete(get_session(), product_id, photo_store=photo_store(), if_match=if_match())
    return Response(status=204)


class SheetAnswer:
    """The answer to a write, read inside its transaction before it commits (once the
    write has committed, answering needs no database), with the stamp the commit gave
    the product."""

    sheet: ProductSheet

    def __call__(self, product) -> None:
        self.product = product
        self.sheet = reads.product_sheet(get_session().connection(), product.id, pricing())

    def response(self, status: int = 200, **headers: str) -> Response:
        self.sheet = self.sheet.restamped(self.product.modified)
        return _answer(_encode(self.sheet), self.sheet.tag, status, headers)


def documents() -> RenderCache:
    """This worker's encoded product documents, by product id under their tag."""
    return current_app.extensions[DOCUMENTS]


def _encode(sheet: ProductSheet) -> bytes:
    body = current_app.json.dumps(format.product(sheet)).encode()
    documents().put(sheet.id, sheet.tag, body)
    return body


def json_body(body: bytes, status: int = 200, headers: dict | None = None) -> Response:
    return current_app.response_class(body, status, headers, mimetype="application/json")


def _answer(body: bytes, tag: str, status: int = 200, headers: dict | None = None) -> Response:
    response = json_body(body, status, headers)
    response.set_etag(tag)
    return response


def init_app(app: Flask) -> None:
    """A new, empty document cache."""
    app.extensions[DOCUMENTS] = RenderCache(size=DOCUMENTS_CACHED, name="orgs_products")
