"""Fixtures: one suite for SQLite and PostgreSQL, a fresh app per test, every XML answer
checked against its XSD.

XMLAPI_TEST_DATABASE_URL selects PostgreSQL; the suite then fails (never skips) when it
cannot reach it.
"""

from __future__ import annotations

import os
import socket

import pytest
from sqlalchemy import create_engine, text

import xmlapi.models  # noqa: F401  (registers the tables)
from tests.xmlcheck import XsdCheckingClient
from xmlapi import create_app, migrate
from xmlapi.db import Base
from xmlapi.settings import Settings

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


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


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("XMLAPI_TEST_DATABASE_URL")
    if url:
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


def empty_tables(engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(table.name for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def app(settings, engine):
    app = create_app(settings)
    app.test_client_class = XsdCheckingClient
    yield app
    app.extensions["xmlapi.engine"].dispose()
    empty_tables(engine)


@pytest.fixture
def client(app):
    return app.test_client()
