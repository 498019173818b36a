"""Tenancy: organizations own products, users are members, tokens act for a member.

A request works in one organization (its ``Scope``): the legacy face in the user's first
one, a token in its own. A product of another organization is as good as missing to it:
NotFound, never a refusal that would tell it exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from xmlapi import generation
from xmlapi.catalog.errors import NotFound
from xmlapi.models import ApiToken, Membership, Organization, Product, User
from xmlapi.models.organizations import DEFAULT_ORGANIZATION
from xmlapi.models.types import utcnow

__all__ = ["DEFAULT_ORGANIZATION", "Scope"]


@dataclass(frozen=True)
class Scope:
    """The organization a request works in."""

    organization_id: int


# Organizations and members -------------------------------------------------------------


def create_organization(session: Session, name: str) -> Organization:
    """A new organization named ``name``; raises ValueError when the name is taken or bad."""
    name = name.strip()
    if not name or len(name) > 150:
        raise ValueError("an organization name is 1 to 150 characters")
    if session.scalar(select(Organization.id).where(Organization.name == name)) is not None:
        raise ValueError(f"an organization named {name!r} exists already")
    organization = Organization(name=name)
    session.add(organization)
    session.flush()
    return organization


def set_memberships(session: Session, user: User, organization_ids: Iterable[int]) -> None:
    """Make ``user`` a member of these organizations, the first one first (memberships
    it had and that are not named keep their place after them); raises ValueError for
    an unknown organization."""
    wanted = list(dict.fromkeys(organization_ids))
    known = set(session.scalars(select(Organization.id).where(Organization.id.in_(wanted))))
    missing = [str(ident) for ident in wanted if ident not in known]
    if missing:
        raise ValueError(f"no organization with id {', '.join(missing)}")
    session.flush()  # a new user needs its id
    current = {
        m.organization_id: m
        for m in session.scalars(select(Membership).where(Membership.user_id == user.id))
    }
    others = sorted(
        (m for ident, m in current.items() if ident not in wanted), key=lambda m: m.position
    )
    for position, ident in enumerate(wanted):
        membership = current.get(ident) or Membership(user_id=user.id, organization_id=ident)
        membership.position = position
        session.add(membership)
    for position, membership in enumerate(others, start=len(wanted)):
        membership.position = position


_FIRST_ORGANIZATION = (
    select(Membership.organization_id)
    .where(Membership.user_id == User.id)
    .order_by(Membership.position, Membership.organization_id)
    .limit(1)
    .correlate(User)
    .scalar_subquery()
)


def first_organization_sql():
    """The first organization of the ``users`` row at hand, as a correlated subquery."""
    return _FIRST_ORGANIZATION


_MEMBER = select(Membership.id).where(
    Membership.user_id == bindparam("user_id"),
    Membership.organization_id == bindparam("organization_id"),
)


def member_of(connection: Connection, user_id: int, organization_id: int) -> bool:
    """Whether the user is a member of the organization (one indexed statement)."""
    values = {"user_id": user_id, "organization_id": organization_id}
    return connection.execute(_MEMBER, values).first() is not None


def is_member(session: Session, user_id: int, organization_id: int) -> bool:
    statement = select(Membership.id).where(
        Membership.user_id == user_id, Membership.organization_id == organization_id
    )
    return session.scalar(statement) is not None


# Products in scope ---------------------------------------------------------------------

_ORGANIZATION_OF_PRODUCT = select(Product.organization_id).where(
    Product.id == bindparam("product_id")
)


def organization_of(connection: Connection, product_id: int) -> int | None:
    """The organization of product ``product_id`` (None: no such product). Products never
    move and ids are never reused, so a caller may keep the answer for good."""
    return connection.execute(_ORGANIZATION_OF_PRODUCT, {"product_id": product_id}).scalar()


def check_product(scope: Scope, product_id: int, organization_id: int | None) -> None:
    """Raise NotFound unless the product (of ``organization_id``) is in the scope."""
    if organization_id != scope.organization_id:
        raise NotFound(f"No product with id {product_id}.")


def product_filter(scope: Scope):
    """The products of the scope's organization, as a WHERE clause."""
    return Product.organization_id == scope.organization_id


# Tokens --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    """What a request needs to know of the token it came with."""

    id: int
    user_id: int
    user_name: str
    organization_id: int
    read_only: bool  # the token or its user may only read
    expires: dt.datetime | None
    last_used: dt.datetime | None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session,
    user_name: str,
    organization_id: int | None = None,
    *,
    read_only: bool = False,
    lifetime: dt.timedelta | None = None,
) -> tuple[str, ApiToken]:
    """A new token for the user in an organization it belongs to (default: its first);
    returns the token (shown once, never stored) and its row. Raises ValueError."""
    user = session.scalar(select(User).where(User.name == user_name))
    if user is None:
        raise ValueError(f"no user named {user_name!r}")
    if organization_id is None:
        organization_id = session.scalar(
            select(_FIRST_ORGANIZATION).select_from(User).where(User.id == user.id)
        )
        if organization_id is None:
            raise ValueError(f"user {user_name!r} belongs to no organization")
    elif not is_member(session, user.id, organization_id):
        raise ValueError(f"user {user_name!r} is no member of organization {organization_id}")
    token = secrets.token_urlsafe(32)  # 256 random bits
    now = utcnow()
    row = ApiToken(
        digest=token_digest(token),
        user_id=user.id,
        organization_id=organization_id,
        read_only=read_only,
        created=now,
        expires=now + lifetime if lifetime is not None else None,
    )
    session.add(row)
    session.flush()
    return token, row


_LIVE_TOKEN = (
    select(
        ApiToken.id,
        ApiToken.user_id,
        User.name,
        ApiToken.organization_id,
        (User.read_only | ApiToken.read_only).label("read_only"),
        ApiToken.expires,
        ApiToken.last_used,
    )
    .join(User, User.id == ApiToken.user_id)
    .join(
        Membership,
        (Membership.user_id == ApiToken.user_id)
        & (Membership.organization_id == ApiToken.organization_id),
    )
    .where(ApiToken.digest == bindparam("digest"))
    .where((ApiToken.expires.is_(None)) | (ApiToken.expires > bindparam("now")))
)


def find_token(connection: Connection, token: str) -> TokenInfo | None:
    """The live token's facts, or None (unknown, expired, or its user left the
    organization)."""
    row = connection.execute(_LIVE_TOKEN, {"digest": token_digest(token), "now": utcnow()}).first()
    return TokenInfo(*row) if row is not None else None


def note_use(connection: Connection, info: TokenInfo, every: dt.timedelta) -> None:
    """Record when the token was last used, at most once per ``every``. Commits when it
    writes."""
    now = utcnow()
    if info.last_used is not None and now - info.last_used < every:
        return
    statement = update(ApiToken).where(ApiToken.id == info.id).values(last_used=now)
    connection.execute(statement.execution_options(**{generation.UNSEEN: True}))
    connection.commit()
