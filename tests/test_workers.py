"""Rules that must hold across gunicorn workers whatever a worker keeps in memory
(issue 16): each request goes on a new connection, so either of the 2 workers may take
it, and every one of them must see what the last write changed."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from tests.conftest import basic
from tests.test_server import request
from tests.xmlcheck import check_xml
from xmlapi.catalog.auth import save_user
from xmlapi.db import session_scope
from xmlapi.models import User

pytestmark = pytest.mark.server

ROUNDS = 8  # requests per check, each on a new connection: both workers take some


@pytest.fixture
def server(serve):
    return serve(workers=2, threads=2)


def log_in(base: str, name: str = "alice") -> dict:
    status, headers, body = request(base, "GET", "/api/", headers={"Authorization": basic(name)})
    assert status == 200, body
    return {"Cookie": headers["Set-Cookie"].split(";", 1)[0]}


def statuses(base: str, method: str, path: str, headers: dict, body: bytes | None = None):
    return {request(base, method, path, body, headers)[0] for _ in range(ROUNDS)}


def new_product(base: str, cookie: dict) -> str:
    status, _, body = request(
        base, "POST", "/api/products/", b"<product><code>W</code></product>", cookie
    )
    assert status == 201, body
    return f"/api/products/{check_xml(body).get('id')}/"


def test_a_write_through_one_worker_is_read_through_every_other(server):
    cookie = log_in(server)
    path = new_product(server, cookie)
    assert request(server, "LOCK", path, headers=cookie)[0] == 200
    for round_ in range(ROUNDS):
        family = f"F{round_}".encode()
        body = b"<product><family>" + family + b"</family></product>"
        assert request(server, "PUT", path, body, cookie)[0] == 200
        for _ in range(2):  # read at once, twice: one of the two may be the other worker
            status, _, answer = request(server, "GET", path, headers=cookie)
            assert status == 200
            assert check_xml(answer).findtext("family") == family.decode()


def test_a_logout_ends_the_session_in_every_worker(server):
    cookie = log_in(server)
    assert statuses(server, "GET", "/api/products/", cookie) == {200}
    status, _, _ = request(server, "POST", "/api/sessions/current/logout/", headers=cookie)
    assert status == 204
    assert statuses(server, "GET", "/api/products/", cookie) == {401}


def test_a_new_password_takes_effect_in_every_worker_at_once(server, engine):
    cookie = log_in(server)
    old = {"Authorization": basic("alice")}
    assert statuses(server, "GET", "/api/products/", old) == {200}  # known in both workers
    with session_scope(engine) as session:
        save_user(session, "alice", "a brand new password")
    assert statuses(server, "GET", "/api/products/", old) == {401}
    assert statuses(server, "GET", "/api/products/", cookie) == {401}
    new = {"Authorization": basic("alice", "a brand new password")}
    assert statuses(server, "GET", "/api/products/", new) == {200}


def test_a_user_made_read_only_writes_no_more_in_any_worker(server, engine):
    cookie = log_in(server)
    path = new_product(server, cookie)
    with session_scope(engine) as session:
        session.execute(update(User).where(User.name == "alice").values(read_only=True))
    body = b"<product><family>X</family></product>"
    assert statuses(server, "PUT", path, cookie, body) == {403}
    assert statuses(server, "GET", path, cookie) == {200}


def test_a_deleted_user_is_refused_by_every_worker(server, engine):
    cookie = log_in(server)
    credentials = {"Authorization": basic("alice")}
    assert statuses(server, "GET", "/api/products/", credentials) == {200}
    with session_scope(engine) as session:
        session.execute(delete(User).where(User.name == "alice"))
    assert statuses(server, "GET", "/api/products/", cookie) == {401}
    assert statuses(server, "GET", "/api/products/", credentials) == {401}
