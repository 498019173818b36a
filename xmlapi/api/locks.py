"""LOCK and UNLOCK, and the lock check every write under a product goes through."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, request
from lxml import etree

from xmlapi import endpoints
from xmlapi.api.auth import current_identity
from xmlapi.api.common import settings, xml_response
from xmlapi.catalog import locks
from xmlapi.db import get_session, release_connection

bp = Blueprint("locks", __name__)


def _ttl() -> dt.timedelta:
    return dt.timedelta(seconds=settings().lock_seconds)


@bp.route("/products/<int:product_id>/", methods=["LOCK"], endpoint="lock")
def lock(product_id: int) -> Response:
    held = locks.acquire(get_session(), product_id, current_identity().id, _ttl())
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


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def claim_locks() -> None:
    """Before every write: state the caller's claim on the request's session, so the
    catalog checks the locks of every product the write changes when it commits.

    An endpoint the registry marks ``requires_lock`` needs the lock of the product in its
    URL; that is also checked now, so a write without it is refused (428/423) before its
    document is parsed. The reads of authentication end their transaction first: the
    write and its answer must not see a snapshot taken before it.
    """
    if request.method in SAFE_METHODS:
        return
    release_connection()
    entry = endpoints.lookup(request.endpoint, request.method)
    if entry is None:
        return
    identity = current_identity()
    product_id = request.view_args["product_id"] if entry.requires_lock else None
    session = get_session()
    if product_id is not None:
        locks.require(session, product_id, identity.id, _ttl())
    locks.claim(session, locks.Claim(identity.id, _ttl(), product_id))
