"""Who may call the API: users, their sessions, and registered client applications."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from xmlapi.db import Base
from xmlapi.models.types import Timestamp, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    read_only: Mapped[bool] = mapped_column(default=False)
    created: Mapped[Timestamp] = mapped_column(default=utcnow)


class ApiSession(Base):
    """A login; the cookie holds a random token and only its SHA-256 is stored here."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    app_id: Mapped[str | None] = mapped_column(String(100))
    app_read_only: Mapped[bool] = mapped_column(default=False)
    created: Mapped[Timestamp] = mapped_column(default=utcnow)
    last_seen: Mapped[Timestamp] = mapped_column(default=utcnow)
    expires: Mapped[Timestamp] = mapped_column(index=True)
    # Finds the session that Basic credentials opened, for clients without a cookie jar:
    # SHA-256 of the user, the app id and the user's stored (slow) password hash, so it
    # makes no password any cheaper to guess.
    credentials_key: Mapped[str | None] = mapped_column(String(64), index=True)

    user: Mapped[User] = relationship(lazy="joined")


class App(Base):
    """A client application (``User-Agent: {app_id}/{version}`` plus ``X-PAPPID``)."""

    __tablename__ = "apps"

    app_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    private_id_hash: Mapped[str] = mapped_column(String(255))
    read_only: Mapped[bool] = mapped_column(default=False)
    created: Mapped[Timestamp] = mapped_column(default=utcnow)
