"""Product photos: raw uploads, their details, and their images by ``Accept`` size.

The contract links a photo from the product's detail as ``/products/X/images/Y/`` and
from everywhere else as ``/products/X/product_photos/Y/``; clients follow either (and
``{uri}image/``), so both paths serve the same views.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, request
from werkzeug.http import parse_options_header

from xmlapi.catalog import photos, reads
from xmlapi.db import get_session
from xmlapi.faces.legacy import payloads, uris
from xmlapi.faces.legacy.common import parse_edit_body, xml_response
from xmlapi.faces.legacy.xml import chars, render
from xmlapi.http import images
from xmlapi.http.common import photo_store

bp = Blueprint("photos", __name__)

PHOTOS = "/products/<int:product_id>/product_photos/"
PHOTO = PHOTOS + "<int:photo_id>/"
IMAGE = "/products/<int:product_id>/images/<int:photo_id>/"
READ_ONLY = ("scales", "source_name")


@bp.post("/products/<int:product_id>/add_product_photo/", endpoint="add")
def add(product_id: int) -> Response:
    photo = images.add_photo(product_id, _source_name())
    return xml_response(
        render.product_photo(reads.photo_of(photo)),
        201,
        Location=uris.location(uris.photo(product_id, photo.id)),
    )


def _source_name() -> str | None:
    """Content-Location as sent; raw UTF-8 (which WSGI hands over as Latin-1) is read
    as UTF-8. A name XML cannot carry is refused (422) before anything is stored."""
    value = request.headers.get("Content-Location", "").strip()
    if not value:
        return None
    value = _as_utf8(value)
    position = chars.first_unwritable(value)
    if position is not None:
        raise payloads.PayloadError(
            {
                "Content-Location": f"Character {position + 1} (U+{ord(value[position]):04X}) "
                "cannot be written in XML; send the name without it."
            }
        )
    return value


def _as_utf8(value: str) -> str:
    """A header's raw bytes read as UTF-8 when they are UTF-8; as sent otherwise."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


@bp.get(PHOTOS, endpoint="list")
def list_photos(product_id: int) -> Response:
    return xml_response(render.product_photos(reads.photo_list(get_session(), product_id)))


@bp.get(PHOTO, endpoint="detail")
@bp.get(IMAGE, endpoint="image_detail")
def detail(product_id: int, photo_id: int) -> Response:
    return xml_response(render.product_photo(reads.photo(get_session(), product_id, photo_id)))


@bp.put(PHOTO, endpoint="update")
@bp.put(IMAGE, endpoint="image_update")
def update(product_id: int, photo_id: int) -> Response:
    edit = parse_edit_body("product_photo", READ_ONLY, lambda: _render(product_id, photo_id))
    changes = payloads.load_product_photo(edit.root, edit.stored)
    photo = photos.update(get_session(), product_id, photo_id, changes)
    return xml_response(render.product_photo(reads.photo_of(photo)))


@bp.delete(PHOTO, endpoint="delete")
@bp.delete(IMAGE, endpoint="image_delete")
def delete(product_id: int, photo_id: int) -> Response:
    """204: the contract says DELETE has no XML response."""
    photos.delete(get_session(), photo_store(), product_id, photo_id)
    return Response(status=204)


@bp.get(PHOTO + "image/", endpoint="image")
@bp.get(IMAGE + "image/", endpoint="image_image")
def image(product_id: int, photo_id: int) -> Response:
    """The scale ``Accept: image/*;size=N`` names (the original otherwise), streamed."""
    accept = request.headers.get("Accept")
    return images.image_response(
        product_id, photo_id, requested_size(accept), modern_formats(accept)
    )


# Accept is read here, not through werkzeug's request.accept_mimetypes, which cannot
# carry the size: its MIMEAccept keeps a range's parameters only inside the value's text,
# and its matching ignores them on a wildcard range (image/*;size=512 accepts
# image/jpeg;size=256 at q=1, so best_match picks whichever size is offered first). It
# also orders ranges by specificity before quality, and drops a range whose q is
# malformed, where this parser keeps the first listed of equal quality and reads a
# malformed q as 1. tests/test_photos.py shows each case.


def _ranges(accept: str | None) -> Iterator[tuple[str, dict[str, str]]]:
    """The media ranges of an Accept header, in the order sent, with their parameters."""
    for item in (accept or "").split(","):
        yield parse_options_header(item)


def requested_size(accept: str | None) -> str:
    """The scale an Accept header asks for: the ``size`` parameter of its most preferred
    image range that names one we keep (the first listed of equal quality);
    ``original`` when none does."""
    best, best_quality = "original", 0.0
    for media_type, params in _ranges(accept):
        size = params.get("size")
        if size not in photos.SIZES or not media_type.lower().startswith(("image/", "*/*")):
            continue
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 1.0
        if quality > best_quality:
            best, best_quality = size, quality
    return best


def modern_formats(accept: str | None) -> list[str]:
    """The renditions an Accept header names outright (``image/avif``, ``image/webp``,
    not refused with q=0), best first; ``image/*`` names none: legacy clients get the
    stored format."""
    named = set()
    for media_type, params in _ranges(accept):
        if params.get("q", "1").strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        named.add(media_type.lower())
    return [fmt for fmt in photos.RENDITIONS if photos.MEDIA_TYPES[fmt] in named]


def _render(product_id: int, photo_id: int):
    return render.product_photo(reads.photo(get_session(), product_id, photo_id))
