"""What the JSON faces share: reading a JSON object from a request (hostile documents
refused with 400/415 in JSON) and writing errors in the JSON specs' shapes."""

from __future__ import annotations

import pytest
from flask import Blueprint, Response

from tests.conftest import client_of, renew_state
from tests.xmlcheck import XsdCheckingClient
from xmlapi import create_app, http
from xmlapi.catalog.errors import InvalidValue
from xmlapi.http import jsonio
from xmlapi.http.endpoints import Endpoint
from xmlapi.http.faces import Face
from xmlapi.settings import Settings


def echo_face() -> Face:
    bp = Blueprint("echo", __name__)

    @bp.post("/echo/", endpoint="echo")
    def echo() -> Response:
        document = jsonio.read_object()
        kinds = {name: type(value).__name__ for name, value in document.items()}
        return jsonio.json_answer({"kinds": kinds, "document": document}, 201)

    @bp.post("/invalid/", endpoint="invalid")
    def invalid() -> Response:
        raise InvalidValue("Not a valid price.", {"unit_price": "Not a valid price."})

    entries = (
        Endpoint("echo.echo", "POST", "/echo/", "Echo a document", prefix="/echo-face"),
        Endpoint("echo.invalid", "POST", "/invalid/", "Always invalid", prefix="/echo-face"),
    )
    return Face("echo", "/echo-face", (bp,), entries, jsonio.write_error, jsonio.JSON_ERRORS)


@pytest.fixture(scope="module")
def echo_app(database_url, tmp_path_factory):
    """An app with the echo face, for the module: building one per test was most of
    each test's time. Its state is renewed for every test (``echo``)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("echo") / "data", database_url=database_url
    )
    app = create_app(settings)
    app.test_client_class = XsdCheckingClient
    http.add_face(app, echo_face())
    yield app
    app.extensions["xmlapi.engine"].dispose()


@pytest.fixture
def echo(echo_app, app, settings):
    """A client of the echo app, signed in as alice (the ``app`` fixture made the users),
    the app's state renewed from the test's settings as the shared app's is."""
    assert renew_state(echo_app, settings)
    yield client_of(echo_app)
    echo_app.extensions["xmlapi.engine"].dispose()


def post(client, body: bytes, content_type: str | None = "application/json"):
    headers = {"Content-Type": content_type} if content_type else {}
    return client.post("/echo-face/echo/", data=body, headers=headers)


def test_numbers_with_a_fraction_are_read_as_decimals(echo):
    response = post(echo, b'{"price": 88.10, "count": 3, "name": "x"}')
    assert response.status_code == 201
    assert response.json["kinds"] == {"price": "Decimal", "count": "int", "name": "str"}
    assert response.json["document"]["price"] == "88.10"


def test_a_body_without_content_type_is_read_as_json(echo):
    assert post(echo, b'{"a": 1}', content_type=None).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[1, 2]",
        b'"text"',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1' + b"0" * 5000 + b"}",
        b"\xff\xfe{}",
        b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}",
        b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b"",
    ],
    ids=[
        "truncated",
        "array",
        "string",
        "nan",
        "infinity",
        "huge-int",
        "not-utf8",
        "deep",
        "deeper",
        "empty",
    ],
)
def test_documents_that_are_not_a_json_object_are_refused_in_json(echo, body):
    response = post(echo, body)
    assert response.status_code == 400
    assert response.json["type"] == "document.malformed"
    assert response.json["detail"]


def test_another_media_type_is_refused(echo):
    response = post(echo, b"<product/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json["type"] == "media.unsupported"


def test_errors_naming_fields_list_their_messages_by_field(echo):
    response = echo.post("/echo-face/invalid/", json={})
    assert response.status_code == 422
    assert response.json == {"unit_price": ["Not a valid price."]}


def test_flask_errors_of_a_json_face_are_json(echo):
    response = echo.get("/echo-face/echo/")
    assert response.status_code == 405
    assert response.json["type"] == "method.not_allowed"
