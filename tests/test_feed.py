"""GET /api/changes/: the change feed in the legacy face's XML, scoped to the caller's
organization; hostile cursors are 400s in the XML error shape, expired ones 410."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import USERS, client_of
from tests.helpers import create_locked_product, create_product, error_fields, error_type, xml
from xmlapi.catalog import feed, organizations
from xmlapi.db import session_scope
from xmlapi.models import User
from xmlapi.models.types import utcnow


def changes(client, **args) -> tuple[list[tuple[str, str, str]], dict]:
    response = client.get("/api/changes/", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    root = xml(response)
    entries = [(c.get("kind"), c.get("id"), c.findtext("code")) for c in root]
    return entries, dict(root.attrib)


def test_the_feed_lists_upserts_and_tombstones_in_order(client):
    kept = create_product(client, code="KEPT")
    gone = create_locked_product(client, code="GONE")
    assert client.delete(f"/api/products/{gone}/").status_code == 200
    entries, attrs = changes(client)
    assert entries == [("upsert", str(kept), "KEPT"), ("delete", str(gone), "GONE")]
    assert attrs["after"] == "0" and attrs["more"] == "false"
    more, after = changes(client, after=attrs["next_after"])
    assert more == [] and after["next_after"] == attrs["next_after"]


def test_a_write_under_a_product_moves_it_to_the_end(client):
    first = create_locked_product(client, code="A", flags={"serialized": "true"})
    create_product(client, code="B")
    _, attrs = changes(client)
    response = client.post(
        f"/api/products/{first}/serial_numbers/",
        data=b"<serial_number><serial>SN-1</serial></serial_number>",
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    entries, attrs = changes(client, after=attrs["next_after"])
    assert entries == [("upsert", str(first), "A")]
    stock = client.put(
        f"/api/products/{first}/inventory/", data=b"<inventory><reserved>2</reserved></inventory>"
    )
    assert stock.status_code == 200, stock.get_data(as_text=True)
    assert changes(client, after=attrs["next_after"])[0] == [("upsert", str(first), "A")]


def test_an_entry_carries_the_products_datetime_mod_and_version(client):
    product = create_product(client, code="T")
    detail = xml(client.get(f"/api/products/{product}/"))
    entry = xml(client.get("/api/changes/"))[0]
    assert entry.findtext("changed") == detail.findtext("modified")
    assert entry.get("version") == "1" and entry.get("seq") is not None


def test_a_writes_answer_carries_the_stamp_its_commit_gave(client):
    # The answer is read before the feed stamps the product (outside the clock's lock)
    # and rendered after the commit with the stamp: the stamp the database holds.
    product = create_locked_product(client, code="S")
    put = client.put(f"/api/products/{product}/", data=b"<product><code>S2</code></product>")
    assert put.status_code == 200, put.get_data(as_text=True)
    entry = xml(client.get("/api/changes/"))[-1]
    assert entry.findtext("code") == "S2"
    assert xml(put).findtext("modified") == entry.findtext("changed")
    created = client.post("/api/products/", data=b"<product><code>N</code></product>")
    assert xml(created).findtext("modified") == xml(client.get("/api/changes/"))[-1].findtext(
        "changed"
    )


def test_limit_pages_the_feed(client):
    for n in range(3):
        create_product(client, code=f"P-{n}")
    first, attrs = changes(client, limit=2)
    assert len(first) == 2 and attrs["more"] == "true"
    rest, attrs = changes(client, after=attrs["next_after"], limit=2)
    assert [code for _, _, code in rest] == ["P-2"] and attrs["more"] == "false"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"after": "-1"}, "after"),
        ({"after": str(2**70)}, "after"),
        ({"after": str(2**63)}, "after"),
        ({"after": "abc"}, "after"),
        ({"after": "1e3"}, "after"),
        ({"after": "١٢"}, "after"),  # digits of another script
        ({"limit": "0"}, "limit"),
        ({"limit": str(feed.MAX_LIMIT + 1)}, "limit"),
        ({"limit": "9" * 30}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_a_bad_cursor_or_limit_is_400_in_the_xml_error_shape(client, args, field):
    response = client.get("/api/changes/", query_string=args)
    assert response.status_code == 400
    assert error_type(response) == "query.invalid"
    assert field in error_fields(response)


def test_a_cursor_older_than_the_retention_window_is_410_with_advice(client, engine):
    gone = create_locked_product(client, code="GONE")
    _, attrs = changes(client)
    assert client.delete(f"/api/products/{gone}/").status_code == 200
    with session_scope(engine) as session:
        assert feed.prune(session, dt.timedelta(0), now=utcnow() + dt.timedelta(seconds=1)) == 1
    for after in (attrs["next_after"], "0"):
        response = client.get("/api/changes/", query_string={"after": after})
        assert response.status_code == 410
        assert error_type(response) == "cursor.expired"
        message = xml(response).findtext("localizable_message/message")
        head = message.rsplit("after=", 1)[1].rstrip(".")
        assert "the list with after=0" in message
    assert changes(client, after=head)[0] == []  # resynced: the feed goes on from the head
    create_product(client, code="NEXT")
    assert [code for _, _, code in changes(client, after=head)[0]] == ["NEXT"]


def test_the_feed_is_scoped_to_the_callers_organization(app, client, engine):
    USERS["carol"] = "carol password"
    try:
        with session_scope(engine) as session:
            other = organizations.create_organization(session, "Other Ltd")
            carol = User(name="carol", password_hash=_hash("carol password"))
            session.add(carol)
            organizations.set_memberships(session, carol, [other.id])
        carol_client = client_of(app, "carol")
        theirs = create_product(carol_client, code="THEIRS")
        mine = create_product(client, code="MINE")
        assert changes(client)[0] == [("upsert", str(mine), "MINE")]
        assert changes(carol_client)[0] == [("upsert", str(theirs), "THEIRS")]
    finally:
        del USERS["carol"]


def test_the_feed_needs_credentials(anonymous):
    assert anonymous.get("/api/changes/").status_code == 401


def _hash(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, "pbkdf2:sha256:1000")


def test_the_feed_adds_one_round_trip_to_a_write_on_postgresql(app, make_app, settings):
    """What the feed costs a PUT, counted rather than timed: the clock's UPDATE, the
    products' stamp and the entries' upsert, in one statement on PostgreSQL (whose
    round trips under the clock's lock every other writer waits for), three on SQLite
    (make bench times it)."""
    from tests.conftest import client_of
    from tests.helpers import count_statements

    def statements_of_a_put(some_app, code: str) -> int:
        client = client_of(some_app)
        product = create_locked_product(client, code=code)
        body = f"<product><family>{code}</family></product>".encode()
        engine = some_app.extensions["xmlapi.engine"]
        client.put(f"/api/products/{product}/", data=body)  # warm: caches, the statements
        return count_statements(
            engine,
            lambda: client.put(
                f"/api/products/{product}/", data=b"<product><family>again</family></product>"
            ),
        )

    with_feed = statements_of_a_put(app, "WITH")
    without = statements_of_a_put(make_app(settings.replace(feed=False)), "WITHOUT")
    one_statement = app.extensions["xmlapi.engine"].dialect.name == "postgresql"
    assert with_feed == without + (1 if one_statement else 3)
