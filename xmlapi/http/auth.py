"""Who is calling: HTTP Basic credentials open a session, its cookie carries it on;
routes whose registry entry accepts tokens also take a bearer token.

A request with a live ``LS_SERVER_SESSION_ID`` cookie is authenticated by it without
rehashing any password, even when Basic credentials of the same user come along (as
legacy clients send them on every request). Credentials of another user win over the
cookie and open a new session. Requests with Basic credentials and no cookie share the
live session the same credentials from the same app opened last (clients without a
cookie jar LOCK, PUT and UNLOCK that way); each worker checks such credentials with the
slow hash once, then knows them by a keyed digest.

A token (``xmlapi create-token``) comes as ``Authorization: Bearer <token>`` or as
``?bearer_token=<token>``; it works in its own organization and opens no session.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import Forbidden, Unauthorized

from xmlapi.catalog import auth, organizations
from xmlapi.catalog.auth import SessionInfo
from xmlapi.db import get_connection, get_session
from xmlapi.http import endpoints, limits, memory
from xmlapi.http.cache import Memo
from xmlapi.http.common import settings

COOKIE = "LS_SERVER_SESSION_ID"
SESSION_USERS = 65536  # sessions whose user a worker remembers
TOKEN_PARAMETER = "bearer_token"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")


class AuthenticationFailed(Unauthorized):
    """401 carrying the ``WWW-Authenticate: Basic realm="xmlapi"`` challenge."""

    def get_headers(self, environ=None, scope=None):
        # werkzeug's WWWAuthenticate would leave the realm unquoted.
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", 'Basic realm="xmlapi"')]


def current_identity() -> SessionInfo:
    return g.identity


@dataclass(frozen=True)
class Credentials:
    name: str
    password: str


def check_origin() -> None:
    """Before every request: 403 when a browser says the request comes from a foreign
    page (``Origin`` neither ours nor allowed); clients that send no Origin are let be."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    origin = origin.strip().rstrip("/").lower()
    own = f"{request.scheme}://{request.host}".lower()
    if origin != own and origin not in settings().allowed_origins:
        raise Forbidden("Requests from other sites' pages are not accepted.")


def authenticate() -> None:
    """Before every request to a route whose registry entry is not public: find or open
    the caller's session, or answer 401. A path no route matches answers its 404 (or
    405) without asking who is calling."""
    entry = endpoints.lookup(request.endpoint, request.method)
    if entry is None or entry.public:
        return
    if entry.tokens:
        bearer = _bearer_token()
        if bearer is not None:
            g.identity = _token_identity(bearer)
            return
    credentials = _credentials()
    token = _cookie_token()
    info = _session_of_cookie(token) if token else None
    if info is not None and (credentials is None or credentials.name == info.user_name):
        _check_app_of_session(info)
        _use(info)
        return
    if credentials is None:
        raise AuthenticationFailed(
            "Authentication required: send HTTP Basic credentials or a session cookie."
        )
    _use(_session_of_credentials(credentials) or _log_in(credentials))


def sign_in(name: str, password: str) -> SessionInfo | None:
    """Open a new session for a person signing in with a form (its cookie goes with the
    answer), or None for a wrong name or password. Counted like any login: 429 once
    the address has failed too often."""
    limits.spend_login()
    if not auth.usable_user_name(name):
        return None
    db = get_session()
    user = auth.authenticate(db, name, password)
    if user is None:
        return None
    limits.refund_login()
    idle = dt.timedelta(seconds=settings().session_idle_seconds)
    token, info = auth.open_session(db, user, False, None, idle)
    g.new_session_token = token
    g.identity = info
    return info


def sign_out(info: SessionInfo, response: Response) -> None:
    """End the session (its locks go with it) and have the browser forget its cookie."""
    auth.end_session(get_session(), info.id)
    clear_cookie(response)


def session_token() -> str | None:
    """The session cookie's token this request carries or is about to send."""
    return g.get("new_session_token") or _cookie_token()


def _credentials() -> Credentials | None:
    """The request's Basic credentials; None when there are none. Credentials that no
    user could have (undecodable, control characters) are a failed login."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    parsed = request.authorization
    if parsed is None or parsed.type != "basic" or parsed.username is None:
        if header.split(" ", 1)[0].lower() != "basic":
            return None  # another scheme: as if none were sent
        _refuse_login()
    if not auth.usable_user_name(parsed.username):
        _refuse_login()
    return Credentials(parsed.username, parsed.password or "")


def _bearer_token() -> str | None:
    """The request's bearer token (header first, then the query parameter), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    return request.args.get(TOKEN_PARAMETER)


def _token_identity(token: str) -> SessionInfo:
    """The identity a live token gives, or 401 (a wrong token counts as a failed login)."""
    connection = get_connection()
    info = organizations.find_token(connection, token) if _TOKEN.fullmatch(token) else None
    if info is None:
        limits.spend_login()
        raise AuthenticationFailed("Unknown or expired token.")
    organizations.note_use(connection, info, every=dt.timedelta(seconds=60))
    now = dt.datetime.now(dt.UTC)
    return SessionInfo(
        id=f"{TOKEN_IDENTITY}{info.id}",  # locks see a writer that holds none
        user_id=info.user_id,
        user_name=info.user_name,
        app_id=None,
        read_only=info.read_only,
        expires=info.expires or now + dt.timedelta(days=1),
        last_seen=now,
        organization_id=info.organization_id,
    )


TOKEN_IDENTITY = "token:"


def is_token(identity: SessionInfo) -> bool:
    """Whether the identity is a bearer token's (which opens no session)."""
    return identity.id.startswith(TOKEN_IDENTITY)


def _refuse_login() -> NoReturn:
    limits.spend_login()  # a failed login like any other: 429 once over the limit
    raise AuthenticationFailed("Wrong user name or password.")


def _cookie_token() -> str | None:
    token = request.cookies.get(COOKIE)
    return token if token and _TOKEN.fullmatch(token) else None


def _use(info: SessionInfo) -> None:
    idle = dt.timedelta(seconds=settings().session_idle_seconds)
    if auth.touch_due(info, every=min(dt.timedelta(seconds=60), idle / 10)):
        _remember_touched(auth.touch(get_connection(), info, idle))
    g.identity = info


def _remember_touched(touched: SessionInfo) -> None:
    """Keep the session touched just now as the worker's memory of it (the same
    session, later): else every request would touch it again."""
    kept = g.get("session_kept")
    if kept is not None and kept[1] == touched.id:
        memory.worker_memory().put(memory.request_generation(), kept[0], touched)


def _session_of_cookie(token: str) -> SessionInfo | None:
    """The live session of a cookie token (from the worker's memory while it holds)."""
    return _remembered(
        ("cookie", auth.token_digest(token)),
        lambda: auth.find_session(get_connection(), token),
    )


def _session_of_credentials(credentials: Credentials) -> SessionInfo | None:
    """The live session these credentials (from this app) opened, when this worker has
    seen them before: no password hashing, at most one statement. Cookie-less clients
    send Basic on every request and must stay in one session (their locks are its)."""
    key = _known_credentials().get(_credentials_digest(credentials))
    if key is None:
        return None
    limits.check_login_allowed()
    return _remembered(
        ("credentials", key), lambda: auth.find_credentials_session(get_connection(), key)
    )


def _remembered(key: tuple, find: Callable[[], SessionInfo | None]) -> SessionInfo | None:
    """The session under ``key``: from this worker's memory while the catalog's
    generation holds and the session has not expired, else from ``find`` (the
    database), read after the generation so that it may be kept under it.

    A session this worker has met before is counted against its user's budget here, in
    the same round trip that brings the generation; one it never met costs one more
    round trip, for the generation alone."""
    info = _remembered_session(key, find)
    if info is not None:
        g.session_kept = (key, info.id)
    return info


def _remembered_session(key: tuple, find: Callable[[], SessionInfo | None]) -> SessionInfo | None:
    users = _session_users()
    user_id = users.get(key)
    if user_id is None:
        current = limits.current_generation()
    else:
        current = limits.spend_early(user_id)
        info = memory.worker_memory().get(current, key)
        if info is not None and auth.alive(info):
            return info
    info = find()
    if info is not None:
        users.put(key, info.user_id)
        memory.worker_memory().put(current, key, info)
    return info


def _log_in(credentials: Credentials) -> SessionInfo:
    """Check the password (slowly) and the app, then join the live session these
    credentials opened in any worker, or open one (whose cookie is sent)."""
    limits.spend_login()  # counted before hashing: parallel guesses cannot slip past
    db = get_session()  # only logins need the ORM; a cookie's request never opens one
    user = auth.authenticate(db, credentials.name, credentials.password)
    if user is None:
        raise AuthenticationFailed("Wrong user name or password.")
    app_id = _app_id()
    app_read_only = _check_app_of_login(app_id)
    limits.refund_login()  # only failures count
    key = auth.credentials_key(user.id, app_id, user.password_hash)
    info = auth.find_credentials_session(get_connection(), key)
    if info is None:
        idle = dt.timedelta(seconds=settings().session_idle_seconds)
        token, info = auth.open_session(db, user, app_read_only, app_id, idle)
        g.new_session_token = token
    _known_credentials().put(_credentials_digest(credentials), key)
    _session_users().put(("credentials", key), info.user_id)
    return info


def _credentials_digest(credentials: Credentials) -> bytes:
    parts = (credentials.name, credentials.password, _app_id() or "", _private_id() or "")
    return _known_credentials().digest("\0".join(parts))


def _known_credentials() -> KnownCredentials:
    return current_app.extensions["xmlapi.known_credentials"]


def _session_users() -> Memo:
    """The user of each session this worker has met (by cookie digest or credentials
    key): a session's user never changes, so this holds for good, and a request is
    counted against its user's budget in the round trip that also brings the catalog's
    generation, before its session is looked at."""
    return current_app.extensions["xmlapi.session_users"]


class KnownCredentials(Memo):
    """Credentials this worker has checked, as a keyed digest (HMAC-SHA256 with a key of
    this process: nothing here helps anyone guess a password) -> their session key."""

    SIZE = 4096

    def __init__(self):
        super().__init__(size=self.SIZE)
        self._secret = secrets.token_bytes(32)

    def digest(self, text: str) -> bytes:
        return hmac.digest(self._secret, text.encode("utf-8", "surrogatepass"), "sha256")


def _app_id() -> str | None:
    """The app id of ``User-Agent: {app id}/{version}``: control characters dropped, cut
    to the 100 characters an app id has (a longer one names no registered app)."""
    agent = request.headers.get("User-Agent", "")
    app_id = "".join(c for c in agent.split("/", 1)[0] if unicodedata.category(c) != "Cc")
    return app_id.strip()[:100] or None


def _private_id() -> str | None:
    # gunicorn (header_map = dangerous) and werkzeug both file X_PAPPID under the same
    # key as X-PAPPID.
    return request.headers.get("X-PAPPID")


def _check_app_of_login(app_id: str | None) -> bool:
    """Whether the session may only read because of its app; 401 when apps must be
    registered and this one is not proven."""
    if not settings().require_registered_apps:
        return auth.app_is_read_only(get_session(), app_id)
    app = auth.check_app(get_session(), app_id, _private_id())
    if app is None:
        raise AuthenticationFailed(
            "Unknown application: send User-Agent: {app id}/{version} and the app's "
            "private id in X-PAPPID."
        )
    return app.read_only


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
        _session_users().put(("cookie", auth.token_digest(token)), current_identity().user_id)
        attributes = ["Path=/", "HttpOnly", "SameSite=Lax"]
        if request.is_secure or settings().cookie_secure:
            attributes.append("Secure")
        response.headers.add("Set-Cookie", "; ".join([f"{COOKIE}={token}", *attributes]))
    return response


def clear_cookie(response: Response) -> None:
    response.headers.add("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")


def init_app(app: Flask) -> None:
    app.extensions["xmlapi.known_credentials"] = KnownCredentials()
    app.extensions["xmlapi.session_users"] = Memo(size=SESSION_USERS)
    app.before_request(check_origin)
    app.before_request(authenticate)
    limits.init_app(app)  # keyed by user: after authenticate, before the rest
    app.before_request(authorize)
    app.after_request(set_cookie)
