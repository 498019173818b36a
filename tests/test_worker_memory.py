"""What a worker keeps in memory at the catalog's generation (issue 16): with Redis, a
read that nothing changed since makes no SQL statement; a write through any worker, or
the CLI's engine, is seen by the next request of every other; without Redis (or while
it fails) every request asks the database, and the API stays up."""

from __future__ import annotations

import pytest
import redis

from tests.conftest import basic, client_of
from tests.helpers import count_statements, create_locked_product
from tests.test_limits import REDIS_URL, closed_port, failing_app, redis_app  # noqa: F401
from tests.test_photos import add_photo
from tests.xmlcheck import check_xml
from xmlapi import generation


def statements(app, call) -> int:
    return count_statements(app.extensions["xmlapi.engine"], call)


def read(client, path: str, **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data()
    return response


@pytest.fixture
def workers(redis_app, make_app):  # noqa: F811
    """Two apps on one database and one Redis: two workers of one server."""
    settings = redis_app.replace(ratelimit_default="1000/minute")
    return make_app(settings), make_app(settings)


def test_a_read_nothing_changed_makes_no_statement(workers):
    first, _ = workers
    alice = client_of(first)
    product_id = create_locked_product(alice, code="M")
    path = f"/api/products/{product_id}/"
    read(alice, path)  # the session and the tag are kept from here on
    assert statements(first, lambda: read(alice, path)) == 0
    assert statements(first, lambda: read(alice, "/api/")) == 0


def test_basic_credentials_without_a_cookie_are_kept_too(workers):
    first, _ = workers
    alice = client_of(first)
    product_id = create_locked_product(alice, code="B")
    path = f"/api/products/{product_id}/"
    cookieless = first.test_client(use_cookies=False)
    cookieless.environ_base["HTTP_AUTHORIZATION"] = basic("alice")
    read(cookieless, path)  # checks the password once, then knows the credentials
    read(cookieless, path)
    assert statements(first, lambda: read(cookieless, path)) == 0


def test_a_write_through_one_worker_is_read_at_once_through_the_other(workers):
    first, second = workers
    alice_first, alice_second = client_of(first), client_of(second)
    product_id = create_locked_product(alice_first, code="W")
    path = f"/api/products/{product_id}/"
    tag = read(alice_second, path).headers["ETag"]
    read(alice_second, path)
    answer = alice_first.put(path, data=b"<product><family>NEW</family></product>")
    assert answer.status_code == 200, answer.get_data()
    response = read(alice_second, path)
    assert response.headers["ETag"] != tag
    assert check_xml(response.get_data()).findtext("family") == "NEW"


def test_a_logout_through_one_worker_ends_the_session_in_the_other(workers):
    first, second = workers
    alice = client_of(first)
    read(alice, "/api/")
    cookie = alice.get_cookie("LS_SERVER_SESSION_ID").value
    other = second.test_client()
    other.set_cookie("LS_SERVER_SESSION_ID", cookie)
    assert statements(second, lambda: read(other, "/api/")) > 0
    assert statements(second, lambda: read(other, "/api/")) == 0  # kept
    assert alice.post("/api/sessions/current/logout/").status_code == 204
    assert other.get("/api/").status_code == 401


def test_a_write_moves_the_generation_on_and_a_read_does_not(workers):
    first, _ = workers
    alice = client_of(first)
    connection = redis.Redis.from_url(REDIS_URL)
    product_id = create_locked_product(alice, code="G")
    path = f"/api/products/{product_id}/"
    read(alice, path)
    before = connection.get(generation.KEY)
    read(alice, path)
    assert connection.get(generation.KEY) == before
    alice.put(path, data=b"<product><family>F</family></product>")
    assert int(connection.get(generation.KEY)) > int(before)


def test_a_missing_generation_starts_from_the_clock_not_from_one(workers):
    """A restarted Redis must not answer a number a worker still remembers."""
    first, _ = workers
    alice = client_of(first)
    read(alice, "/api/")
    connection = redis.Redis.from_url(REDIS_URL)
    remembered = first.extensions["xmlapi.memory"].generation
    connection.delete(generation.KEY)
    read(alice, "/api/")
    assert int(connection.get(generation.KEY)) > 10**15
    assert first.extensions["xmlapi.memory"].generation not in (None, remembered, b"1")


def test_without_redis_every_read_asks_the_database(client, app):
    product_id = create_locked_product(client, code="N")
    path = f"/api/products/{product_id}/"
    read(client, path)
    assert statements(app, lambda: read(client, path)) == 2  # the session, the tag


def test_with_redis_down_writes_and_reads_go_on(app, make_app, caplog):
    failing = failing_app(app, make_app, closed_port())
    alice = client_of(failing)
    product_id = create_locked_product(alice, code="D")
    path = f"/api/products/{product_id}/"
    answer = alice.put(path, data=b"<product><family>DOWN</family></product>")
    assert answer.status_code == 200
    assert check_xml(read(alice, path).get_data()).findtext("family") == "DOWN"
    assert statements(failing, lambda: read(alice, path)) == 2  # nothing kept
    assert "could not move the catalog's generation on" in caplog.text


def test_a_page_of_the_list_is_kept_until_a_write(workers):
    first, second = workers
    alice_first, alice_second = client_of(first), client_of(second)
    product_id = create_locked_product(alice_first, code="L1")
    path = "/api/products/?count=50"
    read(alice_second, "/api/")  # logs in: a write
    assert check_xml(read(alice_second, path).get_data()).get("total_count") == "1"
    assert statements(second, lambda: read(alice_second, path)) == 0
    alice_first.put(
        f"/api/products/{product_id}/", data=b"<product><description>X</description></product>"
    )
    create_locked_product(alice_first, code="L2")
    root = check_xml(read(alice_second, path).get_data())
    assert root.get("total_count") == "2"
    assert "X" in [item.findtext("description") for item in root.iter("product")]


def test_an_image_is_served_without_a_statement_until_its_photo_goes(workers):
    first, second = workers
    alice_first, alice_second = client_of(first), client_of(second)
    product_id = create_locked_product(alice_first, code="I")
    photo_id = add_photo(alice_first, product_id)
    path = f"/api/products/{product_id}/images/{photo_id}/image/"
    small = {"Accept": "image/*;size=256"}
    read(alice_second, "/api/")  # logs in: a write
    body = read(alice_second, path, **small).get_data()
    assert statements(second, lambda: read(alice_second, path, **small)) == 0
    assert read(alice_second, path, **small).get_data() == body
    gone = alice_first.delete(f"/api/products/{product_id}/images/{photo_id}/")
    assert gone.status_code == 204
    assert alice_second.get(path, headers=small).status_code == 404


def test_a_kept_session_is_touched_once_a_minute_and_expires_on_time(workers, clock):
    first, _ = workers
    alice = client_of(first)
    read(alice, "/api/")
    read(alice, "/api/")
    clock.advance(seconds=61)
    assert statements(first, lambda: read(alice, "/api/")) == 1  # its expiry pushed out
    assert statements(first, lambda: read(alice, "/api/")) == 0  # and kept so
    clock.advance(seconds=31 * 60)  # past the 30 minute idle timeout
    alice.environ_base.pop("HTTP_AUTHORIZATION")
    assert alice.get("/api/").status_code == 401
