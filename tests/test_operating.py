"""Running the service: health, readiness, metrics, request ids and log lines."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import create_engine

from tests.conftest import USERS, basic, client_of
from tests.helpers import create_product, lock
from tests.server import free_port
from xmlapi.operating import logs


def test_healthz_answers_without_credentials(anonymous):
    response = anonymous.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert "X-RateLimit-Limit" not in response.headers  # public: no budget spent


def test_only_get_reaches_the_probes(anonymous):
    response = anonymous.post("/healthz")
    assert response.status_code == 405
    assert response.get_json()["type"] == "method.not_allowed"  # the operator face: JSON


def test_readiness_flips_to_503_while_the_database_is_unreachable_and_back(app, anonymous):
    response = anonymous.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "photo_store": "ok", "redis": "not configured"},
    }
    real = app.extensions["xmlapi.engine"]
    nowhere = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    app.extensions["xmlapi.engine"] = nowhere
    try:
        response = anonymous.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"]["database"] == "down"
        assert response.get_json()["status"] == "unavailable"
    finally:
        app.extensions["xmlapi.engine"] = real
        nowhere.dispose()
    assert anonymous.get("/readyz").status_code == 200


def test_readiness_names_an_unwritable_photo_store(app, anonymous, tmp_path):
    blocked = tmp_path / "file-in-the-way"
    blocked.write_text("")
    store = app.extensions["xmlapi.photo_store"]
    real_root = store.root
    store.root = blocked / "photos"
    try:
        response = anonymous.get("/readyz")
    finally:
        store.root = real_root
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "database": "ok",
        "photo_store": "down",
        "redis": "not configured",
    }


def test_readiness_shows_redis_down_as_degraded_not_down(make_app, settings):
    dead_redis = f"redis://127.0.0.1:{free_port()}"
    app = make_app(settings.replace(ratelimit_storage=dead_redis))
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == "degraded"


def test_the_api_still_needs_credentials(anonymous):
    response = anonymous.get("/api/products/")
    assert response.status_code == 401


def test_metrics_count_requests_by_endpoint_name_method_and_status(client):
    before = _sample(
        client, 'xmlapi_requests_total{endpoint="products.list",method="GET",status="200"}'
    )
    client.get("/api/products/")
    client.get("/api/products/")
    after = _sample(
        client, 'xmlapi_requests_total{endpoint="products.list",method="GET",status="200"}'
    )
    assert after - before == 2
    text = client.get("/metrics").get_data(as_text=True)
    assert 'xmlapi_request_duration_seconds_bucket{endpoint="products.list",le="0.1"}' in text


def test_metrics_read_locks_sessions_and_photo_bytes_from_the_database(client):
    product_id = create_product(client, code="M-1")
    lock(client, product_id)
    text = client.get("/metrics").get_data(as_text=True)
    assert "xmlapi_locks_held 1.0" in text
    assert "xmlapi_sessions_open 1.0" in text
    assert "xmlapi_photo_bytes_stored 0.0" in text


def test_metrics_count_rate_limit_refusals(make_app, settings):
    app = make_app(settings.replace(ratelimit_default="2/minute"))
    client = client_of(app)
    before = _sample(client, "xmlapi_rate_limit_refusals_total")
    statuses = [client.get("/api/products/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert _sample(client, "xmlapi_rate_limit_refusals_total") - before == 1


def test_metrics_count_render_cache_hits_and_misses(client, make_app, settings):
    product_id = create_product(client, code="C-1")
    client = client_of(make_app(settings))  # another worker: its cache is empty
    hits = 'xmlapi_render_cache_lookups_total{cache="renders",result="hit"}'
    misses = 'xmlapi_render_cache_lookups_total{cache="renders",result="miss"}'
    before = (_sample(client, hits), _sample(client, misses))
    client.get(f"/api/products/{product_id}/")
    client.get(f"/api/products/{product_id}/")
    after = (_sample(client, hits), _sample(client, misses))
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_metrics_need_the_token_when_one_is_set(make_app, settings):
    token = "t0ken-for-the-scraper"
    app = make_app(settings.replace(metrics_token=token))
    scraper = app.test_client()
    assert scraper.get("/metrics").status_code == 403
    assert scraper.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    answer = scraper.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")


def test_metrics_without_a_token_are_for_loopback_only(anonymous):
    far = anonymous.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert far.status_code == 403
    assert far.get_json()["type"] == "auth.forbidden"
    assert anonymous.get("/metrics").status_code == 200


def _sample(client, name: str) -> float:
    """One sample of the scrape, 0 when absent."""
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# Request ids and log lines ---------------------------------------------------------


@pytest.fixture
def json_log(make_app, settings):
    """An app logging JSON lines into a buffer; yields (app, buffer)."""
    app = make_app(settings.replace(log_format="json"))
    buffer = io.StringIO()
    logs.handler().setStream(buffer)
    yield app, buffer
    logs.configure(settings)


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_a_clients_request_id_comes_back_and_is_in_the_json_log_line(json_log):
    app, buffer = json_log
    response = client_of(app).get("/api/products/", headers={"X-Request-ID": "shop-42.abc"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "shop-42.abc"
    (line,) = [entry for entry in _lines(buffer) if entry["logger"] == "xmlapi.access"]
    assert line["request_id"] == "shop-42.abc"
    assert (line["user"], line["endpoint"], line["status"]) == ("alice", "products.list", 200)
    assert line["method"] == "GET"
    assert line["duration_ms"] > 0


@pytest.mark.parametrize("sent", ["", "x" * 129, "a b", "<script>", "id\u00e9"])
def test_an_unusable_request_id_is_replaced(anonymous, sent):
    response = anonymous.get("/healthz", headers={"X-Request-ID": sent})
    made = response.headers["X-Request-ID"]
    assert made != sent
    assert len(made) == 32 and int(made, 16) >= 0


def test_every_log_line_of_a_request_carries_its_id(json_log, monkeypatch):
    app, buffer = json_log

    def fail(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("xmlapi.faces.legacy.index._bool", fail)
    response = client_of(app).get("/api/", headers={"X-Request-ID": "r-1"})
    assert response.status_code == 500
    lines = _lines(buffer)
    assert {line["logger"] for line in lines} == {"xmlapi.http.errors", "xmlapi.access"}
    assert {line["request_id"] for line in lines} == {"r-1"}


def test_ids_also_reach_refusals_made_before_the_app(anonymous):
    response = anonymous.get("/api/" + "x" * 40000, headers={"X-Request-ID": "long-1"})
    assert response.status_code == 414
    assert response.headers["X-Request-ID"] == "long-1"


SECRETS = ("alice password", "sekrit-bearer-value", "cookie-value-1234567890", "pg-pass-99")


def test_no_secret_reaches_any_log_line(make_app, settings):
    """Passwords, tokens, cookies and Authorization headers are masked in text and JSON."""
    for log_format in ("text", "json"):
        app = make_app(settings.replace(log_format=log_format))
        buffer = io.StringIO()
        logs.handler().setStream(buffer)
        client = client_of(app)
        client.get("/api/products/?bearer_token=sekrit-bearer-value&password=alice+password")
        client.get(
            "/api/nowhere/", headers={"Cookie": "LS_SERVER_SESSION_ID=cookie-value-1234567890"}
        )
        client_of(app, None).get("/api/", headers={"Authorization": basic("alice", "wrong")})
        log = logging.getLogger("xmlapi.test")
        log.warning("login with password=%s failed", USERS["alice"])
        log.warning("headers: Authorization: Bearer sekrit-bearer-value; Cookie: x=y")
        log.warning("connect to postgresql+psycopg://shop:pg-pass-99@db/shop failed")
        log.warning("sent bearer_token=sekrit-bearer-value and token: cookie-value-1234567890")
        captured = buffer.getvalue()
        assert captured.count("\n") >= 7
        for secret in SECRETS:
            assert secret not in captured, (log_format, secret)
        assert "[redacted]" in captured
    logs.configure(settings)


def test_a_file_the_server_wraps_stays_its_wrapper_for_sendfile(tmp_path):
    """The outermost layer must not hide a wsgi.file_wrapper answer from the server
    (gunicorn sends such a file with sendfile), and still hears when it is closed."""
    from gunicorn.http.wsgi import FileWrapper

    from xmlapi.operating.requests import closing

    stream = (tmp_path / "scale.jpg").open("wb+")
    answer = FileWrapper(stream)
    closed = []
    kept = closing({"wsgi.file_wrapper": FileWrapper}, answer, lambda: closed.append(1))
    assert kept is answer
    kept.close()
    assert stream.closed and closed == [1]
    other = closing({"wsgi.file_wrapper": FileWrapper}, [b"x"], lambda: closed.append(2))
    assert list(other) == [b"x"] and other is not answer
    other.close()
    assert closed == [1, 2]
