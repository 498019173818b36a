"""Editing a product from its page: take the lock, edit, save (or cancel), which
releases it; photos added as raw bytes, reordered and deleted under the lock. Writes
go through the catalog, with the same rules, lock checks and version stamps as the API."""

from __future__ import annotations

import contextlib
import unicodedata
from urllib.parse import unquote

from flask import Blueprint, Response, request

from xmlapi.catalog import edits, locks, photos, reads
from xmlapi.catalog.errors import LockNotHeld
from xmlapi.catalog.vocabulary import WRITABLE_FLAGS
from xmlapi.db import get_session
from xmlapi.faces.pages.common import page, see_other
from xmlapi.faces.pages.forms import FormInvalid, load_edit, load_sort_order
from xmlapi.http import images
from xmlapi.http.auth import current_identity
from xmlapi.http.common import photo_store, pricing
from xmlapi.http.locks import lock_ttl

bp = Blueprint("pages_edit", __name__)

PRODUCT = "/products/<int:product_id>/"
PHOTO = PRODUCT + "photos/<int:photo_id>/"
MAX_SOURCE_NAME = 255


def _product_page(product_id: int) -> str:
    return f"/catalog/products/{product_id}/"


@bp.post(PRODUCT + "lock/", endpoint="lock")
def take_lock(product_id: int) -> Response:
    """Start editing; another session's lock answers 423 with its holder and expiry."""
    locks.acquire(get_session(), product_id, current_identity().id, lock_ttl())
    return see_other(_product_page(product_id) + "edit/")


@bp.post(PRODUCT + "lock/renew/", endpoint="renew")
def renew(product_id: int) -> Response:
    """The page's script calls this while the form is open: the registry entry's lock
    check has renewed the lock already."""
    return Response(status=204)


@bp.post(PRODUCT + "unlock/", endpoint="unlock")
def unlock(product_id: int) -> Response:
    """Cancel: release the lock (one that expired meanwhile is nobody's already)."""
    with contextlib.suppress(LockNotHeld):
        locks.release(get_session(), product_id, current_identity().id)
    return see_other(_product_page(product_id))


@bp.get(PRODUCT + "edit/", endpoint="form")
def edit_form(product_id: int) -> Response:
    """The form, while this session holds the lock; the product's page otherwise."""
    session = get_session()
    product = reads.product_detail(session, product_id, pricing())
    lock = reads.lock_state(session, product_id, current_identity().id)
    if lock is None or not lock.mine:
        return see_other(_product_page(product_id))
    return page(
        "edit.html",
        product=product,
        photos=reads.photo_list(session, product_id),
        lock=lock,
        flags=[(flag, getattr(product, flag)) for flag in WRITABLE_FLAGS],
    )


@bp.post(PRODUCT + "edit/", endpoint="save")
def save(product_id: int) -> Response:
    session = get_session()
    serialized = reads.product_detail(session, product_id, pricing()).serialized
    changes, stock = load_edit(request.form, serialized)
    edits.update_with_stock(session, product_id, changes, stock, pricing())
    locks.release(session, product_id, current_identity().id)
    return see_other(_product_page(product_id))


@bp.post(PRODUCT + "photos/", endpoint="add_photo")
def add_photo(product_id: int) -> Response:
    """The raw image bytes, as the API's add_product_photo takes them."""
    photo = images.add_photo(product_id, _source_name())
    location = f"/catalog/products/{product_id}/photos/{photo.id}/image/"
    return Response(status=201, headers={"Location": location})


def _source_name() -> str | None:
    """The file's name, sent percent-encoded in Content-Location (headers are Latin-1)."""
    name = unquote(request.headers.get("Content-Location", "")).strip()
    if len(name) > MAX_SOURCE_NAME or any(unicodedata.category(c) in {"Cc", "Cs"} for c in name):
        raise FormInvalid(
            {"file": f"A file name of at most {MAX_SOURCE_NAME} printable characters."}
        )
    return name or None


@bp.post(PHOTO + "order/", endpoint="order_photo")
def order_photo(product_id: int, photo_id: int) -> Response:
    changes = {"sort_order": load_sort_order(request.form)}
    photos.update(get_session(), product_id, photo_id, changes)
    return see_other(_product_page(product_id) + "edit/")


@bp.post(PHOTO + "delete/", endpoint="delete_photo")
def delete_photo(product_id: int, photo_id: int) -> Response:
    photos.delete(get_session(), photo_store(), product_id, photo_id)
    return see_other(_product_page(product_id) + "edit/")
