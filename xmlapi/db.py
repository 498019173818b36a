"""The database: engine, one session per request (kept on ``g``), and the model base."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, exc
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from xmlapi import textfold
from xmlapi.catalog.errors import InvalidValue
from xmlapi.generation import Generation, from_settings, watch
from xmlapi.settings import Settings

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, generation: Generation | None = None) -> Engine:
    """Create the engine; SQLite gets foreign keys, WAL and the fold function. Its
    writes move ``generation`` on (the catalog's, in Redis), when there is one."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
    else:
        engine = _postgresql_engine(url)
    if generation is not None:
        watch(engine, generation)
    return engine


def engine_for(settings: Settings) -> Engine:
    """The engine of ``settings``' database, its writes moving the catalog's generation
    on when the rate limits (and so the generation) are kept in Redis."""
    return make_engine(settings.database_url, from_settings(settings))


def _postgresql_engine(url: str) -> Engine:
    engine = create_engine(url, pool_size=5, max_overflow=10)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", functools.partial(_ping_when_idle, engine.dialect))
    event.listen(engine, "handle_error", _refuse_values_past_the_limits)
    return engine


# SQLSTATE class 54, "program limit exceeded": a value too large for what holds it (a
# 1023-character code of three-byte characters outgrows a btree index entry). The same
# statement would fail again, so it is the client's value to change, not the database
# being away (which psycopg's OperationalError otherwise says, and clients retry).
PROGRAM_LIMIT_EXCEEDED = "54"


def _refuse_values_past_the_limits(context) -> BaseException | None:
    """Engine ``handle_error`` hook: such a failure becomes an InvalidValue."""
    sqlstate = getattr(context.original_exception, "sqlstate", None) or ""
    if not sqlstate.startswith(PROGRAM_LIMIT_EXCEEDED):
        return None
    return InvalidValue(
        "A value is too large for the database to store or index (a long code or name "
        "of many-byte characters, say); shorten it."
    )


# A pooled connection that sat idle longer than this is pinged before it is handed out
# (the database may have dropped it meanwhile). One used a moment ago is not: a ping per
# checkout was a whole round trip on every request, 30% of a cached read's time.
PING_AFTER_IDLE_SECONDS = 1.0


def _note_checkin(_dbapi_connection, record) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_when_idle(dialect, dbapi_connection, record, _proxy) -> None:
    """Pool ``checkout`` hook: a connection idle for a while must answer a ping, or the
    pool replaces it (raising DisconnectionError makes the pool reconnect)."""
    checked_in = record.info.get("checked_in")
    if checked_in is None or time.monotonic() - checked_in < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)  # raises when the connection is gone
    except Exception as error:
        raise exc.DisconnectionError() from error


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    # LIKE is case-sensitive on PostgreSQL; make SQLite agree, so `contains` means the same.
    cursor.execute("PRAGMA case_sensitive_like = ON")
    cursor.close()
    dbapi_connection.create_function("xmlapi_fold", 1, textfold.fold, deterministic=True)
    dbapi_connection.create_function("xmlapi_unaccent", 1, textfold.unaccent, deterministic=True)
    from xmlapi import sqlfunctions  # imports the models, which import this module

    sqlfunctions.register(dbapi_connection)


def init_app(app: Flask, engine: Engine) -> None:
    app.extensions["xmlapi.engine"] = engine
    app.extensions["xmlapi.sessions"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_connection() -> Connection:
    """The request's Core connection, opened on first use and closed at teardown: the
    reads every request makes (its session, a product's version) need no ORM session,
    whose setup and teardown would cost more than the query.

    On PostgreSQL it reads in autocommit, so that a read is one round trip, not three
    (BEGIN, the read, ROLLBACK at checkin): under READ COMMITTED each statement saw its
    own snapshot anyway, a single-statement write commits by itself, and what needs a
    transaction (a streamed cursor, ``listing.page``) opens one."""
    if "connection" not in g:
        connection = current_app.extensions["xmlapi.engine"].connect()
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        g.connection = connection
    return g.connection


def release_connection() -> None:
    """Give the request's Core connection back to the pool, ending its transaction.

    A write calls this once it has authenticated: no transaction (nor a snapshot older
    than the write) may sit open while the body arrives; later reads open a fresh one.
    """
    _close_quietly("connection")


def get_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db" not in g:
        g.db = current_app.extensions["xmlapi.sessions"]()
    return g.db


def _close_session(_exc: BaseException | None = None) -> None:
    """Close what the request opened (see ``_close_quietly``)."""
    _close_quietly("db")
    _close_quietly("connection")


def _close_quietly(name: str) -> None:
    """Close the request's session or connection ``name``. Closing rolls back, which
    fails on a connection the database has cut; the pool then drops that connection.
    Such a failure is logged, never raised: at teardown it would replace the answer with
    the server's own error page."""
    resource = g.pop(name, None)
    if resource is None:
        return
    try:
        resource.close()
    except Exception:  # see the docstring
        log.warning("closing the request's database %s failed", name, exc_info=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session outside a request (CLI, tests): commits on success, rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.commit()
