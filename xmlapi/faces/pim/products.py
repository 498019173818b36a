"""/api/pim/products: list, read, upsert and delete products; their attribute values."""

from __future__ import annotations

from flask import Blueprint, Response, request

from xmlapi.catalog import pim, pim_reads
from xmlapi.db import get_session
from xmlapi.faces.pim import format
from xmlapi.faces.pim.query import list_query, parts, required_codes, response_codes
from xmlapi.http.common import photo_store, pricing
from xmlapi.http.jsonio import json_answer, read_object
from xmlapi.http.scope import current_scope

bp = Blueprint("pim_products", __name__)


def _organization() -> int:
    return current_scope().organization_id


@bp.get("/products", endpoint="list")
def list_products() -> Response:
    session = get_session()
    query = list_query(request.args)
    page = pim_reads.product_page(session, _organization(), query, parts(request.args), pricing())
    version = pim_reads.response_version(session, _organization())
    return json_answer(format.page(page, request.args, version, query.root_products_only))


@bp.get("/products/<int:product_id>", endpoint="detail")
def detail(product_id: int) -> Response:
    session = get_session()
    view = pim_reads.product_view(
        session, _organization(), product_id, parts(request.args), pricing()
    )
    version = pim_reads.response_version(session, _organization())
    return json_answer(format.product(view, request.args, version))


@bp.post("/products", endpoint="upsert")
def upsert() -> Response:
    document = read_object()
    product_id = pim.upsert(get_session(), _organization(), document, pricing())
    return json_answer({"id": product_id})


@bp.delete("/products/<int:product_id>", endpoint="delete")
def delete(product_id: int) -> Response:
    pim.remove(get_session(), _organization(), product_id, photo_store())
    return Response(status=204)


@bp.get("/products/attributes", endpoint="attributes")
def attributes() -> Response:
    asked = required_codes(request.args)  # required, even where the answer names others
    codes = response_codes(request.args) or asked
    query = list_query(request.args)
    page = pim_reads.attribute_page(get_session(), _organization(), query, codes)
    return json_answer(format.attribute_page(page))
