"""The operator's endpoints: liveness, readiness, metrics. Public in the registry (no
session, no rate limit); /metrics has its own guard."""

from __future__ import annotations

import hmac
import logging
import os
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import text
from werkzeug.exceptions import Forbidden

from xmlapi import http
from xmlapi.http.common import settings
from xmlapi.http.endpoints import Endpoint
from xmlapi.http.faces import Face
from xmlapi.http.limits import RateLimits
from xmlapi.operating import metrics

bp = Blueprint("operating", __name__)
log = logging.getLogger(__name__)
LOOPBACK = {"127.0.0.1", "::1"}


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers; nothing else is asked."""
    return Response("ok\n", mimetype="text/plain")


@bp.get("/readyz")
def readyz() -> Response:
    """200 when the database and the photo store work, else 503 naming what is down.
    Redis failing shows as ``degraded``: the API goes on with per-process limits."""
    checks = {
        "database": _database(),
        "photo_store": _photo_store(),
        "redis": _redis(),
    }
    ready = checks["database"] == "ok" and checks["photo_store"] == "ok"
    response = jsonify(status="ready" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _database() -> str:
    try:
        with current_app.extensions["xmlapi.engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means not ready; the reason goes to the log
        log.warning("readiness: database check failed: %s", exc)
        return "down"
    return "ok"


def _photo_store() -> str:
    """The store's directory (or, before the first photo, the nearest directory above
    it, where the store will be made) may be written."""
    root = getattr(current_app.extensions["xmlapi.photo_store"], "root", None)
    if root is None:
        return "ok"
    target = Path(root).absolute()
    while not target.exists() and target != target.parent:
        target = target.parent
    if target.is_dir() and os.access(target, os.W_OK | os.X_OK):
        return "ok"
    log.warning("readiness: the photo store is missing or not writable")
    return "down"


def _redis() -> str:
    if not settings().ratelimit_storage.startswith(("redis://", "rediss://")):
        return "not configured"
    limits: RateLimits = current_app.extensions["xmlapi.limits"]
    if limits.storage.degraded():
        return "degraded"
    try:
        alive = limits.storage.primary.check()
    except Exception:  # a failing check is a degraded limit, not an unready service
        alive = False
    return "ok" if alive else "degraded"


@bp.get("/metrics", endpoint="metrics")
def metrics_view() -> Response:
    _check_metrics_access()
    with current_app.extensions["xmlapi.engine"].connect() as connection:
        body = metrics.exposition(connection)
    return Response(body, mimetype="text/plain; version=0.0.4; charset=utf-8")


def _check_metrics_access() -> None:
    """With XMLAPI_METRICS_TOKEN: that bearer token; without: loopback callers only."""
    token = settings().metrics_token
    if token:
        sent = request.headers.get("Authorization", "")
        scheme, _, value = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            value.strip().encode(), token.encode()
        ):
            raise Forbidden("Metrics need the bearer token XMLAPI_METRICS_TOKEN names.")
    elif request.remote_addr not in LOOPBACK:
        raise Forbidden("Metrics are served to loopback addresses only.")


# The operator's endpoints, outside /api and outside the index of the API.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "operating.healthz",
        "GET",
        "/healthz",
        "Liveness: the process answers",
        contract=False,
        public=True,
        prefix="",
    ),
    Endpoint(
        "operating.readyz",
        "GET",
        "/readyz",
        "Readiness: the database, the photo store and Redis (when configured)",
        contract=False,
        public=True,
        prefix="",
    ),
    Endpoint(
        "operating.metrics",
        "GET",
        "/metrics",
        "Prometheus metrics (XMLAPI_METRICS_TOKEN or loopback)",
        contract=False,
        public=True,
        prefix="",
    ),
)


def write_error(status, error_type, message, fields, headers) -> Response:
    """Errors of the operator's endpoints (and of paths no face claims) as JSON."""
    body = {"detail": message, "type": error_type, **({"fields": dict(fields)} if fields else {})}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers)
    return response


FACE = Face("operating", "", (bp,), ENDPOINTS, write_error)


def init_app(app: Flask) -> None:
    http.add_face(app, FACE)
