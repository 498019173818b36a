"""Organizations: each product belongs to one; the legacy face works in the caller's
first organization and answers 404 for another's products on every route; bearer
tokens; the commands that make organizations, members and tokens; the migration."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from gunicorn.config import Config
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests import images
from tests.conftest import USERS, client_of, empty_tables
from tests.helpers import create_locked_product, create_product, document, error_type, lock, xml
from tests.test_faces import PROBE_ENDPOINTS, probe_face
from xmlapi import http, migrate, models
from xmlapi.catalog import locks as catalog_locks
from xmlapi.catalog import organizations
from xmlapi.catalog.errors import NotFound
from xmlapi.cli import main
from xmlapi.db import session_scope
from xmlapi.http import endpoints
from xmlapi.http.access_log import ScrubbingLogger
from xmlapi.models.types import utcnow

CAROL = "carol"


@pytest.fixture
def other_org(app, engine) -> int:
    """Organization 2 and its user carol, who is also a member of organization 1, after
    it: the legacy face works in her first one, organization 2."""
    USERS[CAROL] = "carol password"
    with session_scope(engine) as session:
        organization = organizations.create_organization(session, "Other Ltd")
        carol = models.User(name=CAROL, password_hash=_fast_hash("carol password"))
        session.add(carol)
        organizations.set_memberships(session, carol, [organization.id, 1])
        ident = organization.id
    yield ident
    del USERS[CAROL]


def _fast_hash(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, "pbkdf2:sha256:1000")


def _alice_product_with_children(client) -> dict[str, int]:
    """A product of organization 1 with a photo, a cost and a serial number."""
    product_id = create_locked_product(client, code="SHARED-CODE", family="Mugs")
    response = client.post(f"/api/products/{product_id}/add_product_photo/", data=images.jpeg())
    assert response.status_code == 201, response.get_data(as_text=True)
    photo_id = int(xml(response).get("id"))
    engine = client.application.extensions["xmlapi.engine"]
    with session_scope(engine) as session:
        supplier = models.Supplier(name="Northwind", code="NW")
        session.add(supplier)
        session.flush()
        cost = models.SupplierCost(
            product_id=product_id, supplier_id=supplier.id, supplier_product_code="NW-1"
        )
        serial = models.SerialNumber(product_id=product_id, serial="SN-1")
        session.add_all([cost, serial])
        session.flush()
        ids = {"product": product_id, "photo": photo_id, "cost": cost.id, "serial": serial.id}
    return ids


def _url_of(entry: endpoints.Endpoint, ids: dict[str, int]) -> str:
    """The entry's URL for the product and the child its path names."""
    child = next(
        (ids[name] for key, name in _CHILDREN.items() if key in entry.path), ids["product"]
    )
    numbers = iter([ids["product"], child])
    return "/api" + re.sub(r"\(d\+\)", lambda _m: str(next(numbers)), entry.path)


_CHILDREN = {"photos/": "photo", "images/": "photo", "costs/": "cost", "serial_numbers/": "serial"}


def test_another_organizations_product_is_404_on_every_route(app, other_org):
    alice, carol = client_of(app), client_of(app, CAROL)
    ids = _alice_product_with_children(alice)
    before = alice.get(f"/api/products/{ids['product']}/")
    product_entries = [
        e
        for e in app.extensions["xmlapi.registry"].entries
        if e.prefix == "/api" and e.path.startswith("/products/(d+)/")
    ]
    assert len(product_entries) >= 20  # detail, LOCK, costs, photos, serials, inventory...
    for entry in product_entries:
        url = _url_of(entry, ids)
        response = carol.open(url, method=entry.method, data=b"<x/>")
        assert (entry.method, url, response.status_code) == (entry.method, url, 404)
        assert error_type(response) == "not_found"
        owner = alice.open(url, method="GET") if entry.method == "GET" else None
        assert owner is None or owner.status_code == 200, (url, owner.status_code)
    after = alice.get(f"/api/products/{ids['product']}/")
    assert after.status_code == 200
    assert after.headers["ETag"] == before.headers["ETag"]


def test_lists_filters_and_codes_are_per_organization(app, other_org):
    alice, carol = client_of(app), client_of(app, CAROL)
    alice_id = create_product(alice, code="SAME", family="Alice")
    carol_id = create_product(carol, code="SAME", family="Carol")  # codes clash only within one
    create_product(alice, code="ONLY-ALICE")
    for client, own, count in ((alice, alice_id, 2), (carol, carol_id, 1)):
        listed = xml(client.get("/api/products/"))
        assert listed.get("total_count") == str(count)
        filtered = xml(client.get("/api/products/?filter=" + quote('code == "SAME"')))
        assert [item.get("id") for item in filtered] == [str(own)]
    again = carol.post("/api/products/", data=document("product", {"code": "SAME"}))
    assert (again.status_code, error_type(again)) == (409, "conflict")


def test_a_product_cannot_name_another_organizations_product(app, other_org):
    alice, carol = client_of(app), client_of(app, CAROL)
    alice_id = create_product(alice, code="MASTER")
    body = {"code": "C", "related_products": {"related_product": [{"product": {"@id": alice_id}}]}}
    response = carol.post("/api/products/", data=document("product", body))
    assert (response.status_code, error_type(response)) == (422, "reference.unknown")
    response = carol.post(
        "/api/products/",
        data=document("product", {"code": "C", "master_product": {"product": {"@id": alice_id}}}),
    )
    assert response.status_code == 422
    assert xml(carol.get("/api/products/")).get("total_count") == "0"


def test_a_new_user_works_in_organization_1_and_carol_in_her_first(app, other_org, engine):
    create_product(client_of(app, CAROL), code="CAROLS")
    with session_scope(engine) as session:
        owners = dict(
            session.execute(select(models.Product.code, models.Product.organization_id)).all()
        )
    assert owners == {"CAROLS": other_org}
    assert xml(client_of(app, "bob").get("/api/products/")).get("total_count") == "0"


def test_a_write_claimed_for_one_organization_changes_no_product_of_another(app, engine, other_org):
    alice = client_of(app)
    product_id = create_product(alice, code="GUARDED", family="Before")
    claim = catalog_locks.Claim("writer", dt.timedelta(minutes=1), None, other_org)
    with Session(engine) as session:
        catalog_locks.claim(session, claim)
        session.get(models.Product, product_id).family = "After"
        with pytest.raises(NotFound):
            session.commit()
    with Session(engine) as session:
        catalog_locks.claim(session, claim)
        session.add(models.Product(code="NEW", organization_id=1))
        with pytest.raises(NotFound):
            session.commit()
    assert b"<family>Before</family>" in alice.get(f"/api/products/{product_id}/").data
    assert xml(alice.get("/api/products/")).get("total_count") == "1"


def test_a_user_in_no_organization_gets_403(app, engine):
    with session_scope(engine) as session:
        bob = session.scalar(select(models.User).where(models.User.name == "bob"))
        session.execute(delete(models.Membership).where(models.Membership.user_id == bob.id))
    response = client_of(app, "bob").get("/api/products/")
    assert (response.status_code, error_type(response)) == (403, "auth.forbidden")


# Tokens -----------------------------------------------------------------------------


TOKEN_ENDPOINTS = tuple(dataclasses.replace(e, tokens=True) for e in PROBE_ENDPOINTS)


@pytest.fixture
def token_app(fresh_app):
    http.add_face(fresh_app, probe_face(endpoints=TOKEN_ENDPOINTS))
    return fresh_app


def _token(engine, user="alice", organization_id=None, **options) -> str:
    with session_scope(engine) as session:
        token, _row = organizations.create_token(session, user, organization_id, **options)
    return token


def test_a_token_authenticates_by_header_or_query_parameter(token_app, engine):
    alice = client_of(token_app)
    product_id = create_product(alice, code="T-1", family="Mugs")
    token = _token(engine)
    anonymous = client_of(token_app, None)
    by_header = anonymous.get(
        f"/probe/products/{product_id}/", headers={"Authorization": f"Bearer {token}"}
    )
    assert (by_header.status_code, by_header.json["family"]) == (200, "Mugs")
    by_query = anonymous.get(f"/probe/products/{product_id}/?bearer_token={token}")
    assert by_query.status_code == 200
    assert "Set-Cookie" not in by_query.headers  # a token opens no session
    with session_scope(engine) as session:
        row = session.scalar(select(models.ApiToken))
        assert row.digest == hashlib.sha256(token.encode()).hexdigest()
        assert row.last_used is not None


@pytest.mark.parametrize("token", ["x" * 43, "short", "not a token!"])
def test_a_wrong_token_is_401(token_app, token):
    anonymous = client_of(token_app, None)
    response = anonymous.get("/probe/products/1/", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json["type"]) == (401, "auth.required")
    response = anonymous.get("/probe/products/1/?bearer_token=" + quote(token))
    assert response.status_code == 401


def test_an_expired_token_is_401(token_app, engine):
    product_id = create_product(client_of(token_app), code="T-2")
    token = _token(engine, lifetime=dt.timedelta(days=1))
    url = f"/probe/products/{product_id}/?bearer_token={token}"
    assert client_of(token_app, None).get(url).status_code == 200
    with session_scope(engine) as session:
        session.scalar(select(models.ApiToken)).expires = utcnow() - dt.timedelta(seconds=1)
    assert client_of(token_app, None).get(url).status_code == 401


def test_a_read_only_token_only_reads(token_app, engine):
    product_id = create_product(client_of(token_app), code="T-3", family="Before")
    token = _token(engine, read_only=True)
    anonymous = client_of(token_app, None)
    url = f"/probe/products/{product_id}/?bearer_token={token}"
    assert anonymous.get(url).status_code == 200
    response = anonymous.put(url, json={"family": "After"})
    assert (response.status_code, response.json["type"]) == (403, "auth.forbidden")
    assert anonymous.get(url).json["family"] == "Before"


def test_a_token_writes_when_nobody_holds_the_lock_and_works_in_its_organization(
    token_app, engine, other_org
):
    alice = client_of(token_app)
    product_id = create_product(alice, code="T-4", family="Before")
    own = {"Authorization": f"Bearer {_token(engine)}"}
    anonymous = client_of(token_app, None)
    response = anonymous.put(f"/probe/products/{product_id}/", json={"family": "T"}, headers=own)
    assert response.status_code == 428  # the probe's entry requires the lock
    lock(alice, product_id)
    assert (
        anonymous.put(
            f"/probe/products/{product_id}/", json={"family": "T"}, headers=own
        ).status_code
        == 423
    )
    carols = {"Authorization": f"Bearer {_token(engine, CAROL, 1)}"}
    assert anonymous.get(f"/probe/products/{product_id}/", headers=carols).status_code == 200
    carols_own = {"Authorization": f"Bearer {_token(engine, CAROL)}"}
    response = anonymous.get(f"/probe/products/{product_id}/", headers=carols_own)
    assert (response.status_code, response.json["type"]) == (404, "not_found")


def test_the_legacy_face_takes_no_token(app, engine):
    token = _token(engine)
    anonymous = client_of(app, None)
    assert (
        anonymous.get("/api/products/", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    assert anonymous.get(f"/api/products/?bearer_token={token}").status_code == 401


def test_a_token_for_an_organization_its_user_is_not_in_is_refused(app, engine, other_org):
    with session_scope(engine) as session, pytest.raises(ValueError, match="no member"):
        organizations.create_token(session, "alice", other_org)


def test_the_access_log_hides_tokens(capsys):
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s "%(r)s" %(q)s %({authorization}i)s %(s)s')
    logger = ScrubbingLogger(config)

    class Response:
        status, sent, headers = "200 OK", 10, []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/v2/x/?a=1&bearer_token=SECRET-1&BEARER%5FTOKEN=SECRET-2"
        "&b%65arer_token=SECRET-4&%62%65%61%72%65%72%5f%74%6f%6b%65%6e=SECRET-5",
        "QUERY_STRING": "a=1&bearer_token=SECRET-1&BEARER%5FTOKEN=SECRET-2"
        "&b%65arer_token=SECRET-4&%62%65%61%72%65%72%5f%74%6f%6b%65%6e=SECRET-5",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": "Bearer SECRET-3",
    }
    request = {"Authorization": "Bearer SECRET-3"}
    logger.access(Response(), request, environ, dt.timedelta(milliseconds=3))
    line = capsys.readouterr().out
    assert "/api/v2/x/?a=1&bearer_token=" in line
    assert "SECRET" not in line
    assert "bearer_token=[hidden]" in line
    assert "Bearer [hidden]" in line


# Commands ---------------------------------------------------------------------------


@pytest.fixture
def run(database_url, engine, tmp_path):
    runner = CliRunner()

    def invoke(*args):
        env = {"XMLAPI_DATABASE_URL": database_url, "XMLAPI_DATA_DIR": str(tmp_path)}
        return runner.invoke(main, list(args), env=env)

    yield invoke
    empty_tables(engine)


def test_create_org_user_and_token_commands(run, engine):
    made = run("create-org", "Second Shop")
    assert made.exit_code == 0, made.output
    org_id = int(re.search(r"organization (\d+)", made.output).group(1))
    assert run("create-org", "Second Shop").exit_code == 1  # names are unique
    result = run(
        "create-user", "dora", "--password", "dora password", "--org", str(org_id), "--org", "1"
    )
    assert result.exit_code == 0, result.output
    assert run("create-user", "erin", "--password", "erin password").exit_code == 0
    assert run("create-user", "fay", "--password", "fay password", "--org", "999").exit_code == 1
    with session_scope(engine) as session:
        memberships = session.execute(
            select(models.User.name, models.Membership.organization_id)
            .join(models.Membership, models.Membership.user_id == models.User.id)
            .order_by(models.User.name, models.Membership.position)
        ).all()
    assert [tuple(m) for m in memberships] == [("dora", org_id), ("dora", 1), ("erin", 1)]

    made = run("create-token", "dora", "--read-only", "--expires", "30")
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert run("create-token", "erin", "--org", str(org_id)).exit_code == 1
    assert run("create-token", "nobody").exit_code == 1
    with session_scope(engine) as session:
        row = session.scalar(select(models.ApiToken))
        assert row.digest == hashlib.sha256(token.encode()).hexdigest()
        assert token not in {row.digest}
        assert (row.organization_id, row.read_only) == (org_id, True)
        assert dt.timedelta(days=29) < row.expires - utcnow() <= dt.timedelta(days=30)


# Migration --------------------------------------------------------------------------


def test_the_migration_puts_existing_products_and_users_in_organization_1(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = migrate.alembic_config(url)
    from alembic import command

    command.upgrade(config, "0006")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO products (id, version, code, current, editable, gift_card,"
                " inventoried, new_cost, new_import, new_update, no_live_rules, no_profit,"
                " serialized, web, editable_sell, master_model, supplier_overridden, available,"
                " reserved, coming_for_stock, coming_for_customer, warehouses, in_transit,"
                " created, modified) VALUES (7, 1, 'OLD', 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,"
                " 0, 0, 0, 0, 0, 0, 0, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO users (name, password_hash, read_only, created)"
                " VALUES ('old', 'x', 0, '2026-01-01 00:00:00')"
            )
        )
    migrate.upgrade(url)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT id, organization_id FROM products")).all() == [
            (7, 1)
        ]
        assert connection.execute(text("SELECT id FROM organizations")).all() == [(1,)]
        assert connection.scalar(text("SELECT organization_id FROM memberships")) == 1
    with session_scope(engine) as session:
        second = organizations.create_organization(session, "Second")
        session.add(models.Product(code="OLD", organization_id=second.id))
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(models.Product(code="OLD", organization_id=1))
    engine.dispose()
