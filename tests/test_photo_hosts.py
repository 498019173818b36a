"""Photos that several hosts share (XMLAPI_PHOTO_STORE=postgresql): two gunicorn
instances with their own data directories on one database, and a kill -9 mid-upload."""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import threading
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests import images
from tests.conftest import add_users, empty_tables
from tests.server import gunicorn, gunicorn_process
from tests.test_photos import FILES_PER_PHOTO, _Caller
from tests.xmlcheck import check_xml
from xmlapi.cli import main
from xmlapi.db import session_scope
from xmlapi.models import PhotoBlob, PhotoScale, ProductPhoto

pytestmark = [pytest.mark.postgresql, pytest.mark.server]


def host_env(database_url: str, data_dir) -> dict[str, str]:
    return {
        "XMLAPI_DATABASE_URL": database_url,
        "XMLAPI_DATA_DIR": str(data_dir),
        "XMLAPI_PHOTO_STORE": "postgresql",
    }


def caller(base: str) -> _Caller:
    return _Caller(int(base.rsplit(":", 1)[1]))


def new_locked_product(call: _Caller, code: str) -> str:
    status, _, body = call(
        "POST", "/api/products/", f"<product><code>{code}</code></product>".encode()
    )
    assert status == 201, body
    product_id = check_xml(body).get("id")
    assert call("LOCK", f"/api/products/{product_id}/")[0] == 200
    return product_id


@pytest.fixture
def users(engine):
    add_users(engine)
    yield
    empty_tables(engine)


def test_a_photo_uploaded_on_one_host_is_served_the_same_by_the_other(
    database_url, users, tmp_path
):
    with (
        gunicorn(host_env(database_url, tmp_path / "one"), workers=1) as one,
        gunicorn(host_env(database_url, tmp_path / "two"), workers=1) as two,
    ):
        first, second = caller(one), caller(two)
        product_id = new_locked_product(first, "HOSTS")
        data = images.jpeg((900, 600))
        status, _, body = first("POST", f"/api/products/{product_id}/add_product_photo/", data)
        assert status == 201, body
        image = f"/api/products/{product_id}/product_photos/{check_xml(body).get('id')}/image/"
        for accept in (None, "image/*;size=512", "image/*;size=256", "image/avif;size=256"):
            here, there = first("GET", image, accept=accept), second("GET", image, accept=accept)
            assert there[0] == 200
            assert there[2] == here[2]
            assert there[1]["ETag"] == here[1]["ETag"]
            assert there[1]["ETag"] == f'"{hashlib.sha256(there[2]).hexdigest()}"'
        assert second("GET", image)[2] == data
        assert first("DELETE", image.removesuffix("image/"))[0] == 204
        assert second("GET", image)[0] == 404  # at once, though its cache has the bytes
        assert second("GET", image, accept="image/*;size=256")[0] == 404


def test_kill_9_during_uploads_leaves_no_partial_photo_and_nothing_to_fix(
    database_url, engine, users, tmp_path
):
    env = host_env(database_url, tmp_path / "host")
    data = images.jpeg((1600, 1200))
    outcomes: list[int | str] = []
    with gunicorn_process(env, workers=1, threads=4) as (base, process):
        product_id = new_locked_product(caller(base), "KILL")
        path = f"/api/products/{product_id}/add_product_photo/"
        stop = threading.Event()

        def uploads():
            call = caller(base)
            while not stop.is_set():
                try:
                    outcomes.append(call("POST", path, data)[0])
                except (OSError, http.client.HTTPException) as exc:  # died under it
                    outcomes.append(type(exc).__name__)
                    return

        threads = [threading.Thread(target=uploads) for _ in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while outcomes.count(201) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # master and worker, mid-upload
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert outcomes.count(201) >= 3
    assert any(isinstance(outcome, str) for outcome in outcomes)  # some were cut off

    with session_scope(engine) as session:
        photos = session.scalar(select(func.count()).select_from(ProductPhoto))
        scales = session.execute(select(PhotoScale.filename, PhotoScale.digest)).all()
        blobs: dict[str, list[bytes]] = {}
        for name, data_chunk in session.execute(
            select(PhotoBlob.name, PhotoBlob.data).order_by(PhotoBlob.name, PhotoBlob.chunk)
        ):
            blobs.setdefault(name, []).append(data_chunk)
    assert photos >= outcomes.count(201)
    assert len(scales) == photos * FILES_PER_PHOTO  # every photo whole
    assert {name for name, _ in scales} == set(blobs)  # no bytes without a row
    for name, digest in scales:
        assert hashlib.sha256(b"".join(blobs[name])).hexdigest() == digest

    result = CliRunner().invoke(main, ["check"], env=env)
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output
