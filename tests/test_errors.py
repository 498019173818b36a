"""Every answer is XML, errors included: Flask's own, and unexpected failures."""

from __future__ import annotations

import pytest

from tests.helpers import create_locked_product as create_product
from tests.helpers import error_type, xml


def test_unknown_url_is_an_xml_404(client):
    response = client.get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.content_type == "application/xml; charset=utf-8"
    assert error_type(response) == "not_found"


def test_wrong_method_is_an_xml_405_with_allow(client):
    response = client.patch("/api/products/")
    assert response.status_code == 405
    assert error_type(response) == "method.not_allowed"
    assert {"GET", "POST"} <= set(response.headers["Allow"].replace(" ", "").split(","))


def test_an_unexpected_failure_is_an_xml_500_without_traceback(app, client, monkeypatch, caplog):
    from xmlapi.catalog import products

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    product_id = create_product(client, code="X")
    monkeypatch.setattr(products, "version_tag", explode)
    response = client.get(f"/api/products/{product_id}/")
    assert response.status_code == 500
    assert error_type(response) == "server.error"
    body = response.get_data(as_text=True)
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert "secret internals" in caplog.text


def test_every_xml_answer_starts_with_the_double_quoted_prolog(client):
    for response in (
        client.get("/api/"),
        client.get("/api/products/"),
        client.get("/api/products/1/"),
    ):
        assert response.get_data().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_paths_without_trailing_slash_are_answered_directly(client, method):
    product_id = create_product(client, code="S")
    data = b"<product><family>F</family></product>" if method == "PUT" else None
    response = client.open(f"/api/products/{product_id}", method=method, data=data)
    assert response.status_code == 200
    assert "Location" not in response.headers


def test_list_without_trailing_slash(client):
    create_product(client, code="S")
    assert xml(client.get("/api/products")).get("total_count") == "1"
    assert (
        client.post("/api/products", data=b"<product><code>T</code></product>").status_code == 201
    )
