"""Rate limits: one budget per user across the whole API, and a much smaller one for
failed logins per address. Every answer says how much budget is left
(X-RateLimit-Limit, -Remaining, -Reset); a 429 says when to come back (Retry-After)."""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from limits import parse
from werkzeug.exceptions import TooManyRequests

from xmlapi.api.common import settings

FAILED_LOGINS = "failed-login"


def _caller() -> str:
    identity = g.get("identity")
    return f"user:{identity.user_id}" if identity is not None else f"addr:{request.remote_addr}"


def _limiter() -> Limiter:
    return current_app.extensions["xmlapi.limiter"]


def check_failed_logins() -> None:
    """429 when this address has failed to log in too often lately."""
    limit = parse(settings().ratelimit_failed_login)
    strategy = _limiter().limiter
    if not strategy.test(limit, FAILED_LOGINS, request.remote_addr or ""):
        reset, _remaining = strategy.get_window_stats(
            limit, FAILED_LOGINS, request.remote_addr or ""
        )
        raise TooManyRequests(
            "Too many failed logins from this address; try again later.",
            retry_after=max(1, math.ceil(reset - time.time())),
        )


def count_failed_login() -> None:
    limit = parse(settings().ratelimit_failed_login)
    _limiter().limiter.hit(limit, FAILED_LOGINS, request.remote_addr or "")


def init_app(app: Flask, prefix: str) -> None:
    current = app.extensions["xmlapi.settings"]
    limiter = Limiter(
        _caller,
        app=app,
        storage_uri=current.ratelimit_storage,
        application_limits=[current.ratelimit_default],
        application_limits_exempt_when=lambda: not request.path.startswith(prefix),
        headers_enabled=True,
        strategy="fixed-window",
        key_prefix="xmlapi",
    )
    app.extensions["xmlapi.limiter"] = limiter
