"""What a request costs in round trips to PostgreSQL (issue 16): its reads run in
autocommit (no BEGIN, no ROLLBACK), and a pooled connection is pinged only when it sat
idle, yet one the database dropped meanwhile is replaced before a request uses it."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from tests.helpers import create_product
from xmlapi import db

pytestmark = pytest.mark.postgresql

CUT = text("SELECT pg_terminate_backend(:pid)")


def app_engine(app):
    return app.extensions["xmlapi.engine"]


def test_a_read_runs_every_statement_in_autocommit(app, client):
    product_id = create_product(client, code="AUTO")
    in_autocommit = []

    def record(connection, *_args):
        in_autocommit.append(connection.connection.dbapi_connection.autocommit)

    event.listen(app_engine(app), "before_cursor_execute", record)
    try:
        assert client.get(f"/api/products/{product_id}/").status_code == 200
        assert client.get("/api/products/?count=50").status_code == 200
    finally:
        event.remove(app_engine(app), "before_cursor_execute", record)
    assert in_autocommit and all(in_autocommit)


def test_a_whole_list_streams_in_a_transaction_of_its_own(app, client, monkeypatch):
    """A server-side cursor needs a transaction: the streamed list opens one."""
    for n in range(5):
        create_product(client, code=f"STREAM-{n}")
    monkeypatch.setattr("xmlapi.faces.legacy.products.WHOLE_PAGE", 1)
    response = client.get("/api/products/?count=3")
    assert response.status_code == 200
    assert response.get_data().count(b"<product ") == 3


def pings(app, monkeypatch) -> list[int]:
    dialect = app_engine(app).dialect
    counted = []
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda conn: counted.append(1) or real_ping(conn))
    return counted


def test_a_connection_used_a_moment_ago_is_not_pinged(app, client, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 60.0)
    assert client.get("/api/products/").status_code == 200
    counted = pings(app, monkeypatch)
    for _ in range(3):
        assert client.get("/api/products/").status_code == 200
    assert counted == []


def test_an_idle_connection_the_database_dropped_is_replaced(app, client, engine, monkeypatch):
    with app_engine(app).connect() as pooled:  # the app's pooled connection, and no other
        pid = pooled.execute(text("SELECT pg_backend_pid()")).scalar()
    with engine.connect() as connection:
        assert connection.execute(CUT, {"pid": pid}).scalar()
        connection.commit()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every pooled one is idle
    counted = pings(app, monkeypatch)
    assert client.get("/api/products/").status_code == 200
    assert counted  # pinged, found dead, replaced
