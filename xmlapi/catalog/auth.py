"""Users and their passwords (stored only as slow salted hashes)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from xmlapi.models import User

MIN_PASSWORD_LENGTH = 8


def save_user(session: Session, name: str, password: str, *, read_only: bool = False) -> bool:
    """Create user ``name`` or reset its password and access; True when created."""
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
    user.password_hash = generate_password_hash(password)
    user.read_only = read_only
    return created


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user whose name and password these are, or None."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None or not check_password_hash(user.password_hash, password):
        return None
    return user
