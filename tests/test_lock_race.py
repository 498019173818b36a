"""Twenty sessions race for one lock on a 4-worker gunicorn: exactly one wins, every time."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import basic
from tests.test_server import request
from tests.xmlcheck import check_xml

pytestmark = pytest.mark.server

SESSIONS = 20
ROUNDS = 5


@pytest.fixture
def server(serve):
    return serve(workers=4, threads=4)


def open_session(base: str, number: int) -> str:
    # One app id each: the same credentials from the same app would share one session.
    headers = {"Authorization": basic("alice"), "User-Agent": f"racer{number}/1.0"}
    status, headers, body = request(base, "GET", "/api/", headers=headers)
    assert status == 200, body
    return headers["Set-Cookie"].split(";", 1)[0]


def test_exactly_one_of_twenty_sessions_gets_the_lock(server):
    cookies = [open_session(server, number) for number in range(SESSIONS)]
    assert len(set(cookies)) == SESSIONS
    for round_number in range(ROUNDS):
        status, _, body = request(
            server,
            "POST",
            "/api/products/",
            f"<product><code>RACE-{round_number}</code></product>".encode(),
            {"Cookie": cookies[0]},
        )
        assert status == 201, body
        path = f"/api/products/{check_xml(body).get('id')}/"
        start = threading.Barrier(SESSIONS)

        def race(cookie, path=path, start=start):
            start.wait()
            return request(server, "LOCK", path, headers={"Cookie": cookie})

        with ThreadPoolExecutor(SESSIONS) as pool:
            results = list(pool.map(race, cookies))
        statuses = sorted(status for status, _, _ in results)
        assert statuses == [200] + [423] * (SESSIONS - 1), statuses
        for _, _, body in results:
            check_xml(body)
        winner = cookies[[status for status, _, _ in results].index(200)]
        status, _, _ = request(
            server, "PUT", path, b"<product><family>won</family></product>", {"Cookie": winner}
        )
        assert status == 200
