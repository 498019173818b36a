"""Rules that must hold across gunicorn workers whatever a worker keeps in memory
(issue 16): each request goes on a new connection, so either of the 2 workers may take
it, and every one of them must see what the last write changed."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from tests.conftest import basic, empty_tables
from tests.server import gunicorn, server_env
from tests.test_server import request
from tests.xmlcheck import check_xml
from xmlapi.catalog.auth import save_user
from xmlapi.db import session_scope
from xmlapi.models import User

# One server for the module (starting one costs more than a test asks of it), on one
# xdist worker: ``make test`` runs with ``--dist loadgroup``.
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("test_workers")]

ROUNDS = 8  # requests per check, each on a new connection: both workers take some
PASSWORD = "its own password"


@pytest.fixture(scope="module")
def server(database_url, engine, tmp_path_factory):
    """One gunicorn (2 workers, 2 threads) for the module. Each test works as a user of
    its own, so what it does to its user (a new password, read-only, deleted) and what
    the workers keep about that user reach no other test."""
    # The tests' refused requests add up over the module (all from one address): they
    # check that a request is refused, not how many an address may send.
    env = server_env(
        database_url,
        tmp_path_factory.mktemp("workers"),
        XMLAPI_RATELIMIT_FAILED_LOGIN="1000/minute",
    )
    with gunicorn(env, workers=2, threads=2) as base:
        yield base
    empty_tables(engine)


@pytest.fixture
def user(engine, request) -> str:
    """A user of the test's own, member of organization 1, with PASSWORD."""
    name = request.node.name.removeprefix("test_")
    with session_scope(engine) as session:
        save_user(session, name, PASSWORD)
    return name


def log_in(base: str, name: str) -> dict:
    status, headers, body = request(
        base, "GET", "/api/", headers={"Authorization": basic(name, PASSWORD)}
    )
    assert status == 200, body
    return {"Cookie": headers["Set-Cookie"].split(";", 1)[0]}


def statuses(base: str, method: str, path: str, headers: dict, body: bytes | None = None):
    return {request(base, method, path, body, headers)[0] for _ in range(ROUNDS)}


def new_product(base: str, cookie: dict, code: str) -> str:
    body = f"<product><code>{code}</code></product>".encode()
    status, _, body = request(base, "POST", "/api/products/", body, cookie)
    assert status == 201, body
    return f"/api/products/{check_xml(body).get('id')}/"


def test_a_write_through_one_worker_is_read_through_every_other(server, user):
    cookie = log_in(server, user)
    path = new_product(server, cookie, user)
    assert request(server, "LOCK", path, headers=cookie)[0] == 200
    for round_ in range(ROUNDS):
        family = f"F{round_}".encode()
        body = b"<product><family>" + family + b"</family></product>"
        assert request(server, "PUT", path, body, cookie)[0] == 200
        for _ in range(2):  # read at once, twice: one of the two may be the other worker
            status, _, answer = request(server, "GET", path, headers=cookie)
            assert status == 200
            assert check_xml(answer).findtext("family") == family.decode()


def test_a_logout_ends_the_session_in_every_worker(server, user):
    cookie = log_in(server, user)
    assert statuses(server, "GET", "/api/products/", cookie) == {200}
    status, _, _ = request(server, "POST", "/api/sessions/current/logout/", headers=cookie)
    assert status == 204
    assert statuses(server, "GET", "/api/products/", cookie) == {401}


def test_a_new_password_takes_effect_in_every_worker_at_once(server, engine, user):
    cookie = log_in(server, user)
    old = {"Authorization": basic(user, PASSWORD)}
    assert statuses(server, "GET", "/api/products/", old) == {200}  # known in both workers
    with session_scope(engine) as session:
        save_user(session, user, "a brand new password")
    assert statuses(server, "GET", "/api/products/", old) == {401}
    assert statuses(server, "GET", "/api/products/", cookie) == {401}
    new = {"Authorization": basic(user, "a brand new password")}
    assert statuses(server, "GET", "/api/products/", new) == {200}


def test_a_user_made_read_only_writes_no_more_in_any_worker(server, engine, user):
    cookie = log_in(server, user)
    path = new_product(server, cookie, user)
    with session_scope(engine) as session:
        session.execute(update(User).where(User.name == user).values(read_only=True))
    body = b"<product><family>X</family></product>"
    assert statuses(server, "PUT", path, cookie, body) == {403}
    assert statuses(server, "GET", path, cookie) == {200}


def test_a_deleted_user_is_refused_by_every_worker(server, engine, user):
    cookie = log_in(server, user)
    credentials = {"Authorization": basic(user, PASSWORD)}
    assert statuses(server, "GET", "/api/products/", credentials) == {200}
    with session_scope(engine) as session:
        session.execute(delete(User).where(User.name == user))
    assert statuses(server, "GET", "/api/products/", cookie) == {401}
    assert statuses(server, "GET", "/api/products/", credentials) == {401}
