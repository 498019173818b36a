"""The service under gunicorn, as `make run` starts it."""

from __future__ import annotations

import http.client
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from lxml import etree

from tests.conftest import add_users, basic, empty_tables
from tests.server import ROOT, gunicorn
from tests.xmlcheck import check_xml

pytestmark = pytest.mark.server


def request(
    base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def server(database_url, engine, tmp_path):
    add_users(engine)
    env = {"XMLAPI_DATABASE_URL": database_url, "XMLAPI_DATA_DIR": str(tmp_path)}
    with gunicorn(env) as base:
        yield base
    empty_tables(engine)


def test_serves_the_api_from_gunicorn(server):
    alice = {"Authorization": basic("alice")}
    status, headers, body = request(
        server, "POST", "/api/products", b"<product><code>G-1</code></product>", alice
    )
    assert status == 201, body
    check_xml(body)
    status, headers, body = request(server, "GET", "/api/products/", headers=alice)
    assert status == 200
    assert headers["Content-Type"] == "application/xml; charset=utf-8"
    root = check_xml(body)
    assert root.get("total_count") == "1"
    status, _, body = request(server, "LOCK", "/api/nowhere", headers=alice)
    assert status in (404, 405)
    check_xml(body)


def test_gunicorn_refuses_to_start_on_an_unmigrated_database(tmp_path):
    result = subprocess.run(
        [
            str(__import__("pathlib").Path(sys.executable).with_name("gunicorn")),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            "127.0.0.1:0",
            "wsgi:app",
        ],
        cwd=ROOT,
        env={"XMLAPI_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "xmlapi init-db" in result.stderr
    assert "Traceback" not in result.stderr
    assert etree  # parsed answers come from check_xml
