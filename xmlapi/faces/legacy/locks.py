"""LOCK and UNLOCK of a product."""

from __future__ import annotations

from flask import Blueprint, Response
from lxml import etree

from xmlapi.catalog import locks
from xmlapi.db import get_session
from xmlapi.faces.legacy.common import xml_response
from xmlapi.http.auth import current_identity
from xmlapi.http.common import settings
from xmlapi.http.locks import lock_ttl

bp = Blueprint("locks", __name__)


@bp.route("/products/<int:product_id>/", methods=["LOCK"], endpoint="lock")
def lock(product_id: int) -> Response:
    held = locks.acquire(get_session(), product_id, current_identity().id, lock_ttl())
    element = etree.Element("lock", acquired="true")
    element.text = "Lock Acquired"
    # As WebDAV (RFC 4918) answers a LOCK, so generic HTTP tooling understands it.
    return xml_response(
        element, **{"Lock-Token": f"<{held.token}>", "Timeout": f"Second-{settings().lock_seconds}"}
    )


@bp.route("/products/<int:product_id>/", methods=["UNLOCK"], endpoint="unlock")
def unlock(product_id: int) -> Response:
    locks.release(get_session(), product_id, current_identity().id)
    element = etree.Element("lock", released="true")
    element.text = "Unlocked"
    return xml_response(element)
