"""/api/products/X/inventory/ (ours): the product's stock levels, read and set."""

from __future__ import annotations

from flask import Blueprint, Response

from xmlapi.catalog import inventory, reads
from xmlapi.db import get_session
from xmlapi.faces.legacy import payloads
from xmlapi.faces.legacy.common import parse_edit_body, xml_response
from xmlapi.faces.legacy.xml import render

bp = Blueprint("inventory", __name__)

PATH = "/products/<int:product_id>/inventory/"


@bp.get(PATH)
def detail(product_id: int) -> Response:
    return xml_response(_render(product_id))


@bp.put(PATH)
def update(product_id: int) -> Response:
    edit = parse_edit_body("inventory", ("total",), lambda: _render(product_id))
    changes = payloads.load_inventory(edit.root, edit.stored)
    inventory.update(get_session(), product_id, changes)
    return detail(product_id)


def _render(product_id: int):
    return render.inventory(None, reads.stock_levels(get_session(), product_id))
