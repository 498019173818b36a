"""/api/v2/orgs/<org>/orders/ and .../orders/<o>/boxes/: enough of orders and boxes
to hold items. The URL's organization is checked before a view runs (http/scope.py);
an order or box of another organization, or a box under another order, is a 404."""

from __future__ import annotations

from flask import Blueprint, Response, request

from xmlapi.catalog import orders
from xmlapi.db import get_session
from xmlapi.faces.orgs import order_format
from xmlapi.faces.orgs.paging import list_document, paging
from xmlapi.http.jsonio import json_answer, read_object
from xmlapi.http.scope import current_scope

bp = Blueprint("orgs_orders", __name__)

ORDERS = "/orgs/<int:org_id>/orders/"
ORDER = ORDERS + "<int:order_id>/"
BOXES = ORDER + "boxes/"
BOX = BOXES + "<int:box_id>/"


@bp.get(ORDERS, endpoint="list")
def list_orders(org_id: int) -> Response:
    paged = paging()
    found = orders.list_orders(get_session(), current_scope(), paged)
    return json_answer(list_document(found, paged, order_format.order))


@bp.post(ORDERS, endpoint="create")
def create(org_id: int) -> Response:
    number = read_object().get("number")
    order = orders.create_order(get_session(), current_scope(), number)
    location = order_format.order_url(org_id, order.id)
    return json_answer(order_format.order(order), 201, {"Location": location})


@bp.get(ORDER, endpoint="detail")
def detail(org_id: int, order_id: int) -> Response:
    return json_answer(
        order_format.order(orders.get_order(get_session(), current_scope(), order_id))
    )


@bp.delete(ORDER, endpoint="delete")
def delete(org_id: int, order_id: int) -> Response:
    orders.delete_order(get_session(), current_scope(), order_id)
    return Response(status=204)


@bp.get(BOXES, endpoint="boxes")
def list_boxes(org_id: int, order_id: int) -> Response:
    paged = paging()
    found = orders.list_boxes(get_session(), current_scope(), order_id, paged)
    return json_answer(list_document(found, paged, order_format.box))


@bp.post(BOXES, endpoint="create_box")
def create_box(org_id: int, order_id: int) -> Response:
    if request.content_length or request.headers.get("Transfer-Encoding"):
        read_object()  # a box has no fields of its own; a body must still be JSON
    box = orders.create_box(get_session(), current_scope(), order_id)
    location = order_format.box_url(org_id, order_id, box.id)
    return json_answer(order_format.box(box), 201, {"Location": location})


@bp.get(BOX, endpoint="box")
def box(org_id: int, order_id: int, box_id: int) -> Response:
    found = orders.get_box(get_session(), current_scope(), order_id, box_id)
    return json_answer(order_format.box(found))


@bp.delete(BOX, endpoint="delete_box")
def delete_box(org_id: int, order_id: int, box_id: int) -> Response:
    orders.delete_box(get_session(), current_scope(), order_id, box_id)
    return Response(status=204)
