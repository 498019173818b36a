"""/api/products/X/costs/ and /api/products/X/costs/Y/: a product's supplier costs."""

from __future__ import annotations

from flask import Blueprint, Response

from xmlapi.catalog import costs, reads
from xmlapi.db import get_session
from xmlapi.faces.legacy import payloads, uris
from xmlapi.faces.legacy.common import parse_body, parse_edit_body, xml_response
from xmlapi.faces.legacy.xml import render

bp = Blueprint("costs", __name__)

# Elements of the cost render a client may not write: both follow from the supplier.
READ_ONLY = ("currency", "cost")
LIST = "/products/<int:product_id>/costs/"
ITEM = "/products/<int:product_id>/costs/<int:cost_id>/"


@bp.get(LIST, endpoint="list")
def list_costs(product_id: int) -> Response:
    return xml_response(render.supplier_cost_list(reads.cost_lines(get_session(), product_id)))


@bp.post(LIST)
def create(product_id: int) -> Response:
    values = payloads.load_cost(parse_body("cost", READ_ONLY))
    cost_id = costs.create(get_session(), product_id, values)
    location = uris.location(uris.cost(product_id, cost_id))
    return _cost_response(product_id, cost_id, 201, Location=location)


@bp.get(ITEM)
def detail(product_id: int, cost_id: int) -> Response:
    return _cost_response(product_id, cost_id)


@bp.put(ITEM)
def update(product_id: int, cost_id: int) -> Response:
    edit = parse_edit_body("cost", READ_ONLY, lambda: _render(product_id, cost_id))
    values = payloads.load_cost(edit.root, edit.stored)
    costs.update(get_session(), product_id, cost_id, values)
    return _cost_response(product_id, cost_id)


@bp.delete(ITEM)
def delete(product_id: int, cost_id: int) -> Response:
    costs.delete(get_session(), product_id, cost_id)
    return xml_response(render.deleted("cost", uris.cost(product_id, cost_id), cost_id))


def _cost_response(product_id: int, cost_id: int, status: int = 200, **headers: str) -> Response:
    return xml_response(_render(product_id, cost_id), status, **headers)


def _render(product_id: int, cost_id: int):
    return render.supplier_cost(reads.cost_line(get_session(), product_id, cost_id))
