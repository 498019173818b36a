"""A photo's scale as an answer, for any face: streamed from the photo store with its
ETag and cache headers; 304 when the client's copy is current."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Response, request
from werkzeug.wsgi import wrap_file

from xmlapi.catalog import photos
from xmlapi.db import get_connection, get_session
from xmlapi.http.common import decode_limits, photo_store, settings
from xmlapi.http.memory import remembered
from xmlapi.models import ProductPhoto

CHUNK = 64 * 1024

# Scales of a photo never change, but a deleted photo's id can come back (SQLite reuses
# the highest id), so caches keep an image briefly and then revalidate by ETag.
IMAGE_MAX_AGE = 300


def image_response(
    product_id: int, photo_id: int, size: str, formats: Iterable[str] = ()
) -> Response:
    """Scale ``size`` of the photo (in the first of ``formats`` it has), streamed."""
    formats = tuple(formats)
    scale = remembered(
        ("scale", product_id, photo_id, size, formats),
        lambda: photos.scale_of(get_connection(), product_id, photo_id, size, formats),
    )
    if request.if_none_match.contains_weak(scale.digest):
        return _image_headers(Response(status=304), scale)  # the file is not even opened
    stored = photos.open_scale(photo_store(), scale)
    response = Response(wrap_file(request.environ, stored.stream), direct_passthrough=True)
    response.content_length = stored.size
    _image_headers(response, scale)
    return response.make_conditional(request, accept_ranges=True, complete_length=stored.size)


def _image_headers(response: Response, scale) -> Response:
    response.mimetype = photos.MEDIA_TYPES[scale.format]
    response.set_etag(scale.digest)
    response.cache_control.private = True
    response.cache_control.max_age = IMAGE_MAX_AGE
    response.vary.add("Accept")
    return response


def add_photo(product_id: int, source_name: str | None) -> ProductPhoto:
    """The request's raw bytes as a new photo of the product (committed). Photos may be
    far larger than documents: this request gets the photo cap."""
    request.max_content_length = settings().max_photo_bytes
    return photos.add(
        get_session(),
        photo_store(),
        product_id,
        _body(),
        source_name=source_name,
        limits=decode_limits(),
    )


def _body() -> Iterator[bytes]:
    """The request body in chunks, never whole in memory. werkzeug answers 413 for a
    Content-Length over the cap, and for a chunked body once it has passed the cap."""
    stream = request.stream
    while chunk := stream.read(CHUNK):
        yield chunk
