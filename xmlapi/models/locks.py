"""Product locks: at most one per product (the primary key), owned by a session."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from xmlapi.db import Base
from xmlapi.models.types import Timestamp, utcnow


class ProductLock(Base):
    __tablename__ = "locks"

    # The primary key is what makes acquisition atomic: two sessions inserting a lock
    # for one product cannot both succeed, whichever worker or host they run on.
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(String(64))
    acquired: Mapped[Timestamp] = mapped_column(default=utcnow)
    expires: Mapped[Timestamp]
