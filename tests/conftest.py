"""Fixtures: one suite for SQLite and PostgreSQL, one app per session whose state is
renewed for every test, every XML answer checked against its XSD.

XMLAPI_TEST_DATABASE_URL selects PostgreSQL; the suite then fails (never skips) when it
cannot reach it. Under pytest-xdist every worker gets its own database: its own SQLite
file, or on PostgreSQL the named database with the worker's suffix (``test_gw0``),
created on first use.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import os
import socket
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, literal, make_url, select, text
from werkzeug.security import generate_password_hash

import xmlapi.models  # noqa: F401  (registers the tables)
from tests.xmlcheck import XsdCheckingClient
from xmlapi import create_app, db, http, migrate
from xmlapi.catalog import auth as catalog_auth
from xmlapi.catalog import locks as catalog_locks
from xmlapi.db import Base
from xmlapi.models import Membership, User
from xmlapi.models.types import utcnow
from xmlapi.settings import Settings

LOOPBACK = {"127.0.0.1", "::1", "localhost"}

# Reproducible runs: the same examples every time, nothing stored in the worktree.
# Tests' own settings override what they name and inherit the rest.
hypothesis_settings.register_profile("xmlapi", derandomize=True, database=None, deadline=None)
hypothesis_settings.load_profile("xmlapi")

# The suite's files (SQLite databases, photo stores, servers' data dirs) go to memory
# when the machine has a tmpfs and TMPDIR names no other place: a commit's fsync costs
# about 1.4 ms of waiting on this machine's disk, several per test, and what the tests
# check of files (contents, renames, what is left behind) is the same on tmpfs.
MEMORY_TMP = Path("/dev/shm")
if "TMPDIR" not in os.environ and MEMORY_TMP.is_dir() and os.access(MEMORY_TMP, os.W_OK):
    tempfile.tempdir = str(MEMORY_TMP)


def worker_name() -> str:
    """The pytest-xdist worker running this process ("gw0", ...); "" without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgresql`` (they cut PostgreSQL's connections, say) run in the
    PostgreSQL pass only; on SQLite they are deselected, not skipped."""
    if os.environ.get("XMLAPI_TEST_DATABASE_URL", "").startswith("postgresql"):
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests talk to loopback only; anything else is a bug in the test or the code."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in LOOPBACK:
            raise RuntimeError(f"test tried to reach {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _reset_postgresql(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            Base.metadata.drop_all(connection)
    except Exception as exc:  # the suite must fail, not skip, without PostgreSQL
        raise pytest.UsageError(f"XMLAPI_TEST_DATABASE_URL={url}: {exc}") from exc
    finally:
        engine.dispose()


def _worker_database(url: str, worker: str) -> str:
    """``url`` with the worker's own database, created through the maintenance database
    when it does not exist yet."""
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    maintenance = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the suite must fail, not skip, without PostgreSQL
        raise pytest.UsageError(f"XMLAPI_TEST_DATABASE_URL={url}: {exc}") from exc
    finally:
        maintenance.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _without_waiting_for_the_disk(url: str) -> str:
    """``url`` whose sessions commit without waiting for the WAL flush
    (``synchronous_commit=off``): a test never survives a crash of the server, and the
    flush is most of a small commit's time. Visibility and locking are unchanged."""
    parsed = make_url(url)
    options = " ".join(filter(None, [parsed.query.get("options"), "-c synchronous_commit=off"]))
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("XMLAPI_TEST_DATABASE_URL")
    if url:
        if worker_name():
            url = _worker_database(url, worker_name())
        url = _without_waiting_for_the_disk(url)
        _reset_postgresql(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


KEPT_TABLES = {"reference_generation", "organizations"}  # rows the migrations put in place


@functools.cache
def emptied_tables() -> tuple[str, ...]:
    """The tables every test starts without rows, children first (sorted once: it is
    asked after every test)."""
    return tuple(
        table.name
        for table in reversed(Base.metadata.sorted_tables)
        if table.name not in KEPT_TABLES
    )


@functools.cache
def _owned_sequences(url, names: tuple[str, ...]) -> list[str]:
    """The PostgreSQL sequences owned by columns of the tables ``names`` (serial and
    identity columns)."""
    query = text(
        "SELECT s.oid::regclass::text FROM pg_class s"
        " JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass"
        " AND d.refclassid = 'pg_class'::regclass"
        " JOIN pg_class t ON t.oid = d.refobjid"
        " WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i') AND t.relname = ANY(:names)"
    )
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(query, {"names": list(names)}))
    finally:
        engine.dispose()


def empty_tables(engine) -> None:
    """Empty every table but the rows the migrations put in place (the one-row counter,
    organization 1)."""
    names = emptied_tables()
    if engine.dialect.name == "postgresql":
        # DELETE, children first, and the tables' sequences restarted: what TRUNCATE ...
        # RESTART IDENTITY did, at 3 ms instead of 150 (TRUNCATE makes every table's
        # files anew, and it runs after every test).
        deletes = "".join(f'DELETE FROM "{name}";' for name in names)
        with engine.begin() as connection:
            connection.execute(text(f"{deletes}DELETE FROM organizations WHERE id <> 1"))
            connection.execute(
                text("SELECT setval(s, 1, false) FROM unnest(CAST(:s AS regclass[])) AS s"),
                {"s": _owned_sequences(engine.url, names)},
            )
        return
    # SQLite: one script in one transaction, a single call instead of a statement per
    # table (it runs after every test).
    deletes = "".join(f'DELETE FROM "{name}";' for name in names)
    raw = engine.raw_connection()
    try:
        raw.driver_connection.executescript(
            f"BEGIN;{deletes}DELETE FROM organizations WHERE id <> 1;COMMIT;"
        )
    finally:
        raw.close()


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


# A fast hash for the tests' users: verifying the service's default scrypt hash on every
# test's first request would cost seconds over the suite.
FAST_HASH = "pbkdf2:sha256:1000"
USERS = {"alice": "alice password", "bob": "bob password", "reader": "reader password"}
_HASHES = {name: generate_password_hash(pw, FAST_HASH) for name, pw in USERS.items()}


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashes():
    """What the service hashes in the tests' own process (passwords of create-user, app
    private ids, the stand-in checked for unknown names) is hashed with FAST_HASH: its
    default, scrypt, costs about 0.1 s to make and as much to check. The servers the
    tests start keep the default."""
    fast = functools.partial(generate_password_hash, method=FAST_HASH)
    catalog_auth._dummy_hash.cache_clear()
    with mock.patch.object(catalog_auth, "generate_password_hash", fast):
        yield
    catalog_auth._dummy_hash.cache_clear()


def add_users(engine) -> None:
    """The tests' users, members of organization 1 (two statements: it runs before
    every test)."""
    users = User.__table__
    rows = [
        {"name": name, "password_hash": _HASHES[name], "read_only": name == "reader"}
        for name in USERS
    ]
    ours = select(users.c.id, literal(1)).where(users.c.name.in_(USERS))
    with engine.begin() as connection:
        connection.execute(users.insert(), rows)
        connection.execute(
            Membership.__table__.insert().from_select(["user_id", "organization_id"], ours)
        )


def basic(name: str, password: str | None = None) -> str:
    raw = f"{name}:{password if password is not None else USERS[name]}".encode()
    return "Basic " + base64.b64encode(raw).decode()


@pytest.fixture(scope="session")
def shared_app(database_url, tmp_path_factory):
    """The app the tests share: building its routes is most of what create_app costs."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("shared") / "data", database_url=database_url
    )
    app = create_app(settings)
    app.test_client_class = XsdCheckingClient
    return app


# What the shared app keeps between tests: its routes and what describes them, and its
# engine, whose statement cache would otherwise be compiled again for every test (its
# pooled connections are dropped after each test all the same).
KEPT_STATE = {"xmlapi.registry", "xmlapi.faces", "xmlapi.engine", "xmlapi.sessions"}


def renew_state(app, settings: Settings) -> bool:
    """Give ``app`` what a fresh ``create_app(settings)`` would have but its routes and
    engine: state (caches, rate-limit counters, known credentials, photo store...),
    config (body caps) and the settings its WSGI middleware was made with (the limits
    of request targets, headers, bodies). They come from a donor app built without any
    face, so whatever the factory adds is renewed too. False when the middleware of
    the two apps differ in shape (the test then needs an app of its own)."""
    engine = app.extensions["xmlapi.engine"]
    kept = app.extensions["xmlapi.settings"]
    # The kept engine moves the generation of the rate limits' Redis on, or none.
    if (settings.database_url, settings.ratelimit_storage) != (
        kept.database_url,
        kept.ratelimit_storage,
    ):
        return False
    # The donor's state (a database photo store, say) must use the app's kept engine.
    with (
        mock.patch.object(http, "add_face", lambda app, face: None),
        mock.patch.object(migrate, "check_schema", lambda engine: None),
        mock.patch.object(db, "make_engine", lambda url, generation=None: engine),
    ):
        donor = create_app(settings)
    routes = [rule.rule for rule in donor.url_map.iter_rules()]
    assert not routes, f"a face registered routes without http.add_face: {routes}"
    if not adopt_middleware(app, donor):
        return False
    app.config.update(donor.config)
    for key, value in donor.extensions.items():
        if key not in KEPT_STATE:
            app.extensions[key] = value
    return True


def middleware_chain(app) -> list | None:
    """The WSGI layers around ``app``'s own wsgi_app, outermost first (each holds the
    next as ``.app``); None when the chain does not end at ``app``."""
    layers, layer = [], app.wsgi_app
    while getattr(layer, "__self__", None) is not app:
        if not hasattr(layer, "app"):
            return None
        layers.append(layer)
        layer = layer.app
    return layers


def adopt_middleware(app, donor) -> bool:
    """Give each middleware layer of ``app`` the settings of the donor's layer in the
    same place (everything but the next layer, and the error writer, which writes in
    the format of its own app's faces: the donor has none)."""
    ours, theirs = middleware_chain(app), middleware_chain(donor)
    if ours is None or theirs is None or [type(x) for x in ours] != [type(x) for x in theirs]:
        return False
    if not all(hasattr(layer, "__dict__") for layer in ours):
        return False
    for layer, model in zip(ours, theirs, strict=True):
        layer.__dict__.update(
            {k: v for k, v in vars(model).items() if k not in {"app", "error_body"}}
        )
    return True


@pytest.fixture
def app(shared_app, settings, engine):
    """The shared app on the test's settings (its state, config and middleware renewed
    from them); an app of its own when its middleware cannot be renewed in place."""
    if renew_state(shared_app, settings):
        app = shared_app
    else:
        app = create_app(settings)
        app.test_client_class = XsdCheckingClient
    add_users(engine)
    yield app
    app.extensions["xmlapi.engine"].dispose()
    empty_tables(engine)


@pytest.fixture
def serve(database_url, engine, tmp_path):
    """Start gunicorn on the test database with the test users:
    ``serve(workers=2, threads=2, **env)`` gives its base URL; stopped after the test."""
    from tests.server import gunicorn, server_env

    add_users(engine)
    with contextlib.ExitStack() as stack:

        def start(workers: int = 2, threads: int = 2, **env: str) -> str:
            env = server_env(database_url, tmp_path, **env)
            return stack.enter_context(gunicorn(env, workers=workers, threads=threads))

        yield start
    empty_tables(engine)


@pytest.fixture
def make_app(app):
    """Build more apps on the test's database (other settings, or a second "worker")."""
    made = []

    def make(settings: Settings):
        other = create_app(settings)
        other.test_client_class = XsdCheckingClient
        made.append(other)
        return other

    yield make
    for other in made:
        other.extensions["xmlapi.engine"].dispose()


@pytest.fixture
def fresh_app(app, make_app):
    """An app of its own, on the test's settings, for a test that changes the app's set-up
    (adds routes, faces): the shared app has served requests and takes no more."""
    return make_app(app.extensions["xmlapi.settings"])


def client_of(app, user: str | None = "alice"):
    """A test client sending Basic credentials of ``user`` on every request (as legacy
    clients do; after the first answer its cookie authenticates it); None: anonymous."""
    client = app.test_client()
    if user is not None:
        client.environ_base["HTTP_AUTHORIZATION"] = basic(user)
    return client


class Clock:
    """The catalog's notion of now, movable by tests (sessions and locks expire)."""

    def __init__(self):
        self.offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    for module in (catalog_auth, catalog_locks):
        monkeypatch.setattr(module, "utcnow", clock.now)
    return clock


@pytest.fixture
def client(app):
    return client_of(app)


@pytest.fixture
def anonymous(app):
    return client_of(app, None)
