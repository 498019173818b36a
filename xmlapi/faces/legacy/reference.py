"""Reference resources: /api/setup/classes/, /api/suppliers/, /api/warehouses/, ...

One set of views serves every kind of reference data; the kind comes from the route.
"""

from __future__ import annotations

from flask import Blueprint, Response

from xmlapi.catalog import reads, reference
from xmlapi.catalog.reference import KINDS
from xmlapi.db import get_session
from xmlapi.faces.legacy import payloads, uris
from xmlapi.faces.legacy.common import parse_body, parse_edit_body, xml_response
from xmlapi.faces.legacy.xml import render

bp = Blueprint("reference", __name__)


def list_items(plural: str) -> Response:
    kind = reference.kind(plural)
    total, items = reads.reference_list(get_session(), kind)
    return xml_response(render.reference_list(kind.plural, total, items))


def create(plural: str) -> Response:
    kind = reference.kind(plural)
    values = payloads.load_reference(kind, parse_body(kind.name))
    row = reference.create(get_session(), kind, values)
    location = uris.location(uris.reference(kind.plural, row.id))
    return xml_response(
        render.reference_item(reads.reference_item(kind, row)), 201, Location=location
    )


def detail(plural: str, ident: int) -> Response:
    kind = reference.kind(plural)
    return xml_response(_render(kind, ident))


def _render(kind, ident: int):
    return render.reference_item(reads.reference_detail(get_session(), kind, ident))


def update(plural: str, ident: int) -> Response:
    kind = reference.kind(plural)
    edit = parse_edit_body(kind.name, (), lambda: _render(kind, ident))
    values = payloads.load_reference(kind, edit.root, edit.stored)
    row = reference.update(get_session(), kind, ident, values)
    return xml_response(render.reference_item(reads.reference_item(kind, row)))


for _kind in KINDS:
    _defaults = {"plural": _kind.plural}
    _base = f"/{uris.REFERENCE_PATHS[_kind.plural]}/"
    bp.add_url_rule(_base, f"{_kind.plural}_list", list_items, methods=["GET"], defaults=_defaults)
    bp.add_url_rule(_base, f"{_kind.plural}_create", create, methods=["POST"], defaults=_defaults)
    bp.add_url_rule(
        f"{_base}<int:ident>/",
        f"{_kind.plural}_detail",
        detail,
        methods=["GET"],
        defaults=_defaults,
    )
    bp.add_url_rule(
        f"{_base}<int:ident>/",
        f"{_kind.plural}_update",
        update,
        methods=["PUT"],
        defaults=_defaults,
    )
