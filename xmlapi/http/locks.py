"""Lock claims: every write states who writes and which product's lock it needs."""

from __future__ import annotations

import datetime as dt

from flask import request

from xmlapi.catalog import locks
from xmlapi.db import get_session, release_connection
from xmlapi.http import endpoints
from xmlapi.http.auth import current_identity
from xmlapi.http.common import settings
from xmlapi.http.scope import current_scope


def lock_ttl() -> dt.timedelta:
    return dt.timedelta(seconds=settings().lock_seconds)


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
    if entry is None or entry.public:  # a public write (signing in) changes no product
        return
    identity = current_identity()
    product_id = request.view_args["product_id"] if entry.requires_lock else None
    session = get_session()
    if product_id is not None:
        locks.require(session, product_id, identity.id, lock_ttl())
    # The request's organization: the URL's in the JSON faces, else the caller's own.
    claim = locks.Claim(identity.id, lock_ttl(), product_id, current_scope().organization_id)
    locks.claim(session, claim)
