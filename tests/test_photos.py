"""Product photos through HTTP: raw uploads, scales, images by Accept size, the store
kept in step with the rows, and `xmlapi check`."""

from __future__ import annotations

import errno
import hashlib
import http.client
import io
import logging
import os
import time

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from tests import images
from tests.conftest import add_users, basic, client_of, empty_tables
from tests.helpers import (
    count_statements,
    create_locked_product,
    create_product,
    error_fields,
    error_type,
    lock,
    xml,
)
from tests.server import gunicorn
from tests.xmlcheck import check_xml
from xmlapi import models
from xmlapi.catalog import photo_store, photos, scales
from xmlapi.cli import main
from xmlapi.db import session_scope
from xmlapi.settings import Settings

# The original, its 512 and 256 scales, and their WebP and AVIF renditions.
FILES_PER_PHOTO = 3 + 2 * len(scales.RENDITIONS)
PHOTO_CAP = 2 * 1024 * 1024  # above the 1 MiB XML cap, small enough to send in a test


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, max_photo_bytes=PHOTO_CAP
    )


@pytest.fixture
def store(app) -> photo_store.FileSystemStore:
    return app.extensions["xmlapi.photo_store"]


@pytest.fixture
def product(client) -> int:
    return create_locked_product(client, code="MUG")


def files(store) -> set[tuple[str, bool]]:
    return {(entry.name, entry.pending) for entry in store.entries()}


def upload(client, product_id: int, data: bytes, **headers):
    return client.post(f"/api/products/{product_id}/add_product_photo/", data=data, headers=headers)


def add_photo(client, product_id: int, data: bytes | None = None, **headers) -> int:
    response = upload(client, product_id, data or images.jpeg(), **headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(xml(response).get("id"))


def scales_of(root) -> dict[str, dict[str, str]]:
    return {s.findtext("size"): {c.tag: c.text for c in s} for s in root.iter("scale")}


def fetch(client, product_id, photo_id, accept=None, **headers):
    if accept is not None:
        headers["Accept"] = accept
    return client.get(
        f"/api/products/{product_id}/product_photos/{photo_id}/image/", headers=headers
    )


def decoded(response) -> Image.Image:
    image = Image.open(io.BytesIO(response.get_data()))
    image.load()
    return image


# Upload ------------------------------------------------------------------------------


def test_upload_answers_201_with_the_photo_detail(client, product, store):
    data = images.jpeg((1000, 500))
    response = upload(client, product, data, **{"Content-Type": "image/jpeg"})
    assert response.status_code == 201
    root = xml(response)
    photo_id = root.get("id")
    assert root.get("uri") == f"/products/{product}/product_photos/{photo_id}/"
    assert response.headers["Location"] == f"/api/products/{product}/product_photos/{photo_id}/"
    assert root.findtext("sort_order") == "0"
    assert [s.findtext("size") for s in root.iter("scale")] == ["512", "256", "original"]
    scales = scales_of(root)
    assert {size: (s["format"], s["width"], s["height"]) for size, s in scales.items()} == {
        "512": ("jpeg", "512", "256"),
        "256": ("jpeg", "256", "128"),
        "original": ("jpeg", "1000", "500"),
    }
    assert scales["original"]["filename"].endswith("_original.jpg")
    assert len(files(store)) == FILES_PER_PHOTO
    assert all(not pending for _name, pending in files(store))


def test_the_original_is_kept_byte_for_byte(client, product):
    data = images.jpeg(orientation=6)
    photo_id = add_photo(client, product, data)
    response = fetch(client, product, photo_id)
    assert response.get_data() == data
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Length"] == str(len(data))


def test_exif_orientation_is_applied_to_the_scales(client, product):
    # Stored 40x20 with red on the left; orientation 6 means "turn 90 degrees clockwise
    # to show", so upright it is 20x40 with red on top.
    photo_id = add_photo(client, product, images.jpeg((40, 20), orientation=6))
    root = xml(client.get(f"/api/products/{product}/product_photos/{photo_id}/"))
    assert (scales_of(root)["original"]["width"], scales_of(root)["original"]["height"]) == (
        "20",
        "40",
    )
    scale = decoded(fetch(client, product, photo_id, "image/*;size=256"))
    assert scale.size == (20, 40)  # upright, and never upscaled
    top, bottom = scale.getpixel((10, 5)), scale.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60
    assert "exif" not in scale.info  # scales carry no EXIF (no GPS from the camera)


def test_a_png_with_alpha_gets_png_scales_that_keep_it(client, product):
    photo_id = add_photo(client, product, images.png_with_alpha())
    root = xml(client.get(f"/api/products/{product}/product_photos/{photo_id}/"))
    assert {size: s["format"] for size, s in scales_of(root).items()} == {
        "512": "png",
        "256": "png",
        "original": "png",
    }
    response = fetch(client, product, photo_id, "image/*;size=512")
    assert response.headers["Content-Type"] == "image/png"
    scale = decoded(response)
    assert scale.mode == "RGBA"
    assert scale.getpixel((2, 2))[3] == 255
    assert scale.getpixel((28, 2))[3] == 0


@pytest.mark.parametrize(
    ("data", "original", "scaled"),
    [
        (images.opaque_rgba_png(), "png", "jpeg"),  # an alpha channel nobody uses
        (images.gif(), "gif", "jpeg"),
        (images.gif(transparent=True), "gif", "png"),
        (images.webp(), "webp", "jpeg"),
    ],
)
def test_each_accepted_type(client, product, data, original, scaled):
    photo_id = add_photo(client, product, data)
    root = xml(client.get(f"/api/products/{product}/product_photos/{photo_id}/"))
    formats = {size: s["format"] for size, s in scales_of(root).items()}
    assert formats == {"512": scaled, "256": scaled, "original": original}
    response = fetch(client, product, photo_id)
    assert response.headers["Content-Type"] == f"image/{original}"
    assert response.get_data() == data


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_the_bytes_decide_not_the_content_type(client, product, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = upload(client, product, images.png_with_alpha(), **headers)
    assert response.status_code == 201
    assert scales_of(xml(response))["original"]["format"] == "png"


def truncated_jpeg() -> bytes:
    data = images.jpeg((64, 64))
    return data[: len(data) // 2]


def corrupt_png() -> bytes:
    data = bytearray(images.png_with_alpha())
    data[40] ^= 0xFF  # inside IDAT: its CRC no longer matches
    return bytes(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"this is not an image at all", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(b"<product><code>x</code></product>", id="xml"),
        pytest.param(images.encode(images.halves((8, 8)), "BMP"), id="bmp"),
        pytest.param(images.encode(images.halves((8, 8)), "TIFF"), id="tiff"),
        pytest.param(truncated_jpeg(), id="truncated-jpeg"),
        pytest.param(corrupt_png(), id="bad-crc-png"),
        pytest.param(b"\xff\xd8\xff" + b"\x00" * 100, id="jpeg-magic-only"),
    ],
)
def test_anything_else_is_415_and_leaves_nothing(client, product, store, engine, data):
    response = upload(client, product, data, **{"Content-Type": "image/jpeg"})
    assert response.status_code == 415, response.get_data(as_text=True)
    assert error_type(response) == "media.unsupported"
    assert files(store) == set()
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.ProductPhoto)) == 0


@pytest.mark.parametrize("bomb", [images.png_bomb, images.jpeg_bomb], ids=["png", "jpeg"])
def test_a_decompression_bomb_is_413_at_once(client, product, store, bomb):
    data = bomb()
    assert len(data) < 1000
    started = time.perf_counter()
    response = upload(client, product, data)
    assert time.perf_counter() - started < 1
    assert response.status_code == 413
    assert error_type(response) == "image.too_large"
    assert files(store) == set()


def test_a_photo_larger_than_the_xml_cap_is_taken(client, app, product):
    data = images.noise_png(app.config["MAX_CONTENT_LENGTH"] + 1000)
    assert app.config["MAX_CONTENT_LENGTH"] < len(data) < PHOTO_CAP
    photo_id = add_photo(client, product, data)
    assert fetch(client, product, photo_id).get_data() == data


def test_a_body_over_the_photo_cap_is_413(client, product, store):
    response = upload(client, product, images.jpeg() + b"\x00" * PHOTO_CAP)
    assert response.status_code == 413
    assert error_type(response) == "body.too_large"
    assert files(store) == set()


def test_a_chunked_body_over_the_photo_cap_is_413_and_leaves_nothing(client, product, store):
    response = client.post(
        f"/api/products/{product}/add_product_photo/",
        input_stream=io.BytesIO(images.jpeg() + b"\x00" * PHOTO_CAP),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert files(store) == set()


def test_a_chunked_upload_under_the_cap_is_taken(client, product):
    data = images.webp()
    response = client.post(
        f"/api/products/{product}/add_product_photo",  # no trailing slash, as legacy clients
        input_stream=io.BytesIO(data),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 201
    assert fetch(client, product, xml(response).get("id")).get_data() == data


def test_content_location_is_kept_as_the_source_name(client, product):
    name = "file:///C:/Fotos/taza azul ñ.jpg"
    photo_id = add_photo(client, product, **{"Content-Location": name.encode().decode("latin-1")})
    root = xml(client.get(f"/api/products/{product}/product_photos/{photo_id}/"))
    assert root.findtext("source_name") == name
    with_none = add_photo(client, product)
    assert xml(client.get(f"/api/products/{product}/product_photos/{with_none}/")).findtext(
        "source_name"
    ) in ("", None)


def test_a_source_name_too_long_to_keep_is_422(client, product, store):
    response = upload(client, product, images.jpeg(), **{"Content-Location": "x" * 1024})
    assert response.status_code == 422
    assert "Content-Location" in error_fields(response)
    assert files(store) == set()


def test_upload_needs_the_products_lock(app, client):
    product_id = create_product(client, code="NOLOCK")
    response = upload(client, product_id, images.jpeg())
    assert response.status_code == 428
    lock(client, product_id)
    bob = client_of(app, "bob")
    assert upload(bob, product_id, images.jpeg()).status_code == 423
    reader = client_of(app, "reader")
    assert upload(reader, product_id, images.jpeg()).status_code == 403
    assert upload(client, 999_999, images.jpeg()).status_code == 404


def test_upload_marks_the_product_modified(client, product):
    before = xml(client.get(f"/api/products/{product}/")).findtext("modified")
    add_photo(client, product)
    assert xml(client.get(f"/api/products/{product}/")).findtext("modified") > before


# Read and manage ---------------------------------------------------------------------


def test_list_detail_and_renders_follow_sort_order(client, product):
    first, second, third = (add_photo(client, product) for _ in range(3))
    listed = xml(client.get(f"/api/products/{product}/product_photos/"))
    assert [p.get("id") for p in listed] == [str(first), str(second), str(third)]
    assert [p.findtext("sort_order") for p in listed] == ["0", "1", "2"]
    assert all(len(p.findall("scales/scale")) == 3 for p in listed)

    response = client.put(
        f"/api/products/{product}/product_photos/{third}/",
        data=b"<product_photo><sort_order>-1</sort_order></product_photo>",
    )
    assert response.status_code == 200
    assert xml(response).findtext("sort_order") == "-1"
    order = [str(third), str(first), str(second)]
    listed = xml(client.get(f"/api/products/{product}/product_photos/"))
    assert [p.get("id") for p in listed] == order
    detail = xml(client.get(f"/api/products/{product}/"))
    assert [p.get("uri") for p in detail.iter("product_photo")] == [
        f"/products/{product}/images/{i}/" for i in order
    ]
    in_list = xml(client.get("/api/products/")).find("product").iter("product_photo")
    assert [p.get("uri") for p in in_list] == [
        f"/products/{product}/product_photos/{i}/" for i in order
    ]


def test_the_list_of_a_product_without_photos_is_empty_and_of_no_product_404(client, product):
    assert len(xml(client.get(f"/api/products/{product}/product_photos/"))) == 0
    assert client.get("/api/products/999999/product_photos/").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        (b"<product_photo><sort_order>first</sort_order></product_photo>", 400, "xml.invalid"),
        (
            b"<product_photo><sort_order>99999999999</sort_order></product_photo>",
            400,
            "xml.invalid",
        ),
        (
            b"<product_photo><sort_order>1</sort_order><scales/></product_photo>",
            400,
            "field.read_only",
        ),
        (b"<photo><sort_order>1</sort_order></photo>", 400, "xml.invalid"),
    ],
)
def test_put_refuses_bad_documents(client, product, body, status, kind):
    photo_id = add_photo(client, product)
    response = client.put(f"/api/products/{product}/product_photos/{photo_id}/", data=body)
    assert (response.status_code, error_type(response)) == (status, kind)


def test_put_without_sort_order_changes_nothing(client, product):
    photo_id = add_photo(client, product)
    response = client.put(
        f"/api/products/{product}/product_photos/{photo_id}/", data=b"<product_photo/>"
    )
    assert response.status_code == 200
    assert xml(response).findtext("sort_order") == "0"


def test_put_and_delete_need_the_lock(app, client, product):
    photo_id = add_photo(client, product)
    path = f"/api/products/{product}/product_photos/{photo_id}/"
    client.open(f"/api/products/{product}/", method="UNLOCK")
    body = b"<product_photo><sort_order>3</sort_order></product_photo>"
    assert client.put(path, data=body).status_code == 428
    assert client.delete(path).status_code == 428
    assert client_of(app, "reader").delete(path).status_code == 403


def test_delete_answers_204_and_removes_row_and_files(client, product, store):
    keep, gone = add_photo(client, product), add_photo(client, product)
    response = client.delete(f"/api/products/{product}/product_photos/{gone}/")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert client.get(f"/api/products/{product}/product_photos/{gone}/").status_code == 404
    assert fetch(client, product, gone).status_code == 404
    assert len(files(store)) == FILES_PER_PHOTO
    assert fetch(client, product, keep).status_code == 200
    assert client.delete(f"/api/products/{product}/product_photos/{gone}/").status_code == 404


def test_a_photo_of_another_product_is_404(client, product):
    photo_id = add_photo(client, product)
    other = create_locked_product(client, code="OTHER")
    assert client.get(f"/api/products/{other}/product_photos/{photo_id}/").status_code == 404
    assert fetch(client, other, photo_id).status_code == 404
    assert client.delete(f"/api/products/{other}/product_photos/{photo_id}/").status_code == 404


def test_deleting_the_product_removes_its_photo_files(client, product, store):
    add_photo(client, product)
    add_photo(client, product, images.gif())
    other = create_locked_product(client, code="KEEP")
    add_photo(client, other)
    assert len(files(store)) == 3 * FILES_PER_PHOTO
    assert client.delete(f"/api/products/{product}/").status_code == 200
    assert len(files(store)) == FILES_PER_PHOTO


def test_the_detail_renders_link_and_image_work_as_aliases(client, product):
    data = images.png_with_alpha()
    add_photo(client, product, data)
    uri = (
        xml(client.get(f"/api/products/{product}/")).find("product_photos/product_photo").get("uri")
    )
    assert "/images/" in uri
    detail = client.get(f"/api{uri}")
    assert detail.status_code == 200
    assert xml(detail).get("uri") == uri.replace("/images/", "/product_photos/")
    assert client.get(f"/api{uri}image/").get_data() == data
    assert (
        client.get(f"/api{uri}image/", headers={"Accept": "image/*;size=256"}).headers[
            "Content-Type"
        ]
        == "image/png"
    )
    body = b"<product_photo><sort_order>5</sort_order></product_photo>"
    assert xml(client.put(f"/api{uri}", data=body)).findtext("sort_order") == "5"
    assert client.delete(f"/api{uri}").status_code == 204
    assert client.get(f"/api{uri}").status_code == 404


# Images by size ------------------------------------------------------------------------


@pytest.fixture
def photo(client, product) -> tuple[int, int]:
    return product, add_photo(client, product, images.jpeg((1000, 500)))


# Subtests on one photo: its upload (renditions included) was most of a case's time as a
# test of its own; every case is still reported.
ACCEPTED_SCALES = [
    ("image/*;size=256", 256),
    ("image/*;size=512", 512),
    ("image/*; size=original", 1000),
    ('image/*;size="256"', 256),
    ("image/*;size=1024", 1000),
    ("image/*", 1000),
    ("image/jpeg", 1000),
    (None, 1000),
    ("text/html,application/xml;q=0.9", 1000),
    ("image/webp;size=256;q=0.5, image/*;size=512", 512),
    ("*/*;size=256", 256),
    ("IMAGE/*;SIZE=256", 256),  # media types and parameter names ignore case
    ("Image/JPEG; Size=512", 512),
]


def test_accept_names_the_scale(client, photo, subtests):
    for accept, width in ACCEPTED_SCALES:
        with subtests.test(accept):
            response = fetch(client, *photo, accept)
            assert response.status_code == 200
            assert decoded(response).width == width
            assert response.headers["Vary"] == "Accept"


# Subtests on one photo, as above.
ACCEPTED_FORMATS = [
    ("image/avif,image/webp,image/*;size=256", "image/avif", 256),
    ("image/webp, image/*;size=512", "image/webp", 512),
    ("image/avif;q=0, image/webp, image/*;size=256", "image/webp", 256),
    ("image/*;size=256", "image/jpeg", 256),
    ("*/*;size=512", "image/jpeg", 512),
    ("image/avif,image/webp,image/*", "image/jpeg", 1000),  # no renditions of originals
    (None, "image/jpeg", 1000),
]


def test_modern_formats_are_chosen_by_accept(client, photo, subtests):
    for accept, media_type, width in ACCEPTED_FORMATS:
        with subtests.test(accept):
            response = fetch(client, *photo, accept)
            assert response.status_code == 200
            assert response.headers["Content-Type"] == media_type
            assert response.headers["Vary"] == "Accept"
            image = decoded(response)
            assert (image.format, image.width) == (media_type.split("/")[1].upper(), width)
            etag = response.headers["ETag"]
            assert etag == f'"{hashlib.sha256(response.get_data()).hexdigest()}"'
            assert fetch(client, *photo, accept, **{"If-None-Match": etag}).status_code == 304


# Accept is parsed by photos.py itself, not by werkzeug (its comment says why): these
# cases are where werkzeug's request.accept_mimetypes would answer otherwise.
READ_AS_SENT = [
    # Equal quality: the first listed size wins (werkzeug puts the more specific first).
    ("image/*;size=256, image/jpeg;size=512", "image/jpeg", 256),
    # A malformed q counts as 1 (werkzeug drops the whole range).
    ("image/*;size=256;q=abc", "image/jpeg", 256),
    ("image/avif;q=abc, image/*;size=512", "image/avif", 512),
]


def test_accept_is_read_as_sent_where_werkzeug_would_answer_otherwise(client, photo, subtests):
    for accept, media_type, width in READ_AS_SENT:
        with subtests.test(accept=accept):
            response = fetch(client, *photo, accept)
            assert response.status_code == 200
            assert response.headers["Content-Type"] == media_type
            assert decoded(response).width == width


def test_werkzeug_accept_cannot_carry_the_size():
    """Why: MIMEAccept matches a wildcard range whatever its parameters, so it would
    pick whichever size is offered first; and it orders by specificity, then quality."""
    accept = parse_accept_header("image/*;size=512", MIMEAccept)
    assert accept.quality("image/jpeg;size=256") == 1
    offered = ["image/jpeg;size=256", "image/jpeg;size=512"]
    assert accept.best_match(offered) == "image/jpeg;size=256"
    both = parse_accept_header("image/*;size=256, image/jpeg;size=512", MIMEAccept)
    assert [value for value, _ in both] == ["image/jpeg; size=512", "image/*; size=256"]
    assert list(parse_accept_header("image/*;size=256;q=abc", MIMEAccept)) == []


def test_each_rendition_has_its_own_etag_and_keeps_transparency(client, product):
    photo_id = add_photo(client, product, images.png_with_alpha())
    etags = set()
    for accept in ("image/*;size=256", "image/webp;size=256", "image/avif;size=256"):
        response = fetch(client, product, photo_id, accept)
        assert decoded(response).mode == "RGBA"
        etags.add(response.headers["ETag"])
    assert len(etags) == 3
    detail = xml(client.get(f"/api/products/{product}/product_photos/{photo_id}/"))
    assert [s.findtext("format") for s in detail.iter("scale")] == ["png", "png", "png"]


def test_image_headers_and_conditional_requests(client, photo):
    response = fetch(client, *photo, "image/*;size=256")
    data = response.get_data()
    etag = response.headers["ETag"]
    assert etag == f'"{hashlib.sha256(data).hexdigest()}"'  # strong: no W/
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["Content-Type"] == "image/jpeg"
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "max-age=" in cache
    assert etag != fetch(client, *photo, "image/*;size=512").headers["ETag"]

    again = fetch(client, *photo, "image/*;size=256", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert (again.headers["ETag"], again.headers["Vary"]) == (etag, "Accept")
    other_size = fetch(client, *photo, "image/*;size=512", **{"If-None-Match": etag})
    assert other_size.status_code == 200
    assert fetch(client, *photo, None, **{"If-None-Match": "*"}).status_code == 304


def test_head_and_ranges(client, photo):
    product_id, photo_id = photo
    path = f"/api/products/{product_id}/product_photos/{photo_id}/image/"
    head = client.head(path)
    assert head.status_code == 200
    assert head.get_data() == b""
    assert int(head.headers["Content-Length"]) > 100
    part = client.get(path, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.get_data() == fetch(client, *photo).get_data()[:10]


def test_a_missing_file_behind_a_row_is_a_logged_500(client, photo, store, caplog):
    product_id, photo_id = photo
    for entry in list(store.entries()):
        if entry.name.endswith("_256.jpg"):
            store.remove(entry)
    with caplog.at_level(logging.ERROR, logger="xmlapi"):
        response = fetch(client, product_id, photo_id, "image/*;size=256")
    assert response.status_code == 500
    assert error_type(response) == "photo.file_missing"
    assert any("PHOTO FILE MISSING" in r.getMessage() for r in caplog.records)
    assert fetch(client, product_id, photo_id, "image/*;size=512").status_code == 200


# The store in step with the rows -------------------------------------------------------


def count_photo_rows(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(models.PhotoScale))


def test_a_failed_commit_leaves_no_row_and_no_file(client, product, store, engine, monkeypatch):
    event.listen(Session, "before_commit", _fail_photo_commits)
    try:
        response = upload(client, product, images.jpeg((300, 200)))
    finally:
        event.remove(Session, "before_commit", _fail_photo_commits)
    assert response.status_code == 500
    assert count_photo_rows(engine) == 0
    assert files(store) == set()


def test_a_crash_between_commit_and_rename_loses_nothing(client, product, store, monkeypatch):
    monkeypatch.setattr(photo_store.FileSystemStore, "publish", lambda self, names: None)
    data = images.jpeg()
    photo_id = add_photo(client, product, data)
    assert all(pending for _name, pending in files(store))
    monkeypatch.undo()
    # The committed row finds its bytes: the first read finishes the rename.
    assert fetch(client, product, photo_id).get_data() == data
    assert len([f for f in files(store) if not f[1]]) == 1


@pytest.fixture
def check(settings):
    runner = CliRunner()
    env = {"XMLAPI_DATABASE_URL": settings.database_url, "XMLAPI_DATA_DIR": str(settings.data_dir)}

    def run(*args):
        return runner.invoke(main, ["check", *args], env=env)

    return run


def test_check_reports_nothing_when_all_is_well(client, product, check):
    add_photo(client, product)
    result = check()
    assert result.exit_code == 0, result.output
    assert "1 photos" in result.output and "no problems" in result.output


def test_a_crash_before_commit_leaves_orphans_check_reports_and_fix_removes(
    client, product, store, check, engine, monkeypatch
):
    monkeypatch.setattr(photo_store.FileSystemStore, "discard", lambda self, names: None)
    event.listen(Session, "before_commit", _fail_photo_commits)
    try:
        assert upload(client, product, images.jpeg()).status_code == 500
    finally:
        event.remove(Session, "before_commit", _fail_photo_commits)
    monkeypatch.undo()
    kept = add_photo(client, product, images.gif())
    orphans = {name for name, _pending in files(store)} - _names_of_rows(engine)
    assert len(orphans) == FILES_PER_PHOTO

    young = check("--fix")  # files this young may be an upload in progress: left alone
    assert young.exit_code == 0, young.output
    assert len(files(store)) == 2 * FILES_PER_PHOTO
    _age(store)
    report = check()
    assert report.exit_code == 1
    assert all(name in report.output for name in orphans)
    assert len(files(store)) == 2 * FILES_PER_PHOTO
    fixed = check("--fix")
    assert fixed.exit_code == 0, fixed.output
    assert f"removed {FILES_PER_PHOTO} orphan files" in fixed.output
    assert {name for name, _pending in files(store)} == _names_of_rows(engine)
    assert fetch(client, product, kept).status_code == 200


def test_check_reports_rows_whose_files_are_missing(client, product, store, check):
    photo_id = add_photo(client, product)
    lost = next(e for e in store.entries() if e.name.endswith("_512.jpg"))
    store.remove(lost)
    result = check("--fix")
    assert result.exit_code == 1
    assert f"photo {photo_id} (512): {lost.name} is missing" in result.output


def test_check_fix_finishes_uploads_cut_off_after_commit(
    client, product, store, check, monkeypatch
):
    monkeypatch.setattr(photo_store.FileSystemStore, "publish", lambda self, names: None)
    add_photo(client, product)
    monkeypatch.undo()
    assert check().exit_code == 1
    result = check("--fix")
    assert result.exit_code == 0, result.output
    assert f"finished {FILES_PER_PHOTO}" in result.output
    assert not any(pending for _name, pending in files(store))


def _fail_photo_commits(session):
    # The rows are flushed by now (locks are checked at the flush): look them up there.
    if any(isinstance(row, models.ProductPhoto) for row in session.identity_map.values()):
        raise RuntimeError("killed before the commit")


def _names_of_rows(engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.scalars(select(models.PhotoScale.filename)))


def _age(store, seconds: int = 2 * 3600) -> None:
    past = time.time() - seconds
    for directory, _dirs, names in os.walk(store.root):
        for name in names:
            os.utime(os.path.join(directory, name), (past, past))


# Statements ----------------------------------------------------------------------------


def test_photo_list_and_detail_issue_a_constant_number_of_statements(app, client, product):
    first = add_photo(client, product)
    path = f"/api/products/{product}/product_photos/"
    engine = app.extensions["xmlapi.engine"]
    small_list = count_statements(engine, lambda: client.get(path))
    small_detail = count_statements(engine, lambda: client.get(f"{path}{first}/"))
    image = count_statements(engine, lambda: fetch(client, product, first))
    for _ in range(5):
        add_photo(client, product, images.gif())
    assert len(xml(client.get(path))) == 6
    assert count_statements(engine, lambda: client.get(path)) == small_list
    assert count_statements(engine, lambda: client.get(f"{path}{first}/")) == small_detail
    assert small_list <= 4 and small_detail <= 3 and image <= 2


# Under gunicorn ------------------------------------------------------------------------


@pytest.mark.server
def test_chunked_uploads_and_streamed_images_under_gunicorn(database_url, engine, tmp_path):
    add_users(engine)
    env = {
        "XMLAPI_DATABASE_URL": database_url,
        "XMLAPI_DATA_DIR": str(tmp_path),
        "XMLAPI_MAX_PHOTO_BYTES": str(PHOTO_CAP),
    }
    try:
        with gunicorn(env, workers=1) as base:
            port = int(base.rsplit(":", 1)[1])
            call = _Caller(port)
            status, _, body = call("POST", "/api/products/", b"<product><code>G</code></product>")
            product_id = check_xml(body).get("id")
            assert call("LOCK", f"/api/products/{product_id}/")[0] == 200
            data = images.jpeg((600, 300))
            path = f"/api/products/{product_id}/add_product_photo/"
            status, _, body = call("POST", path, _chunks(data))
            assert status == 201, body
            photo_id = check_xml(body).get("id")
            status, _, _ = call("POST", path, _chunks(data + b"\x00" * PHOTO_CAP))
            assert status == 413
            image = f"/api/products/{product_id}/product_photos/{photo_id}/image/"
            status, headers, body = call("GET", image)
            assert (status, body) == (200, data)
            assert headers["Content-Length"] == str(len(data))
            status, headers, body = call("GET", image, accept="image/*;size=256")
            assert status == 200
            assert Image.open(io.BytesIO(body)).size == (256, 128)
        stored = files(photo_store.FileSystemStore(root=tmp_path / "photos"))
        assert len(stored) == FILES_PER_PHOTO  # nothing left of the refused upload
    finally:
        empty_tables(engine)


def _chunks(data: bytes, size: int = 65536):
    return (data[i : i + size] for i in range(0, len(data), size))


class _Caller:
    """Requests on one connection, with Basic credentials and the session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = None

    def __call__(self, method, path, body=None, accept=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": basic("alice")}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if accept:
            headers["Accept"] = accept
        chunked = body is not None and not isinstance(body, bytes)
        try:
            connection.request(method, path, body=body, headers=headers, encode_chunked=chunked)
            response = connection.getresponse()
            result = response.status, dict(response.getheaders()), response.read()
        except (BrokenPipeError, ConnectionResetError):
            # A server may answer 413 and close before the whole body is sent.
            result = connection.getresponse().status, {}, b""
        finally:
            connection.close()
        cookie = result[1].get("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return result


# Hostile source names (issue 10, item 3) -----------------------------------------------


def count_photos(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(models.ProductPhoto))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("\xef\xbf\xbe.jpg", id="U+FFFE-as-utf8"),
        pytest.param("\xef\xbf\xbf.jpg", id="U+FFFF-as-utf8"),
        pytest.param("a\x01b.jpg", id="control"),
        pytest.param("a\x1bb.jpg", id="escape"),
        pytest.param("nul\x00.jpg", id="nul"),
        pytest.param("\ud800.jpg", id="lone-surrogate"),
        pytest.param("\ufffe.jpg", id="U+FFFE-decoded"),
    ],
)
def test_a_source_name_xml_cannot_carry_is_422_and_stores_nothing(
    client, product, store, engine, name
):
    response = upload(client, product, images.jpeg(), **{"Content-Location": name})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert error_type(response) == "field.invalid"
    assert list(error_fields(response)) == ["Content-Location"]
    assert files(store) == set()
    assert count_photos(engine) == 0
    listed = client.get(f"/api/products/{product}/product_photos/")
    assert (listed.status_code, len(xml(listed))) == (200, 0)


def test_a_source_name_over_the_column_is_422_and_stores_nothing(client, product, store, engine):
    name = "ñ" * (photos.SOURCE_NAME_LENGTH + 1)
    response = upload(client, product, images.jpeg(), **{"Content-Location": name})
    assert response.status_code == 422
    assert list(error_fields(response)) == ["Content-Location"]
    assert (files(store), count_photos(engine)) == (set(), 0)


@pytest.mark.parametrize("stored", ["\ufffe.jpg", "\uffff\x01.jpg", "tab\tok\x7f.jpg"])
def test_photos_render_whatever_source_name_is_stored(client, product, engine, stored):
    photo_id = add_photo(client, product)
    with session_scope(engine) as session:
        session.get(models.ProductPhoto, photo_id).source_name = stored
    for path in (
        f"/api/products/{product}/product_photos/",
        f"/api/products/{product}/product_photos/{photo_id}/",
        f"/api/products/{product}/",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
    shown = xml(client.get(f"/api/products/{product}/product_photos/{photo_id}/"))
    assert shown.findtext("source_name").replace("\ufffd", "") == "".join(
        c for c in stored if c not in "\ufffe\uffff\x01"
    )


# Storage failures (issue 10, item 15) and no paths in answers (item 20) ----------------


class _FailingFile:
    """A file whose writes fail with ``error`` once ``good`` bytes are written."""

    def __init__(self, real, error: OSError, good: int):
        self.real, self.error, self.good = real, error, good

    def write(self, data: bytes) -> int:
        if len(data) > self.good:
            self.real.write(data[: self.good])  # the disk took part of it
            self.good = 0
            raise self.error
        self.good -= len(data)
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.real.close()


def fail_store_writes(monkeypatch, code: int, *, names: str = "", at_open: bool = False):
    """Make the store's writes of files whose name holds ``names`` fail with ``code``,
    as a full (ENOSPC) or read-only (EROFS) disk does."""

    def failing_open(path, mode="r", *args, **kwargs):
        if "x" not in mode or names not in str(path):
            return open(path, mode, *args, **kwargs)
        error = OSError(code, os.strerror(code), str(path))
        if at_open:
            raise error
        return _FailingFile(open(path, mode, *args, **kwargs), error, good=10)

    monkeypatch.setattr(photo_store, "open", failing_open, raising=False)


def fail_cleanups(monkeypatch):
    """Make every removal of a file fail, as on a disk that went read-only meanwhile."""

    def failing_unlink(self, missing_ok=False):
        raise OSError(errno.EIO, os.strerror(errno.EIO), str(self))

    monkeypatch.setattr(photo_store.Path, "unlink", failing_unlink)


def assert_no_path_in(response, settings) -> None:
    body = response.get_data(as_text=True)
    assert str(settings.data_dir) not in body and ".part" not in body
    assert str(settings.data_dir.parent) not in body


@pytest.mark.parametrize(
    ("code", "at_open", "status", "kind"),
    [
        pytest.param(errno.ENOSPC, False, 507, "storage.full", id="ENOSPC"),
        pytest.param(errno.EDQUOT, False, 507, "storage.full", id="EDQUOT"),
        pytest.param(errno.EROFS, True, 503, "storage.unavailable", id="EROFS"),
        pytest.param(errno.EACCES, True, 503, "storage.unavailable", id="EACCES"),
        pytest.param(errno.EIO, False, 503, "storage.unavailable", id="EIO"),
    ],
)
def test_a_store_that_cannot_write_answers_its_own_error_and_keeps_nothing(
    client, product, store, engine, settings, monkeypatch, caplog, code, at_open, status, kind
):
    fail_store_writes(monkeypatch, code, at_open=at_open)
    with caplog.at_level(logging.ERROR, logger="xmlapi"):
        response = upload(client, product, images.jpeg((300, 200)))
    assert response.status_code == status, response.get_data(as_text=True)
    assert error_type(response) == kind
    assert ("Retry-After" in response.headers) == (status == 503)
    assert_no_path_in(response, settings)
    assert (files(store), count_photos(engine)) == (set(), 0)
    assert caplog.records and os.strerror(code) in caplog.records[0].getMessage()
    monkeypatch.undo()
    add_photo(client, product)  # once the disk is back, uploads work again


def test_a_scale_that_cannot_be_written_after_the_original_leaves_nothing(
    client, product, store, engine, monkeypatch
):
    fail_store_writes(monkeypatch, errno.ENOSPC, names="_256.")
    response = upload(client, product, images.jpeg((300, 200)))
    assert (response.status_code, error_type(response)) == (507, "storage.full")
    assert (files(store), count_photos(engine)) == (set(), 0)


def test_a_failed_cleanup_keeps_the_first_error_and_check_reports_the_orphans(
    client, product, store, engine, settings, check, monkeypatch, caplog
):
    fail_store_writes(monkeypatch, errno.ENOSPC, names="_512.")
    fail_cleanups(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="xmlapi"):
        response = upload(client, product, images.jpeg((300, 200)))
    monkeypatch.undo()
    assert (response.status_code, error_type(response)) == (507, "storage.full")
    assert_no_path_in(response, settings)
    assert count_photos(engine) == 0
    messages = [record.getMessage() for record in caplog.records]
    assert os.strerror(errno.ENOSPC) in messages[0]  # the first error, logged first
    left = {name for name, _pending in files(store)}
    assert len(left) == 2  # the original and the 512 scale, both still .part
    assert all(any(name in message for message in messages[1:]) for name in left)
    _age(store)
    report = check()
    assert report.exit_code == 1
    assert all(f"orphan: {name}.part" in report.output for name in left)
    assert check("--fix").exit_code == 0
    assert files(store) == set()


def test_no_answer_shows_a_path_of_the_store(client, product, settings, monkeypatch):
    answers = [
        upload(client, product, data)
        for data in (
            truncated_jpeg(),
            corrupt_png(),
            b"\xff\xd8\xff" + b"\x00" * 100,
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
            b"GIF89a" + b"\x00" * 100,
            b"RIFF\x00\x00\x00\x00WEBP" + b"\x00" * 100,
            images.jpeg()[:200],
        )
    ]
    assert {response.status_code for response in answers} == {415}
    photo_id = add_photo(client, product)
    for entry in list(photo_store.FileSystemStore(root=settings.data_dir / "photos").entries()):
        os.remove(settings.data_dir / "photos" / entry.name)
    answers.append(fetch(client, product, photo_id))
    assert answers[-1].status_code == 500
    for response in answers:
        assert_no_path_in(response, settings)


# Decode memory (issue 10, item 17) -------------------------------------------------------


def test_an_image_too_big_to_decode_is_413_from_its_header(client, product, store, engine):
    data = images.rgba16_png()  # 687 KB, 88 MP: under the pixel cap, 353 MB decoded
    assert len(data) < 700_000
    started = time.perf_counter()
    response = upload(client, product, data)
    assert time.perf_counter() - started < 1.5
    assert (response.status_code, error_type(response)) == (413, "image.too_large")
    assert "MB" in xml(response).findtext(".//message")
    assert (files(store), count_photos(engine)) == (set(), 0)


def test_the_decode_cap_is_a_setting(make_app, settings):
    data = images.png_with_alpha((200, 100))  # 80 000 bytes decoded (RGBA)
    tight = client_of(make_app(settings.replace(max_decode_bytes=79_999)))
    response = upload(tight, create_locked_product(tight, code="TIGHT"), data)
    assert (response.status_code, error_type(response)) == (413, "image.too_large")
    roomy = client_of(make_app(settings.replace(max_decode_bytes=80_000)))
    assert upload(roomy, create_locked_product(roomy, code="ROOMY"), data).status_code == 201


def test_a_large_jpeg_is_measured_at_the_size_it_is_decoded(make_app, settings):
    # 2400x1600 is 15 MB at full size; decoded reduced (1/2) for its 512 scale: 3.8 MB.
    tight = client_of(make_app(settings.replace(max_decode_bytes=4_000_000)))
    product = create_locked_product(tight, code="JPEG")
    response = upload(tight, product, images.jpeg((2400, 1600)))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert (
        scales_of(xml(response))["512"]["width"],
        scales_of(xml(response))["original"]["width"],
    ) == ("512", "2400")


def test_a_decode_waits_for_a_free_slot_then_answers_503(app, client, product, store, engine):
    slots = scales.DecodeSlots(1, wait=0.05)
    app.extensions["xmlapi.decode_limits"] = scales.DecodeLimits(slots=slots)
    with slots.held():
        response = upload(client, product, images.jpeg((300, 200)))
    assert (response.status_code, error_type(response)) == (503, "server.busy")
    assert int(response.headers["Retry-After"]) > 0
    assert (files(store), count_photos(engine)) == (set(), 0)
    add_photo(client, product)  # the slot is free again


def test_sixteen_bit_greyscale_scales_keep_their_shades(client, product):
    photo_id = add_photo(client, product, images.grey16_gradient_png(600, 300))
    scale = decoded(fetch(client, product, photo_id, "image/*;size=256")).convert("L")
    assert scale.size == (256, 128)
    row = [scale.getpixel((x, 64)) for x in range(256)]
    assert row[0] < 10 and row[-1] > 245
    assert abs(row[64] - 64) < 12 and abs(row[192] - 192) < 12
    assert len(set(row)) > 200  # a ramp, not a white sheet


def test_a_committed_upload_is_served_even_when_its_rename_cannot_be_finished(
    client, product, monkeypatch
):
    monkeypatch.setattr(photo_store.FileSystemStore, "publish", lambda self, names: None)
    data = images.jpeg()
    photo_id = add_photo(client, product, data)

    def read_only(*_args):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(photo_store.os, "replace", read_only)
    response = fetch(client, product, photo_id)
    assert (response.status_code, response.get_data()) == (200, data)
