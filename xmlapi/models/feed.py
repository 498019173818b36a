"""The change feed (one entry per product: its latest change, or its tombstone), the
clock that numbers entries in commit order, and the webhooks that receive the feed."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from xmlapi.db import Base
from xmlapi.models.types import Timestamp, utcnow

UPSERT = "upsert"
DELETE = "delete"


class FeedClock(Base):
    """One row. Its row lock, taken as the last step of every write, orders the writes:
    sequence numbers and product stamps given out under it grow in commit order."""

    __tablename__ = "feed_clock"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # The last stamp given out, in microseconds since the epoch: stamps never go back,
    # even when the system clock does.
    stamp_us: Mapped[int] = mapped_column(BigInteger, default=0)
    # Tombstones up to this number were pruned: a cursor below it may have missed one.
    pruned_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class FeedEntry(Base):
    """The latest change of one product (folded: a new change replaces the entry)."""

    __tablename__ = "feed_entries"
    __table_args__ = (Index("ix_feed_entries_organization_seq", "organization_id", "seq"),)

    # No foreign key: a tombstone outlives its product (ids are never reused).
    product_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    organization_id: Mapped[int] = mapped_column()
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    kind: Mapped[str] = mapped_column(String(6))
    code: Mapped[str | None] = mapped_column(String(1023))
    version: Mapped[int] = mapped_column()
    changed: Mapped[Timestamp] = mapped_column()


class Webhook(Base):
    """A receiver of an organization's feed entries, and where its delivery stands."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[str] = mapped_column(String(64))  # "upsert,delete"
    secret: Mapped[str] = mapped_column(String(64))
    previous_secret: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[Timestamp] = mapped_column(default=utcnow)
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set while it is sent the whole feed again from 0 (its cursor had expired): until
    # acked_seq reaches it, batches say "resync" and the watermark is not checked.
    resync_until: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=True)
    # The sender that may deliver to it now (one per webhook, across hosts).
    lease_holder: Mapped[str | None] = mapped_column(String(64))
    lease_expires: Mapped[Timestamp | None]


class WebhookDelivery(Base):
    """One batch sent (or being retried) to a webhook: the delivery log."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(9), default="pending")  # delivered, failed
    attempts: Mapped[int] = mapped_column(default=0)
    created: Mapped[Timestamp] = mapped_column(default=utcnow)
    next_attempt: Mapped[Timestamp] = mapped_column(default=utcnow)
    last_attempt: Mapped[Timestamp | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(255))
