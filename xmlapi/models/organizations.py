"""Organizations own products; users are their members; API tokens act for a member."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xmlapi.db import Base
from xmlapi.models.types import Timestamp, utcnow

# Created by the migration that introduced organizations; it owns the products that
# existed before, and new users join it unless told otherwise.
DEFAULT_ORGANIZATION = 1


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    created: Mapped[Timestamp] = mapped_column(default=utcnow)


class Membership(Base):
    """A user in an organization; the lowest ``position`` is the user's first one."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class ApiToken(Base):
    """A bearer token; only the SHA-256 of its 256 random bits is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    read_only: Mapped[bool] = mapped_column(default=False)
    expires: Mapped[Timestamp | None]
    created: Mapped[Timestamp] = mapped_column(default=utcnow)
    last_used: Mapped[Timestamp | None]
