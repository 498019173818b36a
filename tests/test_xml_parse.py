"""The safe parser: hostile documents are refused fast, with clear errors."""

from __future__ import annotations

import io
import time

import pytest

from tests.helpers import error_type, xml
from xmlapi.faces.legacy.xml.parse import MalformedXml, element_to_dict, parse

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<product><description>&lol9;</description></product>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE product [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<product><description>&secret;</description></product>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE product SYSTEM "http://example.invalid/product.dtd">
<product><code>x</code></product>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE product [<!ENTITY % remote SYSTEM "http://example.invalid/x.dtd"> %remote;]>
<product/>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY])
def test_dtds_and_entities_are_refused_fast(client, body):
    started = time.perf_counter()
    response = client.post("/api/products/", data=body)
    assert time.perf_counter() - started < 1
    assert response.status_code == 400
    assert error_type(response) == "xml.malformed"
    assert b"root:" not in response.get_data()
    assert xml(client.get("/api/products/")).get("total_count") == "0"


def test_deep_nesting_is_refused(client):
    depth = 100_000
    body = b"<product>" + b"<a>" * depth + b"</a>" * depth + b"</product>"
    started = time.perf_counter()
    response = client.post("/api/products/", data=body)
    assert time.perf_counter() - started < 2
    assert response.status_code == 400


def test_a_body_over_the_cap_is_413_without_reading_it(client, app):
    cap = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/api/products/", data=b" " * (cap + 1))
    assert response.status_code == 413
    assert error_type(response) == "body.too_large"


def test_a_50_mb_body_is_refused(client):
    started = time.perf_counter()
    response = client.post("/api/products/", data=b"<product>" + b"x" * 50_000_000)
    assert response.status_code == 413
    assert time.perf_counter() - started < 2


def test_chunked_body_over_the_cap_is_413(client, app):
    cap = app.config["MAX_CONTENT_LENGTH"]

    # No Content-Length: the server (gunicorn) marks the stream terminated instead.
    response = client.post(
        "/api/products/",
        input_stream=io.BytesIO(b"x" * (cap + 1)),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


def test_parse_reports_line_and_column():
    with pytest.raises(MalformedXml) as caught:
        parse(b"<a>\n<b></c>\n</a>")
    assert caught.value.line == 2
    assert caught.value.column is not None
    assert "line 2" in str(caught.value)


def test_utf16_documents_are_read():
    root = parse('<?xml version="1.0" encoding="UTF-16"?><a><b>é</b></a>'.encode("utf-16"))
    assert root.findtext("b") == "é"


def test_element_to_dict_shapes():
    root = parse(b'<p><a>1</a><b/><c id="3"/><d><e>x</e></d><k>1</k><k>2</k><n><m/></n></p>')
    assert element_to_dict(root) == {
        "a": "1",
        "b": None,
        "c": {"id": "3"},
        "d": {"e": "x"},
        "k": ["1", "2"],
        "n": {"m": None},
    }
