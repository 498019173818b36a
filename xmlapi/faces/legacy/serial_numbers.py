"""/api/products/X/serial_numbers/ and .../Y/: read as the contract says; written (POST,
PUT, DELETE) through our extension, under the product's lock."""

from __future__ import annotations

from flask import Blueprint, Response

from xmlapi.catalog import reads, serial_numbers
from xmlapi.db import get_session
from xmlapi.faces.legacy import payloads, uris
from xmlapi.faces.legacy.common import parse_body, parse_edit_body, xml_response
from xmlapi.faces.legacy.xml import render

bp = Blueprint("serial_numbers", __name__)

LIST = "/products/<int:product_id>/serial_numbers/"
ITEM = "/products/<int:product_id>/serial_numbers/<int:serial_id>/"


@bp.get(LIST, endpoint="list")
def list_serials(product_id: int) -> Response:
    return xml_response(render.serial_number_list(reads.serial_list(get_session(), product_id)))


@bp.post(LIST)
def create(product_id: int) -> Response:
    values = payloads.load_serial_number(parse_body("serial_number"))
    serial_id = serial_numbers.create(get_session(), product_id, values)
    location = uris.location(uris.serial_number(product_id, serial_id))
    return _serial_response(product_id, serial_id, 201, Location=location)


@bp.get(ITEM)
def detail(product_id: int, serial_id: int) -> Response:
    return _serial_response(product_id, serial_id)


@bp.put(ITEM)
def update(product_id: int, serial_id: int) -> Response:
    edit = parse_edit_body("serial_number", (), lambda: _render(product_id, serial_id))
    values = payloads.load_serial_number(edit.root, edit.stored)
    serial_numbers.update(get_session(), product_id, serial_id, values)
    return _serial_response(product_id, serial_id)


@bp.delete(ITEM)
def delete(product_id: int, serial_id: int) -> Response:
    serial_numbers.delete(get_session(), product_id, serial_id)
    uri = uris.serial_number(product_id, serial_id)
    return xml_response(render.deleted("serial_number", uri, serial_id))


def _serial_response(product_id: int, serial_id: int, status: int = 200, **headers) -> Response:
    return xml_response(_render(product_id, serial_id), status, **headers)


def _render(product_id: int, serial_id: int):
    return render.serial_number(reads.serial(get_session(), product_id, serial_id))
