"""GET /api/ for a browser: the reference page of every face, from the registry; XML
clients keep the XML index."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint, jsonify

from tests.conftest import client_of
from tests.helpers import xml
from xmlapi import http
from xmlapi.http.endpoints import Endpoint
from xmlapi.http.faces import Face
from xmlapi.http.html import CONTENT_SECURITY_POLICY

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_the_reference_page(client):
    response = client.get("/api/", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "Accept" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert "<script>" not in page and "style=" not in page  # nothing inline
    # the legacy face, with flags, documents, errors and curl
    put = _article(page, "legacy-products-update-put")
    assert "/api/products/{id}/" in put
    assert "requires_lock: yes" in put and "can_lock: yes" in put
    assert 'href="/api/schemas/in/product.xsd"' in put
    assert 'href="/api/schemas/out/product.xsd"' in put
    assert "428 lock.required" in put and "423 lock.held" in put and "400 xml.malformed" in put
    assert "-X PUT" in put and "http://localhost/api/products/1/" in put
    listing = _article(page, "legacy-products-list-get")
    assert 'href="/api/schemas/out/products.xsd"' in listing and "400 query.invalid" in listing
    photo = _article(page, "legacy-photos-add-post")
    assert "Content-Type: image/jpeg" in photo and "415 media.unsupported" in photo
    # the pages face too, public entries without credentials in their curl
    assert 'id="face-pages"' in page
    sign_in = _article(page, "pages-pages_signin-sign_in-post")
    assert "public: yes" in sign_in and "-u " not in sign_in


def _article(page: str, anchor: str) -> str:
    match = re.search(rf'<article class="endpoint" id="{anchor}">(.*?)</article>', page, re.S)
    assert match, anchor
    return match.group(1)


@pytest.mark.parametrize("accept", [None, "*/*", "application/xml", "text/html;q=0.5,*/*"])
def test_xml_clients_keep_the_xml_index(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/api/", headers=headers)
    assert response.content_type.startswith("application/xml")
    assert xml(response).tag == "api"


def test_the_page_needs_the_same_identity_as_the_xml_index(anonymous):
    response = anonymous.get("/api/", headers={"Accept": BROWSER})
    assert response.status_code == 401
    assert response.content_type.startswith("application/xml")


def test_a_new_face_appears_on_the_page_by_itself(fresh_app):
    bp = Blueprint("gadgets", __name__)

    @bp.get("/gadgets/<int:gadget_id>/", endpoint="detail")
    def detail(gadget_id: int):
        return jsonify(id=gadget_id)

    entry = Endpoint("gadgets.detail", "GET", "/gadgets/(d+)/", "One gadget", prefix="/gx")
    http.add_face(fresh_app, Face("gadgets", "/gx", (bp,), (entry,), lambda *a: None))
    page = client_of(fresh_app).get("/api/", headers={"Accept": BROWSER}).get_data(as_text=True)
    gadget = _article(page, "gadgets-gadgets-detail-get")
    assert "/gx/gadgets/{id}/" in gadget and "One gadget" in gadget
    assert "404 not_found" in gadget and "401 auth.required" in gadget
    assert "no document" in gadget  # the face publishes no schema


def test_the_json_faces_link_the_json_schemas_they_answer_with(client):
    page = client.get("/api/", headers={"Accept": BROWSER}).get_data(as_text=True)
    detail = _article(page, "orgs-orgs_products-detail-get")
    assert 'href="/api/v2/schemas/product.json"' in detail
    patch = _article(page, "orgs-orgs_products-update-patch")
    assert "Content-Type: application/json" in patch
    assert 'href="/api/pim/schemas/products.json"' in _article(page, "pim-pim_products-list-get")
    links = set(re.findall(r'href="(/api/(?:v2|pim)/schemas/[^"]+)"', page))
    assert len(links) >= 15
    for link in sorted(links):  # every schema a JSON face names is served
        assert client.get(link).status_code == 200, link
