"""Photos kept in the database (XMLAPI_PHOTO_STORE=postgresql) through HTTP, `xmlapi check`
on that store, and `xmlapi photos move` between the stores."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from tests import images
from tests.conftest import client_of
from tests.helpers import create_locked_product
from tests.test_photos import (
    FILES_PER_PHOTO,
    PHOTO_CAP,
    _fail_photo_commits,
    add_photo,
    fetch,
    upload,
)
from xmlapi.cli import main
from xmlapi.db import session_scope
from xmlapi.models import PhotoBlob, PhotoScale, ProductPhoto
from xmlapi.settings import Settings


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        max_photo_bytes=PHOTO_CAP,
        photo_store="postgresql",
    )


@pytest.fixture
def product(client) -> int:
    return create_locked_product(client, code="MUG")


def blob_names(engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.scalars(select(PhotoBlob.name).distinct()))


def row_names(engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.scalars(select(PhotoScale.filename)))


def test_a_photo_lives_in_the_database_whole_and_is_served_from_there(
    client, product, engine, settings
):
    data = images.jpeg((900, 600))
    photo_id = add_photo(client, product, data)
    assert blob_names(engine) == row_names(engine)
    assert not (settings.data_dir / "photos").exists()  # nothing in the file store
    response = fetch(client, product, photo_id)
    assert response.status_code == 200
    assert response.get_data() == data
    assert response.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    small = fetch(client, product, photo_id, "image/*;size=256")
    assert small.headers["Content-Type"] == "image/jpeg"
    assert small.content_length == len(small.get_data())


def test_a_deleted_photo_takes_its_bytes_with_it_in_the_same_commit(client, product, engine):
    first, second = add_photo(client, product), add_photo(client, product, images.png_with_alpha())
    assert client.delete(f"/api/products/{product}/product_photos/{first}/").status_code == 204
    assert fetch(client, product, first).status_code == 404
    assert blob_names(engine) == row_names(engine) != set()
    assert client.delete(f"/api/products/{product}/").status_code == 200
    assert fetch(client, product, second).status_code == 404
    assert blob_names(engine) == set()


def test_an_upload_that_fails_at_its_commit_leaves_no_byte_behind(
    client, product, engine, settings
):
    event.listen(Session, "before_commit", _fail_photo_commits)
    try:
        assert upload(client, product, images.jpeg()).status_code == 500
    finally:
        event.remove(Session, "before_commit", _fail_photo_commits)
    assert blob_names(engine) == set()
    assert row_names(engine) == set()
    assert not list((settings.data_dir / "photo-cache" / "tmp").iterdir())  # spool gone


def test_an_unreadable_upload_stores_nothing(client, product, engine, settings):
    response = upload(client, product, b"\xff\xd8\xff" + b"not really a jpeg" * 10)
    assert response.status_code == 415
    assert blob_names(engine) == set()
    assert not list((settings.data_dir / "photo-cache" / "tmp").iterdir())


def test_a_cold_cache_reads_the_database_and_a_warm_one_does_not(
    app, client, product, engine, settings
):
    data = images.png_with_alpha()
    photo_id = add_photo(client, product, data)
    cache = app.extensions["xmlapi.photo_store"].cache
    digest = hashlib.sha256(data).hexdigest()
    cache.path(digest).unlink()  # as on another host
    assert fetch(client, product, photo_id).get_data() == data
    assert cache.path(digest).read_bytes() == data
    with engine.begin() as connection:  # the cached copy is what a warm read serves
        connection.execute(update(PhotoBlob).values(data=b""))
    assert fetch(client, product, photo_id).get_data() == data


def cli(settings: Settings, *args: str, store: str | None = None):
    env = {
        "XMLAPI_DATABASE_URL": settings.database_url,
        "XMLAPI_DATA_DIR": str(settings.data_dir),
        "XMLAPI_PHOTO_STORE": store or settings.photo_store,
    }
    return CliRunner().invoke(main, list(args), env=env)


def test_check_covers_the_database_store(client, product, engine, settings):
    add_photo(client, product)
    assert cli(settings, "check").exit_code == 0
    lost = sorted(blob_names(engine))[0]
    with engine.begin() as connection:
        connection.execute(PhotoBlob.__table__.delete().where(PhotoBlob.name == lost))
        connection.execute(
            PhotoBlob.__table__.insert().values(name="zz/orphan.jpg", chunk=0, data=b"x")
        )
    result = cli(settings, "check", "--fix")
    assert result.exit_code == 1
    assert f"{lost} is missing from the store" in result.output
    assert "removed 1 orphan files" in result.output
    assert "zz/orphan.jpg" not in blob_names(engine)


def test_move_copies_every_photo_verified_and_resumes(make_app, engine, settings, tmp_path):
    file_settings = settings.replace(photo_store="file")
    writer = client_of(make_app(file_settings))
    product = create_locked_product(writer, code="MOVE")
    photos = {
        add_photo(writer, product, data): data for data in (images.jpeg(), images.png_with_alpha())
    }
    assert blob_names(engine) == set()

    moved = cli(settings, "photos", "move", "--to", "postgresql")
    assert moved.exit_code == 0, moved.output
    assert f"{2 * FILES_PER_PHOTO} copied, 0 already there" in moved.output
    assert blob_names(engine) == row_names(engine)
    again = cli(settings, "photos", "move", "--to", "postgresql")
    assert f"0 copied, {2 * FILES_PER_PHOTO} already there" in again.output

    # Another host on the database store serves them the same, ETags included.
    other = client_of(make_app(settings.replace(data_dir=tmp_path / "other")))
    for photo_id, data in photos.items():
        old, new = fetch(writer, product, photo_id), fetch(other, product, photo_id)
        assert new.get_data() == data
        assert new.headers["ETag"] == old.headers["ETag"]
    assert cli(settings, "check").exit_code == 0
    assert cli(settings, "check", "--store", "file").exit_code == 0


def test_move_refuses_bytes_that_do_not_match_their_digest(make_app, engine, settings, tmp_path):
    writer = client_of(make_app(settings))
    product = create_locked_product(writer, code="MOVE")
    add_photo(writer, product)
    with engine.begin() as connection:
        connection.execute(
            update(PhotoBlob).where(PhotoBlob.name.like("%_256.jpg")).values(data=b"rot")
        )
    back = settings.replace(data_dir=tmp_path / "back")
    result = cli(back, "photos", "move", "--to", "file")
    assert result.exit_code == 1
    assert "do not match the row's digest" in result.output
    assert f"{FILES_PER_PHOTO - 1} copied" in result.output
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ProductPhoto)) == 1
    copied = list((back.data_dir / "photos").rglob("*_*.*"))
    assert len(copied) == FILES_PER_PHOTO - 1  # no .part left
