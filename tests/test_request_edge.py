"""What reaches the app at all: odd paths, over-long targets and headers, bodies."""

from __future__ import annotations

import errno
import io

import pytest

from tests.conftest import client_of
from tests.helpers import create_product, error_type, xml
from xmlapi.http import middleware
from xmlapi.http.faces import pre_routing_errors


@pytest.mark.parametrize(
    "path", ["/api//products/{id}/", "/api///products/{id}", "/api/products//{id}//"]
)
def test_runs_of_slashes_are_answered_not_redirected(client, path):
    product_id = create_product(client, code="S")
    response = client.get(path.format(id=product_id), headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert xml(response).get("id") == str(product_id)


def test_lock_through_a_double_slash_locks(client):
    product_id = create_product(client, code="L")
    response = client.open(f"/api//products/{product_id}", method="LOCK")
    assert response.status_code == 200
    assert xml(response).get("acquired") == "true"


def test_a_file_path_without_its_slash_is_not_redirected(client):
    response = client.get("/api/products/1.5")
    assert response.status_code == 404
    assert "Location" not in response.headers


@pytest.fixture
def capped(app, make_app):
    settings = app.extensions["xmlapi.settings"]
    return client_of(make_app(settings.replace(max_url_bytes=2000, max_header_bytes=1000)))


def test_a_request_target_over_the_cap_is_an_xml_414(capped):
    assert capped.get("/api/products/?filter=" + "x" * 1900).status_code == 400  # reached
    response = capped.get("/api/products/?filter=" + "x" * 2000)
    assert response.status_code == 414
    assert error_type(response) == "uri.too_long"


def test_a_header_over_the_cap_is_an_xml_431(capped):
    assert capped.get("/api/", headers={"X-Note": "n" * 900}).status_code == 200
    response = capped.get("/api/", headers={"X-Note": "n" * 1000})
    assert response.status_code == 431
    assert error_type(response) == "header.too_large"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v2/orgs/1/products/", "application/json"),
        ("/api/pim/products", "application/json"),
        ("/catalog/products/", "text/html; charset=utf-8"),
        ("/api/products/", "application/xml; charset=utf-8"),
    ],
)
def test_a_refusal_before_routing_speaks_the_faces_format(capped, path, content_type):
    long_target = capped.get(path + "?q=" + "x" * 2000)
    big_header = capped.get(path, headers={"X-Note": "n" * 1000})
    for response, status, kind in (
        (long_target, 414, "uri.too_long"),
        (big_header, 431, "header.too_large"),
    ):
        assert response.status_code == status
        assert response.headers["Content-Type"] == content_type
        if content_type == "application/json":
            assert response.get_json()["type"] == kind
        elif content_type.startswith("text/html"):
            assert kind in response.get_data(as_text=True)
        else:
            assert error_type(response) == kind


def test_a_chunked_body_is_read_whole(client):
    response = client.post(
        "/api/products/",
        input_stream=io.BytesIO(b"<product><code>CH</code></product>"),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn says
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert xml(response).findtext("code") == "CH"


def test_a_body_the_server_cannot_keep_is_an_xml_503(client, monkeypatch):
    class FullDisk(io.BytesIO):
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(middleware.tempfile, "SpooledTemporaryFile", lambda **_: FullDisk())
    response = client.post("/api/products/", data=b"<product><code>D</code></product>")
    assert response.status_code == 503
    assert error_type(response) == "body.unstored"
    assert "/" not in xml(response).findtext(".//message")  # no path shown
    monkeypatch.undo()
    assert xml(client.get("/api/products/")).get("total_count") == "0"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/pim/\x00\xff%%zz" + "é" * 600, "application/json"),
        ("/catalog/" + "/" * 2000, "text/html; charset=utf-8"),
        ("", None),  # no face's path: as a 404 there is written
        ("no-slash", None),
    ],
)
def test_a_refusal_before_routing_survives_any_path(app, client, path, content_type):
    body, written_as = pre_routing_errors(app)(path, 414, "uri.too_long", "Too long.")
    assert written_as == (content_type or client.get("/no-face/").headers["Content-Type"])
    assert b"uri.too_long" in body
