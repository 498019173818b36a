"""A write is checked against the locks of every product it changes, inside its own
transaction: a lock that expired or moved while the body was on its way stops the write."""

from __future__ import annotations

import io
import threading

import pytest

from tests.conftest import client_of
from tests.helpers import create, create_product, document, error_type, lock, xml


@pytest.fixture
def bob(app):
    return client_of(app, "bob")


@pytest.fixture
def variant(client):
    color = create(client, "/api/setup/product_colors/", "product_color", {"name": "Red"})
    size = create(client, "/api/setup/product_sizes/", "product_size", {"name": "Large"})
    return {"product_color": {"@id": color}, "product_size": {"@id": size}}


def of_master(master_id: int, variant: dict) -> bytes:
    return document("product", {"master_product": {"product": {"@id": master_id}}, **variant})


def detail(client, product_id):
    response = client.get(f"/api/products/{product_id}/")
    assert response.status_code == 200
    return response


class SlowBody(io.BytesIO):
    """A request body whose first read lets ``meanwhile()`` happen, as a client that
    stalls after its headers lets time pass and other clients act.

    ``meanwhile`` runs in a thread of its own: a request made from inside another in
    the same thread would share its application context (and its ``g``)."""

    def __init__(self, data: bytes, meanwhile):
        super().__init__(data)
        self.meanwhile = meanwhile

    def _first_read(self) -> None:
        if self.meanwhile is not None:
            self.meanwhile, meanwhile = None, self.meanwhile
            run_in_thread(meanwhile)

    def read(self, size: int | None = -1) -> bytes:
        self._first_read()
        return super().read(size)

    def readinto(self, buffer) -> int:
        self._first_read()
        return super().readinto(buffer)


def run_in_thread(call) -> None:
    """Run ``call`` in another thread and wait; its exception is raised here."""
    failures = []

    def target():
        try:
            call()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def test_a_write_whose_lock_was_taken_over_while_its_body_arrived_changes_nothing(
    client, bob, clock, settings
):
    product_id = create_product(client, code="RACE", family="Original")
    lock(client, product_id)
    body = document("product", {"family": "From alice"})

    def bob_takes_over():
        clock.advance(seconds=settings.lock_seconds + 1)  # alice's lock runs out
        lock(bob, product_id)
        response = bob.put(
            f"/api/products/{product_id}/", data=document("product", {"family": "From bob"})
        )
        assert response.status_code == 200

    response = client.put(
        f"/api/products/{product_id}/",
        input_stream=SlowBody(body, bob_takes_over),
    )
    assert response.status_code == 423
    assert error_type(response) == "lock.held"
    assert xml(detail(client, product_id)).findtext("family") == "From bob"


def test_a_write_whose_lock_expired_while_its_body_arrived_needs_it_again(client, clock, settings):
    product_id = create_product(client, code="LATE", family="Original")
    lock(client, product_id)
    body = document("product", {"family": "Late"})

    def time_passes():
        clock.advance(seconds=settings.lock_seconds + 1)

    response = client.put(
        f"/api/products/{product_id}/",
        input_stream=SlowBody(body, time_passes),
    )
    assert response.status_code == 428
    assert xml(detail(client, product_id)).findtext("family") == "Original"


def test_a_write_under_a_product_is_checked_when_it_commits(client, bob, clock, settings):
    product_id = create_product(client, code="UNDER", flags={"serialized": "true"})
    lock(client, product_id)
    body = document("serial_number", {"serial": "SN-1"})

    def bob_takes_over():
        clock.advance(seconds=settings.lock_seconds + 1)
        lock(bob, product_id)

    response = client.post(
        f"/api/products/{product_id}/serial_numbers/",
        input_stream=SlowBody(body, bob_takes_over),
    )
    assert response.status_code == 423
    assert len(xml(client.get(f"/api/products/{product_id}/serial_numbers/"))) == 0


def test_a_child_cannot_be_created_under_a_master_another_session_holds(client, bob, variant):
    master = create_product(client, code="MASTER", description="Master")
    lock(bob, master)
    before = detail(client, master).headers["ETag"]
    response = client.post("/api/products/", data=of_master(master, variant))
    assert response.status_code == 423
    assert error_type(response) == "lock.held"
    after = detail(client, master)
    assert after.headers["ETag"] == before
    assert xml(after).findtext("flags/master_model") == "false"
    assert xml(client.get("/api/products/")).get("total_count") == "1"


def test_a_child_can_be_created_under_a_master_nobody_or_the_caller_holds(client, variant):
    master = create_product(client, code="FREE", description="Free")
    assert client.post("/api/products/", data=of_master(master, variant)).status_code == 201
    lock(client, master)
    response = client.post(
        "/api/products/",
        data=document(
            "product",
            {"code": "FREE-2", "master_product": {"product": {"@id": master}}, **variant},
        ),
    )
    assert response.status_code == 201
    assert xml(detail(client, master)).findtext("flags/master_model") == "true"


def test_a_child_cannot_move_to_a_master_another_session_holds(client, bob, variant):
    first = create_product(client, code="FIRST")
    second = create_product(client, code="SECOND")
    child = create(client, "/api/products/", "product", {"code": "KID"})
    lock(client, child)
    lock(bob, second)
    response = client.put(f"/api/products/{child}/", data=of_master(second, variant))
    assert response.status_code == 423
    assert xml(detail(client, child)).find("master_product/product").get("id") is None
    assert client.put(f"/api/products/{child}/", data=of_master(first, variant)).status_code == 200


def test_deleting_a_master_whose_child_another_session_holds_is_refused(client, bob, variant):
    master = create_product(client, code="PARENT", description="Parent")
    response = client.post("/api/products/", data=of_master(master, variant))
    child = int(xml(response).get("id"))
    lock(client, master)
    lock(bob, child)
    response = client.delete(f"/api/products/{master}/")
    assert response.status_code == 423
    assert detail(client, master).status_code == 200
    kid = xml(detail(client, child))
    assert kid.find("master_product/product").get("id") == str(master)


def test_a_master_cannot_become_a_child(client, variant):
    grand = create_product(client, code="GRAND", description="Grand")
    master = create_product(client, code="MID", description="Mid")
    assert client.post("/api/products/", data=of_master(master, variant)).status_code == 201
    lock(client, master)
    response = client.put(f"/api/products/{master}/", data=of_master(grand, variant))
    assert response.status_code == 422
    assert "master_product/product" in {field.get("name") for field in xml(response).iter("field")}
    assert xml(detail(client, grand)).findtext("flags/master_model") == "false"
