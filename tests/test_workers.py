"""Rules that must hold across gunicorn workers whatever a worker keeps in memory
(issue 16): each request goes on a new connection, so either of the 2 workers may take
it, and every one of them must see what the last write changed.

Each test runs twice: rate limits in process memory (the workers keep nothing), and in
Redis, where the workers keep sessions and product tags at the catalog's generation.
Writes made past the HTTP API go through an engine made as the CLI makes it (one that
moves the generation on).

One server per storage serves all the module's tests (starting one costs more than a
test asks of it): each test has a user and products of its own, so what one test does
to its user (a new password, deleted) is none of another's."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import delete, select, update

from tests.conftest import add_users, basic, empty_tables
from tests.server import gunicorn, server_env
from tests.test_limits import REDIS_URL
from tests.test_server import request
from tests.xmlcheck import check_xml
from xmlapi.catalog import organizations
from xmlapi.catalog.auth import save_user
from xmlapi.db import engine_for, session_scope
from xmlapi.models import Product, User
from xmlapi.settings import Settings

# The module's servers serve its tests on one xdist worker (``--dist loadgroup``).
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("test_workers")]

ROUNDS = 8  # requests per check, each on a new connection: both workers take some
PASSWORD = "worker test password"
_names = itertools.count()


@pytest.fixture(scope="module")
def users(engine):
    """The module's rows stay while its servers run; emptied after the last test."""
    add_users(engine)
    yield
    empty_tables(engine)


@pytest.fixture(scope="module", params=["memory", "redis"])
def storage(request) -> str:
    return "memory://" if request.param == "memory" else REDIS_URL


@pytest.fixture(scope="module")
def server(database_url, users, storage, tmp_path_factory):
    # Failed logins are counted by address, in a Redis other tests share: not the subject.
    env = server_env(
        database_url,
        tmp_path_factory.mktemp("workers"),
        XMLAPI_RATELIMIT_STORAGE=storage,
        XMLAPI_RATELIMIT_FAILED_LOGIN="10000/minute",
    )
    with gunicorn(env, workers=2, threads=2) as base:
        yield base


@pytest.fixture
def admin(database_url, storage):
    """An engine as the CLI makes it: its writes move the catalog's generation on."""
    engine = engine_for(Settings(database_url=database_url, ratelimit_storage=storage))
    yield engine
    engine.dispose()


@pytest.fixture
def user(admin) -> str:
    """A user of the test's own (member of organization 1), made through ``admin``."""
    name = f"worker-{next(_names)}"
    with session_scope(admin) as session:
        save_user(session, name, PASSWORD)
    return name


def credentials(name: str, password: str = PASSWORD) -> dict:
    return {"Authorization": basic(name, password)}


def log_in(base: str, name: str) -> dict:
    status, headers, body = request(base, "GET", "/api/", headers=credentials(name))
    assert status == 200, body
    return {"Cookie": headers["Set-Cookie"].split(";", 1)[0]}


def statuses(base: str, method: str, path: str, headers: dict, body: bytes | None = None):
    return {request(base, method, path, body, headers)[0] for _ in range(ROUNDS)}


def new_product(base: str, cookie: dict) -> str:
    code = f"W{next(_names)}".encode()
    status, _, body = request(
        base, "POST", "/api/products/", b"<product><code>" + code + b"</code></product>", cookie
    )
    assert status == 201, body
    return f"/api/products/{check_xml(body).get('id')}/"


def test_a_write_through_one_worker_is_read_through_every_other(server, user):
    cookie = log_in(server, user)
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


def test_a_logout_ends_the_session_in_every_worker(server, user):
    cookie = log_in(server, user)
    assert statuses(server, "GET", "/api/products/", cookie) == {200}
    status, _, _ = request(server, "POST", "/api/sessions/current/logout/", headers=cookie)
    assert status == 204
    assert statuses(server, "GET", "/api/products/", cookie) == {401}


def test_a_new_password_takes_effect_in_every_worker_at_once(server, admin, user):
    cookie = log_in(server, user)
    old = credentials(user)
    assert statuses(server, "GET", "/api/products/", old) == {200}  # known in both workers
    with session_scope(admin) as session:
        save_user(session, user, "a brand new password")
    assert statuses(server, "GET", "/api/products/", old) == {401}
    assert statuses(server, "GET", "/api/products/", cookie) == {401}
    new = credentials(user, "a brand new password")
    assert statuses(server, "GET", "/api/products/", new) == {200}


def test_a_user_made_read_only_writes_no_more_in_any_worker(server, admin, user):
    cookie = log_in(server, user)
    path = new_product(server, cookie)
    with session_scope(admin) as session:
        session.execute(update(User).where(User.name == user).values(read_only=True))
    body = b"<product><family>X</family></product>"
    assert statuses(server, "PUT", path, cookie, body) == {403}
    assert statuses(server, "GET", path, cookie) == {200}


def test_a_deleted_user_is_refused_by_every_worker(server, admin, user):
    cookie = log_in(server, user)
    basic_only = credentials(user)
    assert statuses(server, "GET", "/api/products/", basic_only) == {200}
    with session_scope(admin) as session:
        session.execute(delete(User).where(User.name == user))
    assert statuses(server, "GET", "/api/products/", cookie) == {401}
    assert statuses(server, "GET", "/api/products/", basic_only) == {401}


def test_a_user_moved_to_another_organization_reads_there_in_every_worker(server, admin, user):
    cookie = log_in(server, user)
    path = new_product(server, cookie)
    assert statuses(server, "GET", path, cookie) == {200}  # the session kept by both
    with session_scope(admin) as session:
        other = organizations.create_organization(session, f"Elsewhere of {user}")
        member = session.scalar(select(User).where(User.name == user))
        organizations.set_memberships(session, member, [other.id])
    assert statuses(server, "GET", path, cookie) == {404}


def test_a_product_written_past_the_api_is_read_new_by_every_worker(server, admin, user):
    cookie = log_in(server, user)
    path = new_product(server, cookie)
    assert statuses(server, "GET", path, cookie) == {200}  # its tag kept by both
    product_id = int(path.rstrip("/").rsplit("/", 1)[1])
    with session_scope(admin) as session:
        session.execute(
            update(Product).where(Product.id == product_id).values(family="Z", version=99)
        )
    for _ in range(ROUNDS):
        status, _, answer = request(server, "GET", path, headers=cookie)
        assert status == 200
        assert check_xml(answer).findtext("family") == "Z"
