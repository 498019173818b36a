"""The service under gunicorn, as `make run` starts it."""

from __future__ import annotations

import contextlib
import http.client
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from tests.conftest import add_users, basic, empty_tables
from tests.server import ROOT, gunicorn, server_env
from tests.xmlcheck import check_xml
from xmlapi.models import ApiSession

# Its servers serve the module's tests, on one xdist worker: ``make test`` runs with
# ``--dist loadgroup``.
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("test_server")]


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


@pytest.fixture(scope="module")
def users(engine):
    """The test users, for the whole module: its servers outlive a test."""
    add_users(engine)
    yield
    empty_tables(engine)


@pytest.fixture(scope="module")
def server(database_url, users, tmp_path_factory):
    """One gunicorn (2 workers, 2 threads) for the tests of the module that take the
    configuration as it is: starting one costs more than all they ask of it. Tests
    leave what they write; none counts on what another left."""
    env = server_env(database_url, tmp_path_factory.mktemp("server"))
    with gunicorn(env, workers=2, threads=2) as base:
        yield base


def product_count(base: str, headers: dict) -> int:
    status, _, body = request(base, "GET", "/api/products/", headers=headers)
    assert status == 200, body
    return int(check_xml(body).get("total_count"))


def test_serves_the_api_from_gunicorn(server):
    alice = {"Authorization": basic("alice")}
    before = product_count(server, alice)
    status, headers, body = request(
        server, "POST", "/api/products", b"<product><code>G-1</code></product>", alice
    )
    assert status == 201, body
    check_xml(body)
    status, headers, body = request(server, "GET", "/api/products/", headers=alice)
    assert status == 200
    assert headers["Content-Type"] == "application/xml; charset=utf-8"
    root = check_xml(body)
    assert root.get("total_count") == str(before + 1)
    status, _, body = request(server, "LOCK", "/api/nowhere", headers=alice)
    assert status == 404
    assert check_xml(body).get("type") == "not_found"


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


# The edge under real gunicorn (issue 10, items 8 and 16; issue 12, part 2) -----------


def raw_exchange(base: str, data: bytes, timeout: float = 30) -> bytes:
    """Send raw bytes on a fresh connection; everything answered until it closes."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def status_and_body(answer: bytes) -> tuple[int, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_a_10_kb_filter_reaches_the_app(server):
    alice = {"Authorization": basic("alice")}
    query = urlencode({"filter": 'code == "' + "x" * 10_000 + '"'})
    status, _, body = request(server, "GET", f"/api/products/?{query}", headers=alice)
    assert status == 200, body
    assert check_xml(body).get("total_count") == "0"


def test_an_over_cap_request_target_is_an_xml_414(server):
    alice = {"Authorization": basic("alice")}
    query = urlencode({"filter": 'code == "' + "x" * 40_000 + '"'})
    status, _, body = request(server, "GET", f"/api/products/?{query}", headers=alice)
    assert status == 414
    assert check_xml(body).get("type") == "uri.too_long"


def test_an_over_cap_header_is_an_xml_431(server):
    headers = {"Authorization": basic("alice"), "X-Note": "n" * 20_000}
    status, _, body = request(server, "GET", "/api/", headers=headers)
    assert status == 431
    assert check_xml(body).get("type") == "header.too_large"


def test_a_folded_header_reaches_the_app(server):
    answer = raw_exchange(
        server,
        b"GET /api/ HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + basic("alice").encode()
        + b"\r\nX-Note: one\r\n  two\r\nConnection: close\r\n\r\n",
    )
    status, body = status_and_body(answer)
    assert status == 200
    assert check_xml(body).tag == "api"


def test_double_slashes_are_answered_not_redirected(server):
    alice = {"Authorization": basic("alice"), "Host": "evil.example"}
    status, headers, body = request(server, "GET", "/api//products//", headers=alice)
    assert status == 200, body
    assert "Location" not in headers
    assert check_xml(body).tag == "products"


def put_head(length: int) -> bytes:
    return (
        f"PUT /api/products/1/ HTTP/1.1\r\nHost: x\r\nAuthorization: {basic('alice')}\r\n"
        f"Content-Length: {length}\r\n\r\n<product>"
    ).encode()


@pytest.fixture(scope="module")
def impatient_server(database_url, users, tmp_path_factory):
    env = server_env(
        database_url, tmp_path_factory.mktemp("impatient"), XMLAPI_BODY_TIMEOUT_SECONDS="1.5"
    )
    with gunicorn(env, workers=1, threads=2) as base:
        yield base


def test_a_body_that_stops_coming_is_an_xml_408(impatient_server):
    parts = urlsplit(impatient_server)
    start = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(put_head(100_000))  # and nothing more; the connection stays open
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    took = time.monotonic() - start
    status, body = status_and_body(answer)
    assert status == 408
    assert check_xml(body).get("type") == "body.timeout"
    assert 1.4 < took < 5


def test_a_body_shorter_than_its_length_is_an_xml_408(impatient_server):
    start = time.monotonic()
    parts = urlsplit(impatient_server)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(put_head(50) + b"</product>")
        answer = b""
        while chunk := sock.recv(65536):  # the head and the body may come apart
            answer += chunk
    status, body = status_and_body(answer)
    assert status == 408
    assert check_xml(body).get("type") == "body.timeout"
    assert time.monotonic() - start < 5


def test_trickling_clients_leave_room_for_others(database_url, users, tmp_path):
    """8 clients that send headers and then nothing, against the default configuration
    (workers and threads as gunicorn.conf.py says, the default body deadline)."""
    with (
        gunicorn(server_env(database_url, tmp_path), threads=None) as base,
        contextlib.ExitStack() as stack,
    ):
        parts = urlsplit(base)
        for _ in range(8):
            sock = stack.enter_context(socket.create_connection((parts.hostname, parts.port)))
            sock.sendall(put_head(100_000))
        time.sleep(0.5)  # every trickler is in a thread by now
        alice = {"Authorization": basic("alice")}
        for _ in range(4):
            start = time.monotonic()
            status, _, _ = request(base, "GET", "/api/products/", headers=alice)
            assert status == 200
            assert time.monotonic() - start < 2


def test_basic_only_clients_lock_put_unlock_across_workers(server, engine):
    """A client without a cookie jar, its requests spread over 2 workers."""
    alice = {"Authorization": basic("alice"), "User-Agent": "RubyClient/1.0"}
    status, _, body = request(
        server, "POST", "/api/products/", b"<product><code>R</code></product>", alice
    )
    assert status == 201, body
    path = f"/api/products/{check_xml(body).get('id')}/"
    for round_ in range(6):  # each request on a new connection: either worker
        assert request(server, "LOCK", path, headers=alice)[0] == 200
        body = f"<product><family>F{round_}</family></product>".encode()
        status, _, answer = request(server, "PUT", path, body, alice)
        assert status == 200, answer
        assert request(server, "UNLOCK", path, headers=alice)[0] == 200
    # The module's other tests open sessions of their own, under other app ids.
    with engine.connect() as connection:
        sessions = select(func.count()).where(ApiSession.app_id == "RubyClient")
        assert connection.scalar(sessions) == 1


@pytest.mark.parametrize(
    "raw,status",
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /api/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40_000 + b"\r\n\r\n", 431),
        (b"GET /api/?" + b"q" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /api/ HTTP/1.1\r\nHost: x\r\nBad\x00Name: 1\r\n\r\n", 400),
    ],
)
def test_what_gunicorn_refuses_is_answered_in_xml(server, raw, status):
    answer_status, body = status_and_body(raw_exchange(server, raw))
    assert answer_status == status
    assert check_xml(body).get("status") == str(status)


def test_a_chunked_body_is_read_under_gunicorn(server):
    body = b"<product><code>CHUNKED</code></product>"
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    answer = raw_exchange(
        server,
        b"POST /api/products/ HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + basic("alice").encode()
        + b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + chunked,
    )
    status, response = status_and_body(answer)
    assert status == 201, response
    assert check_xml(response).findtext("code") == "CHUNKED"
