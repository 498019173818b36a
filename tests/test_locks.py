"""LOCK and UNLOCK, and the lock every write under a product needs."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import client_of
from tests.helpers import create_product, document, error_type, lock, xml


@pytest.fixture
def bob(app):
    return client_of(app, "bob")


@pytest.fixture
def product_id(client):
    return create_product(client, code="LOCKME")


def put(client, product_id, family="F"):
    return client.put(f"/api/products/{product_id}/", data=document("product", {"family": family}))


def test_lock_answers_as_the_contract_and_webdav_do(client, product_id):
    response = client.open(f"/api/products/{product_id}/", method="LOCK")
    assert response.status_code == 200
    root = xml(response)
    assert (root.tag, root.get("acquired"), root.text) == ("lock", "true", "Lock Acquired")
    assert response.headers["Lock-Token"].startswith("<urn:uuid:")
    assert response.headers["Timeout"] == "Second-900"


def test_unlock_answers_as_the_contract_does(client, product_id):
    lock(client, product_id)
    response = client.open(f"/api/products/{product_id}", method="UNLOCK")
    assert response.status_code == 200
    root = xml(response)
    assert (root.tag, root.get("released"), root.text) == ("lock", "true", "Unlocked")


def test_lock_again_by_the_holder_renews_it(client, product_id, clock):
    first = client.open(f"/api/products/{product_id}/", method="LOCK")
    clock.advance(minutes=10)
    second = client.open(f"/api/products/{product_id}/", method="LOCK")
    assert second.status_code == 200
    assert second.headers["Lock-Token"] == first.headers["Lock-Token"]
    clock.advance(minutes=10)  # 20 minutes after the first LOCK, 10 after the renewal
    assert put(client, product_id).status_code == 200


def test_writes_need_the_lock(client, product_id):
    response = put(client, product_id)
    assert response.status_code == 428
    assert error_type(response) == "lock.required"
    assert client.delete(f"/api/products/{product_id}/").status_code == 428


def test_another_sessions_lock_is_423_saying_until_when(client, bob, product_id):
    lock(client, product_id)
    for response in (put(bob, product_id), bob.open(f"/api/products/{product_id}/", method="LOCK")):
        assert response.status_code == 423
        assert error_type(response) == "lock.held"
        message = xml(response).findtext("localizable_message/message")
        until = dt.datetime.fromisoformat(message.rsplit("until ", 1)[1].rstrip("."))
        assert until > dt.datetime.now(dt.UTC)


def test_unlock_of_a_lock_you_do_not_hold_is_409(client, bob, product_id):
    assert client.open(f"/api/products/{product_id}/", method="UNLOCK").status_code == 409
    lock(client, product_id)
    response = bob.open(f"/api/products/{product_id}/", method="UNLOCK")
    assert response.status_code == 409
    assert error_type(response) == "lock.not_held"
    assert put(client, product_id).status_code == 200  # alice still holds it


@pytest.mark.parametrize(
    "path,allowed",
    [
        ("/api/products/", {"GET", "POST"}),
        ("/api/setup/classes/", {"GET", "POST"}),
        ("/api/", {"GET"}),
    ],
)
@pytest.mark.parametrize("method", ["LOCK", "UNLOCK"])
def test_lock_where_nothing_can_be_locked_is_405_with_allow(client, path, allowed, method):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert method not in response.headers["Allow"]


def test_lock_of_a_missing_product_is_404(client):
    assert client.open("/api/products/999999/", method="LOCK").status_code == 404
    assert client.open("/api/products/999999/", method="UNLOCK").status_code == 404
    assert put(client, 999999).status_code == 404


def test_an_expired_lock_can_be_taken_over(client, bob, product_id, clock):
    lock(client, product_id)
    clock.advance(minutes=16)  # past the 15 minute lock timeout
    assert put(client, product_id).status_code == 428
    response = bob.open(f"/api/products/{product_id}/", method="LOCK")
    assert response.status_code == 200
    assert put(bob, product_id).status_code == 200
    assert put(client, product_id).status_code == 423


def test_locks_die_with_an_expired_session(app, client, bob, product_id, clock):
    settings = app.extensions["xmlapi.settings"]
    app.extensions["xmlapi.settings"] = settings.replace(lock_seconds=3600)
    lock(client, product_id)
    clock.advance(minutes=29)
    assert bob.open(f"/api/products/{product_id}/", method="LOCK").status_code == 423
    clock.advance(minutes=2)  # alice's session has been idle 31 minutes; her lock had 60
    assert bob.open(f"/api/products/{product_id}/", method="LOCK").status_code == 200


def test_creating_needs_no_lock(client):
    response = client.post("/api/products/", data=document("product", {"code": "NEW"}))
    assert response.status_code == 201


def test_deleting_a_locked_product_removes_its_lock(client, product_id):
    lock(client, product_id)
    assert client.delete(f"/api/products/{product_id}/").status_code == 200
    assert client.open(f"/api/products/{product_id}/", method="LOCK").status_code == 404


def test_two_users_from_create_to_expiry(app, clock):
    """The whole story, as two point-of-sale clients live it."""
    alice, bob = client_of(app, "alice"), client_of(app, "bob")
    product_id = create_product(alice, code="STORY", description="Before")
    url = f"/api/products/{product_id}/"

    assert alice.open(url, method="LOCK").status_code == 200
    assert bob.open(url, method="LOCK").status_code == 423
    assert put(bob, product_id, "Bob's").status_code == 423
    assert put(alice, product_id, "Alice's").status_code == 200
    assert xml(bob.get(url)).findtext("family") == "Alice's"

    assert alice.open(url, method="UNLOCK").status_code == 200
    assert put(alice, product_id).status_code == 428
    assert bob.open(url, method="LOCK").status_code == 200  # takeover
    assert put(bob, product_id, "Bob's").status_code == 200
    assert alice.open(url, method="LOCK").status_code == 423

    assert bob.post("/api/sessions/current/logout/").status_code == 204
    assert alice.open(url, method="LOCK").status_code == 200  # bob's lock went with him

    clock.advance(minutes=16)  # alice crashes; her lock expires on its own
    assert bob.open(url, method="LOCK").status_code == 200
    assert put(bob, product_id, "After").status_code == 200
    assert xml(alice.get(url)).findtext("family") == "After"
