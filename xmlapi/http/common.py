"""What every face's views use: settings, caches, stores, preconditions, the body."""

from __future__ import annotations

import re

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from xmlapi.catalog.photo_store import PhotoStore
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.scales import DecodeLimits
from xmlapi.http.cache import RenderCache
from xmlapi.settings import Settings


def settings() -> Settings:
    return current_app.extensions["xmlapi.settings"]


def renders() -> RenderCache:
    """Full renders of products, by product id."""
    return current_app.extensions["xmlapi.renders"]


def list_items() -> RenderCache:
    """Serialized list items of products, by product id."""
    return current_app.extensions["xmlapi.list_items"]


def photo_store() -> PhotoStore:
    return current_app.extensions["xmlapi.photo_store"]


def decode_limits() -> DecodeLimits:
    """This worker's photo decode limits and slots."""
    return current_app.extensions["xmlapi.decode_limits"]


def pricing() -> Pricing:
    current = settings()
    return Pricing(current.tax_inclusive, current.default_tax_rate)


def if_match() -> frozenset[str] | None:
    """The tags of the request's If-Match, None when it has none or ``*``. Compared
    strongly (RFC 9110 13.1.1): a weak tag matches nothing."""
    condition = request.if_match
    if not condition or condition.star_tag:
        return None
    return frozenset(condition.as_set())


def read_body() -> bytes:
    """The whole request body, or 413 when it is over the cap.

    A body with Content-Length is measured before reading. A chunked body is cut at the
    cap by werkzeug without an error, so one that fills the cap counts as too large.
    """
    data = request.get_data(cache=False)
    cap = request.max_content_length
    if cap is not None and request.content_length is None and len(data) >= cap:
        raise RequestEntityTooLarge()
    return data


# A time's "+HH:MM" sent unencoded in a query string arrives as " HH:MM" (form encoding
# reads "+" as a space); clients in the wild send it so.
_SPACED_OFFSET = re.compile(r"(T[0-9:.,]+) ([0-9]{2}(?::?[0-9]{2})?)\Z")


def query_time(raw: str) -> str:
    """A time from a query string, with the "+" of its UTC offset put back."""
    return _SPACED_OFFSET.sub(r"\1+\2", raw)
