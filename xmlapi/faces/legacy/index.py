"""/api/: what this API serves, and the XSD of every document."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, send_file
from lxml import etree

from xmlapi.faces.legacy import endpoints
from xmlapi.faces.legacy.common import xml_response
from xmlapi.faces.legacy.xml.schemas import SCHEMAS_DIR, schema_files
from xmlapi.http import reference
from xmlapi.http.html import page_response, prefers_html

bp = Blueprint("index", __name__)


@bp.get("/")
def index() -> Response:
    """Every resource with its methods, flags and descriptions, from the registry: for a
    browser, the reference page of every face; for anyone else, this face's XML."""
    if prefers_html():
        page = render_template("reference.html", faces=reference.describe(request.host_url))
        response = page_response(page)
    else:
        response = _xml_index()
    response.vary.add("Accept")
    return response


def _xml_index() -> Response:
    root = etree.Element("api")
    resources: dict[str, etree._Element] = {}
    for entry in endpoints.ENDPOINTS:
        if entry.path not in resources:
            resources[entry.path] = etree.SubElement(root, "resource", path=entry.path)
        method = etree.SubElement(
            resources[entry.path],
            "method",
            name=entry.method,
            can_lock=_bool(entry.can_lock),
            requires_lock=_bool(entry.requires_lock),
            has_etag=_bool(entry.has_etag),
            requires_etag=_bool(entry.requires_etag),
            contract=_bool(entry.contract),
        )
        method.text = entry.description
    return xml_response(root)


def _bool(value: bool) -> str:
    return "true" if value else "false"


@bp.get("/schemas/")
def schemas() -> Response:
    root = etree.Element("schemas")
    for path in schema_files():
        relative = path.relative_to(SCHEMAS_DIR).as_posix()
        etree.SubElement(root, "schema", uri=f"/schemas/{relative}", name=relative)
    return xml_response(root)


@bp.get("/schemas/<path:name>")
def schema(name: str) -> Response:
    files = {path.relative_to(SCHEMAS_DIR).as_posix(): path for path in schema_files()}
    if name not in files:
        abort(404, "No such schema; GET /api/schemas/ lists them.")  # the name may be unprintable
    return send_file(files[name], mimetype="application/xml")
