"""Product photos: their rows (add, update, delete, get) and opening their scales.

How the bytes are kept is photo_store's business; how scales are made, scales'.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from xmlapi.catalog import products, writes
from xmlapi.catalog.errors import (
    NotFound,
    PhotoFileMissing,
    RuleBroken,
    UnsupportedImage,
)
from xmlapi.catalog.photo_store import PhotoStore, StoredFile, Written
from xmlapi.catalog.scales import NO_SLOTS, RENDITIONS, DecodeLimits, make_scales, sniff

__all__ = ["RENDITIONS"]
from xmlapi.models import PhotoScale, ProductPhoto
from xmlapi.models.products import stamp

log = logging.getLogger(__name__)

# The scales every photo has, in the contract's order.
SIZES = ("512", "256", "original")
BOXES = {"512": 512, "256": 256}
# Our format names (what <format> shows) for each image type we take, found by the bytes.
MEDIA_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp", "avif": "avif"}
SOURCE_NAME_LENGTH = 1023


# Rows ---------------------------------------------------------------------------------


def _new_name(size: str, fmt: str, token: str) -> str:
    return f"{token[:2]}/{token}_{size}.{EXTENSIONS[fmt]}"


def _peek(chunks: Iterable[bytes], length: int) -> tuple[bytes, Iterator[bytes]]:
    """The first ``length`` bytes of ``chunks``, and all of them again."""
    iterator, head = iter(chunks), b""
    taken: list[bytes] = []
    for chunk in iterator:
        taken.append(chunk)
        head += chunk
        if len(head) >= length:
            break
    return head[:length], itertools.chain(taken, iterator)


def add(
    session: Session,
    store: PhotoStore,
    product_id: int,
    body: Iterable[bytes],
    *,
    source_name: str | None = None,
    limits: DecodeLimits = NO_SLOTS,
) -> ProductPhoto:
    """Store an uploaded image and its scales as the product's last photo; commits.

    Raises NotFound, UnsupportedImage (not a JPEG, PNG, GIF or WebP we can read),
    ImageTooLarge, DecoderBusy, StorageFull, StorageUnavailable and RuleBroken (a source
    name over 1023 characters); whatever reading ``body`` raises passes through. Nothing
    is left behind on any failure (a file that cannot be removed is logged).
    """
    product = products.get_plain(session, product_id)
    # No transaction stays open while the body arrives and the scales are made.
    session.commit()
    if source_name is not None and len(source_name) > SOURCE_NAME_LENGTH:
        raise RuleBroken(
            "The Content-Location is too long to keep as the photo's source name.",
            {"Content-Location": f"At most {SOURCE_NAME_LENGTH} characters."},
        )
    head, body = _peek(body, 12)
    kind = sniff(head)
    if kind is None:
        raise UnsupportedImage(
            "The request body is empty; send the image's bytes."
            if not head
            else "Not a JPEG, PNG, GIF or WebP image; send the image's raw bytes as the body."
        )
    token = secrets.token_hex(16)
    written: list[str] = []
    try:
        photo = _write_photo(session, store, product, body, kind, token, written, limits)
        photo.source_name = source_name
        stamp(product)
        store.stage_writes(session, written)
        writes.commit(session)
    except BaseException:
        _undo(session, store, written)
        raise
    store.publish(written)
    return photo


def _undo(session: Session, store: PhotoStore, written: list[str]) -> None:
    """Roll back a failed upload and remove its files; a failure here is logged and
    never replaces the error that made the upload fail."""
    try:
        session.rollback()
    except Exception:
        log.exception("rollback after a failed photo upload failed")
    store.discard(written)


def _write_photo(
    session: Session,
    store: PhotoStore,
    product: Any,
    body: Iterable[bytes],
    kind: str,
    token: str,
    written: list[str],
    limits: DecodeLimits,
) -> ProductPhoto:
    """Write the original and its scales under temporary names (each name is added to
    ``written`` once it is on disk) and add the photo's rows to the session."""
    original = _new_name("original", kind, token)
    saved = store.write(original, body)
    written.append(original)
    started = time.perf_counter()
    with store.read_pending(original) as stream:
        picture = make_scales(stream, kind, limits=limits)
    elapsed = time.perf_counter() - started
    log.debug("scales of a %d-byte %s made in %.3fs", saved.size, kind, elapsed)
    rows = []
    for scaled in [*picture.scales, *picture.renditions]:
        name = _new_name(scaled.size, scaled.format, token)
        stored = store.write(name, [scaled.data])
        written.append(name)
        rows.append(_scale_row(scaled.size, name, scaled.format, scaled, stored))
    rows.append(_scale_row("original", original, kind, picture, saved))
    last = session.scalar(
        select(func.max(ProductPhoto.sort_order)).where(ProductPhoto.product_id == product.id)
    )
    photo = ProductPhoto(product_id=product.id, sort_order=0 if last is None else last + 1)
    photo.scales = rows
    session.add(photo)
    return photo


def _scale_row(size: str, name: str, fmt: str, image: Any, stored: Written) -> PhotoScale:
    return PhotoScale(
        size=size,
        filename=name,
        format=fmt,
        width=image.width,
        height=image.height,
        byte_size=stored.size,
        digest=stored.digest,
    )


def photos_of(session: Session, product_id: int) -> list[ProductPhoto]:
    """The product's photos with their scales, in sort order; raises NotFound."""
    products.get_plain(session, product_id)
    return list(
        session.scalars(
            select(ProductPhoto)
            .where(ProductPhoto.product_id == product_id)
            .options(selectinload(ProductPhoto.scales))
            .order_by(ProductPhoto.sort_order, ProductPhoto.id)
        )
    )


def get(session: Session, product_id: int, photo_id: int) -> ProductPhoto:
    """A photo of the product with its scales; raises NotFound."""
    photo = session.scalar(
        select(ProductPhoto)
        .where(ProductPhoto.id == photo_id, ProductPhoto.product_id == product_id)
        .options(selectinload(ProductPhoto.scales))
        .execution_options(populate_existing=True)
    )
    if photo is None:
        raise NotFound(f"Product {product_id} has no photo with id {photo_id}.")
    return photo


def update(
    session: Session, product_id: int, photo_id: int, changes: Mapping[str, Any]
) -> ProductPhoto:
    """Change the photo's ``sort_order`` when ``changes`` carries it; commits."""
    photo = get(session, product_id, photo_id)
    if "sort_order" in changes:
        photo.sort_order = changes["sort_order"]
        stamp(products.get_plain(session, product_id))
    writes.commit(session)
    return photo


def delete(session: Session, store: PhotoStore, product_id: int, photo_id: int) -> None:
    """Delete the photo, then its files once the delete has committed."""
    photo = get(session, product_id, photo_id)
    names = [scale.filename for scale in photo.scales]
    session.delete(photo)
    stamp(products.get_plain(session, product_id))
    store.stage_deletes(session, names)
    writes.commit(session)
    store.delete(names)


# Asked for every image fetched: a prebuilt Core statement returning a plain row.
_SCALE = (
    select(
        PhotoScale.photo_id,
        PhotoScale.size,
        PhotoScale.filename,
        PhotoScale.format,
        PhotoScale.digest,
    )
    .join(ProductPhoto, PhotoScale.photo_id == ProductPhoto.id)
    .where(
        ProductPhoto.id == bindparam("photo_id"),
        ProductPhoto.product_id == bindparam("product_id"),
        PhotoScale.size == bindparam("size"),
    )
)


def scale_of(
    connection: Connection,
    product_id: int,
    photo_id: int,
    size: str,
    formats: Iterable[str] = (),
) -> Row:
    """The scale ``size`` of a photo of the product (photo_id, size, filename, format,
    digest): in the first of ``formats`` (renditions a client takes, best first) it has,
    else as stored; raises NotFound."""
    rows = connection.execute(
        _SCALE, {"photo_id": photo_id, "product_id": product_id, "size": size}
    ).all()
    if not rows:
        raise NotFound(f"Product {product_id} has no photo with id {photo_id}.")
    by_format = {row.format: row for row in rows}
    for fmt in formats:
        if fmt in by_format and size in BOXES:
            return by_format[fmt]
    return next(row for row in rows if not is_rendition(row))


def is_rendition(scale: Any) -> bool:
    """Whether a scale row is a WebP or AVIF rendition (not in the contract's scales)."""
    return scale.size in BOXES and scale.format in ("avif", "webp")


def open_scale(store: PhotoStore, scale: Row) -> StoredFile:
    """The scale's file, open; raises PhotoFileMissing (and logs it) when it is gone."""
    try:
        return store.open(scale.filename, scale.digest)
    except FileNotFoundError:
        log.error(
            "PHOTO FILE MISSING: photo %s scale %s names %s, which the store does not have; "
            "run `xmlapi check`",
            scale.photo_id,
            scale.size,
            scale.filename,
        )
        raise PhotoFileMissing(
            f"The file of photo {scale.photo_id} ({scale.size}) is missing; this was logged."
        ) from None
