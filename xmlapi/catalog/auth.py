"""Users, their sessions and the client applications that call on their behalf.

Passwords and app private ids are stored only as slow salted hashes; session cookies
only as SHA-256 (a token has 256 random bits, so a fast hash is enough there).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from xmlapi import generation
from xmlapi.catalog import organizations
from xmlapi.models import ApiSession, App, User
from xmlapi.models.types import utcnow

MIN_PASSWORD_LENGTH = 8


@functools.cache
def _dummy_hash() -> str:
    """Checked against when a user name (or app id) is unknown, so that a wrong name
    costs as much time as a wrong password and names cannot be probed. Made on first
    use, not on import: every process that imports the service (each server, each
    command) would pay a slow hash for it."""
    return generate_password_hash("not a password of anyone")


def save_user(
    session: Session,
    name: str,
    password: str,
    *,
    read_only: bool = False,
    organization_ids: Sequence[int] | None = None,
) -> bool:
    """Create user ``name`` or reset its password and access; True when created.

    ``organization_ids``: the organizations it is a member of, its first one first
    (default: organization 1 for a new user, unchanged for an existing one)."""
    name = name.strip()
    if not name or len(name) > 150 or ":" in name:
        raise ValueError("a user name is 1 to 150 characters, without ':'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    user = session.scalar(select(User).where(User.name == name))
    created = user is None
    if created:
        user = User(name=name)
        session.add(user)
    else:
        # A reset password ends every session the old one opened, and their locks.
        session.execute(delete(ApiSession).where(ApiSession.user_id == user.id))
    user.password_hash = generate_password_hash(password)
    user.read_only = read_only
    if organization_ids is None and created:
        organization_ids = [organizations.DEFAULT_ORGANIZATION]
    if organization_ids:
        organizations.set_memberships(session, user, organization_ids)
    return created


def usable_user_name(name: str) -> bool:
    """Whether ``name`` could be a user's: 1 to 150 characters, none of them control
    characters (a NUL cannot even be sent to PostgreSQL)."""
    return 0 < len(name) <= 150 and not any(unicodedata.category(c) == "Cc" for c in name)


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user whose name and password these are, or None (in constant-ish time)."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


# Sessions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionInfo:
    """What a request needs to know of its session."""

    id: str
    user_id: int
    user_name: str
    app_id: str | None
    read_only: bool  # the user or the app may only read
    expires: dt.datetime
    last_seen: dt.datetime
    organization_id: int | None  # the user's first organization (None: a member of none)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def credentials_key(user_id: int, app_id: str | None, password_hash: str) -> str:
    """What finds the session Basic credentials opened: derived from the stored slow
    hash, not the password, so that it makes no password cheaper to guess."""
    material = f"{user_id}\0{app_id or ''}\0{password_hash}"
    return hashlib.sha256(material.encode()).hexdigest()


def open_session(
    session: Session,
    user: User,
    app_read_only: bool,
    app_id: str | None,
    idle: dt.timedelta,
) -> tuple[str, SessionInfo]:
    """Start a session for ``user``; returns the cookie token and the session. Commits.

    Sessions that have expired are swept away at the same time.
    """
    now = utcnow()
    session.execute(delete(ApiSession).where(ApiSession.expires <= now))
    token = secrets.token_urlsafe(32)
    row = ApiSession(
        id=token_digest(token),
        user_id=user.id,
        app_id=app_id,
        app_read_only=app_read_only,
        created=now,
        last_seen=now,
        expires=now + idle,
        credentials_key=credentials_key(user.id, app_id, user.password_hash),
    )
    session.add(row)
    session.commit()
    return token, _info(session, row, user)


# Asked on every request: a plain Core statement, built once, run on the session's
# connection (the ORM's unit-of-work machinery cost ~300 us here, this ~60 us).
_LIVE_SESSION = (
    select(
        ApiSession.id,
        ApiSession.user_id,
        User.name,
        ApiSession.app_id,
        (User.read_only | ApiSession.app_read_only).label("read_only"),
        ApiSession.expires,
        ApiSession.last_seen,
        organizations.first_organization_sql().label("organization_id"),
    )
    .join(User, User.id == ApiSession.user_id)
    .where(ApiSession.id == bindparam("digest"), ApiSession.expires > bindparam("now"))
)


def find_session(connection: Connection, token: str) -> SessionInfo | None:
    """The live session of a cookie token, or None."""
    params = {"digest": token_digest(token), "now": utcnow()}
    row = connection.execute(_LIVE_SESSION, params).first()
    return SessionInfo(*row) if row is not None else None


# The live session Basic credentials opened last, with what proves the key still holds
# (the user's password hash): one indexed statement.
_SESSION_OF_CREDENTIALS = (
    select(*_LIVE_SESSION.selected_columns, User.password_hash)
    .join(User, User.id == ApiSession.user_id)
    .where(
        ApiSession.credentials_key == bindparam("key"),
        ApiSession.expires > bindparam("now"),
    )
    .order_by(ApiSession.created.desc(), ApiSession.id.desc())
    .limit(1)
)


def find_credentials_session(connection: Connection, key: str) -> SessionInfo | None:
    """The live session that the credentials with ``key`` opened last, or None (also
    when the password changed since)."""
    row = connection.execute(_SESSION_OF_CREDENTIALS, {"key": key, "now": utcnow()}).first()
    if row is None:
        return None
    *fields, password_hash = row
    info = SessionInfo(*fields)
    if credentials_key(info.user_id, info.app_id, password_hash) != key:
        return None
    return info


def touch_due(info: SessionInfo, every: dt.timedelta) -> bool:
    """Whether the session's expiry is to be pushed out now: at most once per ``every``
    (a write per request would cost more than it is worth)."""
    return utcnow() - info.last_seen >= every


def touch(connection: Connection, info: SessionInfo, idle: dt.timedelta) -> SessionInfo:
    """Push the session's expiry out; commits, and returns the session as it is now."""
    now = utcnow()
    # Each worker checks a session it keeps against its own clock and touches it again
    # itself: a later expiry is nothing the other workers need to hear of.
    connection.execute(
        update(ApiSession)
        .where(ApiSession.id == info.id)
        .values(last_seen=now, expires=now + idle)
        .execution_options(**{generation.UNSEEN: True})
    )
    connection.commit()
    return dataclasses.replace(info, last_seen=now, expires=now + idle)


def alive(info: SessionInfo) -> bool:
    """Whether a session read a while ago has not expired since (as far as it knows)."""
    return info.expires > utcnow()


def end_session(session: Session, session_id: str) -> None:
    """End a session; its locks go with it (ON DELETE CASCADE). Commits."""
    session.execute(delete(ApiSession).where(ApiSession.id == session_id))
    session.commit()


def _info(session: Session, row: ApiSession, user: User) -> SessionInfo:
    return SessionInfo(
        row.id,
        user.id,
        user.name,
        row.app_id,
        user.read_only or row.app_read_only,
        row.expires,
        row.last_seen,
        session.scalar(select(organizations.first_organization_sql()).where(User.id == user.id)),
    )


# Applications -----------------------------------------------------------------------


def register_app(
    session: Session, app_id: str, private_id: str, *, read_only: bool = False
) -> bool:
    """Register ``app_id`` (or replace its private id and access); True when new."""
    if not app_id or "/" in app_id or len(app_id) > 100:
        raise ValueError("an app id is 1 to 100 characters, without '/'")
    if len(private_id) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a private id has at least {MIN_PASSWORD_LENGTH} characters")
    app = session.get(App, app_id)
    created = app is None
    if created:
        app = App(app_id=app_id)
        session.add(app)
    app.private_id_hash = generate_password_hash(private_id)
    app.read_only = read_only
    return created


def app_is_read_only(session: Session, app_id: str | None) -> bool:
    """Whether ``app_id`` names a registered read-only app (honoured even when apps
    need not be registered: a kiosk stays a kiosk)."""
    if not app_id:
        return False
    return bool(session.scalar(select(App.read_only).where(App.app_id == app_id)))


def check_app(session: Session, app_id: str | None, private_id: str | None) -> App | None:
    """The registered app these ids prove, or None."""
    if not app_id or not private_id:
        return None
    app = session.get(App, app_id)
    if app is None:
        check_password_hash(_dummy_hash(), private_id)
        return None
    return app if check_password_hash(app.private_id_hash, private_id) else None
