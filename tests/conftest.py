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
import os
import socket
from unittest import mock

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, make_url, text
from werkzeug.security import generate_password_hash

import xmlapi.models  # noqa: F401  (registers the tables)
from tests.xmlcheck import XsdCheckingClient
from xmlapi import create_app, migrate
from xmlapi.catalog import auth as catalog_auth
from xmlapi.catalog import locks as catalog_locks
from xmlapi.db import Base, session_scope
from xmlapi.faces import legacy, orgs, pages
from xmlapi.models import Membership, User
from xmlapi.models.types import utcnow
from xmlapi.settings import Settings

LOOPBACK = {"127.0.0.1", "::1", "localhost"}

# Reproducible runs: the same examples every time, nothing stored in the worktree.
# Tests' own settings override what they name and inherit the rest.
hypothesis_settings.register_profile("xmlapi", derandomize=True, database=None, deadline=None)
hypothesis_settings.load_profile("xmlapi")


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


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("XMLAPI_TEST_DATABASE_URL")
    if url:
        if worker_name():
            url = _worker_database(url, worker_name())
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


def empty_tables(engine) -> None:
    """Empty every table but the rows the migrations put in place (the one-row counter,
    organization 1)."""
    tables = [
        table for table in reversed(Base.metadata.sorted_tables) if table.name not in KEPT_TABLES
    ]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(table.name for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
        connection.execute(text("DELETE FROM organizations WHERE id <> 1"))


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


# A fast hash for the tests' users: verifying the service's default scrypt hash on every
# test's first request would cost seconds over the suite.
USERS = {"alice": "alice password", "bob": "bob password", "reader": "reader password"}
_HASHES = {name: generate_password_hash(pw, "pbkdf2:sha256:1000") for name, pw in USERS.items()}


def add_users(engine) -> None:
    """The tests' users, members of organization 1."""
    with session_scope(engine) as session:
        users = [
            User(name=name, password_hash=_HASHES[name], read_only=name == "reader")
            for name in USERS
        ]
        session.add_all(users)
        session.flush()
        session.add_all(Membership(user_id=user.id, organization_id=1) for user in users)


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
    app.built_with = settings  # tests may change its settings; this stays
    return app


# What the shared app keeps between tests: its routes and what describes them, and its
# engine, whose statement cache would otherwise be compiled again for every test (its
# pooled connections are dropped after each test all the same).
KEPT_STATE = {"xmlapi.registry", "xmlapi.faces", "xmlapi.engine", "xmlapi.sessions"}


def renew_state(app, settings: Settings) -> None:
    """Give ``app`` the state a fresh ``create_app(settings)`` would have (caches,
    rate-limit counters, known credentials, photo store...), its routes and engine aside:
    the state comes from an app built without routes, so whatever the factory adds is
    renewed too."""
    with (
        mock.patch.object(legacy, "init_app", lambda app: None),
        mock.patch.object(orgs, "init_app", orgs.init_state),
        mock.patch.object(pages, "init_app", lambda app: None),
        mock.patch.object(migrate, "check_schema", lambda engine: None),
    ):
        donor = create_app(settings)
    donor.extensions["xmlapi.engine"].dispose()  # never connected
    for key, value in donor.extensions.items():
        if key not in KEPT_STATE:
            app.extensions[key] = value


@pytest.fixture
def app(shared_app, settings, engine):
    """The shared app on the test's settings; an app of its own when a module's
    ``settings`` fixture changes more than the data directory (some settings shape the
    app when it is built: body caps, the middleware's limits)."""
    built_with = shared_app.built_with
    if settings.replace(data_dir=built_with.data_dir) == built_with:
        renew_state(shared_app, settings)
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
    from tests.server import gunicorn

    add_users(engine)
    with contextlib.ExitStack() as stack:

        def start(workers: int = 2, threads: int = 2, **env: str) -> str:
            env = {"XMLAPI_DATABASE_URL": database_url, "XMLAPI_DATA_DIR": str(tmp_path), **env}
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
