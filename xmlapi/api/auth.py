"""Who is calling: HTTP Basic credentials open a session, its cookie carries it on.

A request with a live ``LS_SERVER_SESSION_ID`` cookie is authenticated by it without
rehashing any password, even when Basic credentials of the same user come along (as
legacy clients send them on every request). Credentials of another user win over the
cookie and open a new session.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import Forbidden, Unauthorized

from xmlapi import endpoints
from xmlapi.api import limits
from xmlapi.api.common import settings
from xmlapi.catalog import auth
from xmlapi.catalog.auth import SessionInfo
from xmlapi.db import get_connection, get_session

COOKIE = "LS_SERVER_SESSION_ID"


class AuthenticationFailed(Unauthorized):
    """401 carrying the ``WWW-Authenticate: Basic realm="xmlapi"`` challenge."""

    def get_headers(self, environ=None, scope=None):
        # werkzeug's WWWAuthenticate would leave the realm unquoted.
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", 'Basic realm="xmlapi"')]


def current_identity() -> SessionInfo:
    return g.identity


def authenticate() -> None:
    """Before every /api request: find or open the caller's session, or answer 401."""
    if not request.path.startswith(current_app.extensions["xmlapi.api_prefix"]):
        return
    idle = dt.timedelta(seconds=settings().session_idle_seconds)
    credentials = request.authorization
    token = request.cookies.get(COOKIE)
    connection = get_connection()
    info = auth.find_session(connection, token) if token else None
    if info is not None and (credentials is None or credentials.username == info.user_name):
        _check_app_of_session(info)
        auth.touch(connection, info, idle, every=min(dt.timedelta(seconds=60), idle / 10))
        g.identity = info
        return
    if credentials is None or credentials.type != "basic" or credentials.username is None:
        raise AuthenticationFailed(
            "Authentication required: send HTTP Basic credentials or a session cookie."
        )
    limits.check_failed_logins()
    db = get_session()  # only logins need the ORM; a cookie's request never opens one
    user = auth.authenticate(db, credentials.username, credentials.password or "")
    if user is None:
        limits.count_failed_login()
        raise AuthenticationFailed("Wrong user name or password.")
    app_id, app = _check_app_of_login()
    token, info = auth.open_session(db, user, app, app_id, idle)
    g.identity = info
    g.new_session_token = token


def _app_id() -> str | None:
    agent = request.headers.get("User-Agent", "")
    app_id = agent.split("/", 1)[0].strip()
    return app_id or None


def _private_id() -> str | None:
    # gunicorn (header_map = dangerous) and werkzeug both file X_PAPPID under the same
    # key as X-PAPPID.
    return request.headers.get("X-PAPPID")


def _check_app_of_login():
    app_id = _app_id()
    if not settings().require_registered_apps:
        return app_id, None
    app = auth.check_app(get_session(), app_id, _private_id())
    if app is None:
        limits.count_failed_login()
        raise AuthenticationFailed(
            "Unknown application: send User-Agent: {app id}/{version} and the app's "
            "private id in X-PAPPID."
        )
    return app_id, app


def _check_app_of_session(info: SessionInfo) -> None:
    # The app was proven when the session opened; later requests must come from it.
    if settings().require_registered_apps and _app_id() != info.app_id:
        raise AuthenticationFailed("This session belongs to another application.")


def authorize() -> None:
    """Before every /api request, after authentication: read-only callers only read."""
    entry = endpoints.lookup(request.endpoint, request.method)
    identity = g.get("identity")
    if entry is None or identity is None:
        return
    if entry.writes and identity.read_only:
        raise Forbidden("This user or application may only read.")


def set_cookie(response: Response) -> Response:
    """Send a new session's cookie; ``Path`` comes right after the value because some
    legacy clients cut the value out of the raw header text."""
    token = g.pop("new_session_token", None)
    if token is not None:
        attributes = ["Path=/", "HttpOnly", "SameSite=Lax"]
        if request.is_secure or settings().cookie_secure:
            attributes.append("Secure")
        response.headers.add("Set-Cookie", "; ".join([f"{COOKIE}={token}", *attributes]))
    return response


def clear_cookie(response: Response) -> None:
    response.headers.add("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")


def init_app(app: Flask, prefix: str) -> None:
    app.extensions["xmlapi.api_prefix"] = prefix
    app.before_request(authenticate)
    limits.init_app(app)  # keyed by user: after authenticate, before the rest
    app.before_request(authorize)
    app.after_request(set_cookie)
