"""The change feed and keyset paging under real concurrency: 4 writers create, change
and delete 1 000 products through 2 gunicorn workers while one consumer follows the
feed from 0 and another syncs the product list by keyset cursor. The feed's consumer
ends with exactly the server's final state (no missed delete, no stale row); the keyset
one with every product as it is, having seen no row twice (deletes are the feed's to
tell: its extra rows are exactly products deleted after it read them)."""

from __future__ import annotations

import http.client
import threading
import time
from urllib.parse import urlsplit

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import basic
from xmlapi.models import Product

pytestmark = pytest.mark.server

WRITERS = 4
# The figure (about 12 s of the machine's two cores, gunicorn's workers mostly);
# pages of 40 make the consumers read many pages while the four writers interleave.
PRODUCTS = 1000
PAGE = 40
ENV = {"XMLAPI_RATELIMIT_DEFAULT": "1000000/minute", "XMLAPI_LOG_LEVEL": "WARNING"}


class Client:
    """One keep-alive connection sending alice's Basic credentials."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.headers = {"Authorization": basic("alice")}

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()

    def expect(self, status: int, method: str, path: str, body: bytes | None = None) -> bytes:
        got, answer = self.call(method, path, body)
        assert got == status, (method, path, got, answer[:300])
        return answer


def write(base: str, writer: int, failures: list, deleted: set) -> None:
    """Create this writer's share of products; change half of them, delete a quarter."""
    client = Client(base)
    try:
        for n in range(PRODUCTS // WRITERS):
            code = f"W{writer}-{n}"
            body = client.expect(201, "POST", "/api/products/", product(code))
            path = f"/api/products/{etree.fromstring(body).get('id')}/"
            if n % 2:
                continue
            client.expect(200, "LOCK", path)
            client.expect(200, "PUT", path, product(code + "-changed"))
            if n % 4 == 0:
                client.expect(200, "DELETE", path)
                deleted.add(int(path.split("/")[-2]))
    except BaseException as exc:  # reported by the test
        failures.append(exc)
    finally:
        client.close()


def product(code: str) -> bytes:
    return f"<product><code>{code}</code><family>Feed</family></product>".encode()


class Consumer:
    """Follows the feed from 0, keeping id -> (code, version) as a downstream copy."""

    def __init__(self, base: str):
        self.client = Client(base)
        self.after = 0
        self.copy: dict[int, tuple[str, int]] = {}
        self.pages = 0

    def follow(self) -> bool:
        """Read one page and apply it; whether more were waiting."""
        body = self.client.expect(200, "GET", f"/api/changes/?after={self.after}&limit={PAGE}")
        root = etree.fromstring(body)
        for change in root:
            seq = int(change.get("seq"))
            assert seq > self.after, "an entry below the cursor appeared"
            self.after = seq
            product_id = int(change.get("id"))
            if change.get("kind") == "delete":
                self.copy.pop(product_id, None)
            else:
                self.copy[product_id] = (change.findtext("code"), int(change.get("version")))
        assert int(root.get("next_after")) == self.after
        self.pages += 1
        return root.get("more") == "true"


class KeysetSync:
    """Follows the product list by keyset cursor, keeping id -> code."""

    def __init__(self, base: str):
        self.client = Client(base)
        self.after = "0"
        self.copy: dict[int, str] = {}
        self.seen: set[tuple[int, str]] = set()

    def follow(self) -> bool:
        """Read one page and apply it; whether it was full (more may be waiting)."""
        body = self.client.expect(200, "GET", f"/api/products/?after={self.after}&count={PAGE}")
        root = etree.fromstring(body)
        for item in root:
            row = (int(item.get("id")), item.findtext("code"))
            assert row not in self.seen, f"{row} came twice"
            self.seen.add(row)
            self.copy[row[0]] = row[1]
        self.after = root.get("next_after")
        return len(root) == PAGE


def test_feed_and_keyset_consumers_end_with_the_servers_state(serve, engine):
    base = serve(workers=2, threads=2, **ENV)
    failures: list[BaseException] = []
    deleted: set[int] = set()
    writers = [
        threading.Thread(target=write, args=(base, w, failures, deleted)) for w in range(WRITERS)
    ]
    for thread in writers:
        thread.start()
    consumer, sync = Consumer(base), KeysetSync(base)
    try:
        while any(thread.is_alive() for thread in writers):
            busy = consumer.follow() | sync.follow()
            if not busy:
                time.sleep(0.05)  # caught up: leave the machine's two cores to the writers
        assert not failures, failures
        pages_while_writing = consumer.pages
        while consumer.follow():
            pass
        while sync.follow():
            pass
    finally:
        for thread in writers:
            thread.join()
        consumer.client.close()
        sync.client.close()
    with Session(engine) as session:
        stored = {
            row.id: (row.code, row.version)
            for row in session.execute(select(Product.id, Product.code, Product.version))
        }
    assert len(stored) == PRODUCTS - WRITERS * len(range(0, PRODUCTS // WRITERS, 4))
    assert consumer.copy == stored
    assert {pid: sync.copy[pid] for pid in stored} == {pid: s[0] for pid, s in stored.items()}
    assert set(sync.copy) - set(stored) <= deleted
    assert pages_while_writing > 2  # it really followed while the writers wrote
