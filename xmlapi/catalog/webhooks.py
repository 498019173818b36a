"""Webhooks: receivers of an organization's change feed, sent in signed batches.

A webhook's ``acked_seq`` is the last feed number its receiver acknowledged (a 2xx).
Each batch is a delivery row holding the exact body and an event id; until it is
acknowledged the same body is retried with backoff (a receiver de-duplicates by event
id), for at most the feed's retention window; then the delivery is given up and the
webhook paused until ``replay`` resumes it from its last acknowledged number. One
sender per webhook at a time, across processes and hosts: a lease on its row.

Signatures: ``X-Xmlapi-Signature: v1=<hex>[, v1=<hex>]``, HMAC-SHA256 with each current
secret (two while a secret is rotated) over ``<X-Xmlapi-Timestamp>.`` + the raw body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from xmlapi.catalog import feed
from xmlapi.catalog.errors import InvalidValue, NotFound
from xmlapi.catalog.readmodel import FeedEntry, FeedPage
from xmlapi.models import Organization, Webhook, WebhookDelivery
from xmlapi.models.feed import DELETE, UPSERT
from xmlapi.models.types import utcnow

EVENTS = (UPSERT, DELETE)
BATCH = 100
LEASE = dt.timedelta(seconds=60)
TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
FIRST_RETRY = dt.timedelta(seconds=5)
LONGEST_RETRY = dt.timedelta(minutes=30)
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
USER_AGENT = "xmlapi-webhooks/1"


class DeliveryFailed(Exception):
    """A delivery attempt got no acknowledgement; the message says why."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


# What sends a request: (url, body, headers) -> the status of a 2xx answer; raises
# DeliveryFailed otherwise. Tests and the worker use ``post``.
Send = Callable[[str, bytes, dict[str, str]], int]


# Registering --------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    """A new webhook and its secret (shown once: it is stored to sign with, never shown
    again)."""

    id: int
    url: str
    events: tuple[str, ...]
    secret: str


def register(
    session: Session, organization_id: int, url: str, events: Iterable[str] = EVENTS
) -> Registered:
    """Register a receiver of the organization's feed; commits. Raises InvalidValue for
    a URL that is not http(s)://host/... or an unknown event, NotFound for no such
    organization."""
    chosen = _events(events)
    _check_url(url)
    if session.get(Organization, organization_id) is None:
        raise NotFound(f"No organization with id {organization_id}.")
    secret = new_secret()
    webhook = Webhook(
        organization_id=organization_id, url=url, events=",".join(chosen), secret=secret
    )
    session.add(webhook)
    session.commit()
    return Registered(webhook.id, url, chosen, secret)


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def _events(events: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(events))
    unknown = [event for event in chosen if event not in EVENTS]
    if unknown or not chosen:
        message = f"events are {', '.join(EVENTS)}; got {', '.join(unknown) or 'none'}"
        raise InvalidValue(message, {"events": message})
    return chosen


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if (
        len(url) > 2048
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or any(ch.isspace() or ord(ch) < 32 for ch in url)
    ):
        message = "expected an http:// or https:// URL with a host, 2048 characters at most"
        raise InvalidValue(message, {"url": message})


def get(session: Session, webhook_id: int, organization_id: int | None = None) -> Webhook:
    """The webhook (of the organization, when given); raises NotFound."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or organization_id not in (None, webhook.organization_id):
        raise NotFound(f"No webhook with id {webhook_id}.")
    return webhook


def list_webhooks(session: Session, organization_id: int) -> list[Webhook]:
    return list(
        session.scalars(
            select(Webhook).where(Webhook.organization_id == organization_id).order_by(Webhook.id)
        )
    )


def rotate_secret(session: Session, webhook_id: int, organization_id: int | None = None) -> str:
    """A new secret; the current one stays valid (signs too) until ``drop_previous``.
    Commits; returns the new secret (shown once)."""
    webhook = get(session, webhook_id, organization_id)
    webhook.previous_secret, webhook.secret = webhook.secret, new_secret()
    session.commit()
    return webhook.secret


def drop_previous(session: Session, webhook_id: int, organization_id: int | None = None) -> None:
    """End a rotation: only the newest secret signs from now on; commits."""
    get(session, webhook_id, organization_id).previous_secret = None
    session.commit()


def replay(
    session: Session,
    webhook_id: int,
    after: int | None = None,
    organization_id: int | None = None,
) -> int:
    """Resume a webhook from its last acknowledged number (or from ``after``): it is
    active again, and batches not acknowledged are sent anew. Commits; returns where it
    resumes."""
    webhook = get(session, webhook_id, organization_id)
    if after is not None:
        feed.check_cursor(after, 1)
        webhook.acked_seq = after
    webhook.active = True
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.status == PENDING)
        .values(status=FAILED, last_error="replaced by a replay")
    )
    session.commit()
    return webhook.acked_seq


def delivery_log(
    session: Session, webhook_id: int, organization_id: int | None = None, limit: int = 50
) -> list[WebhookDelivery]:
    """The webhook's latest deliveries, newest first."""
    get(session, webhook_id, organization_id)
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# Signing --------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 of ``<timestamp>.`` + body, in hex."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_: Iterable[str | None], timestamp: int, body: bytes) -> str:
    return ", ".join(f"v1={sign(secret, timestamp, body)}" for secret in secrets_ if secret)


def verify(
    secret: str,
    timestamp: str,
    header: str,
    body: bytes,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """Whether a delivery is signed with ``secret`` and fresh (what a receiver checks)."""
    if not timestamp.isdigit():
        return False
    moment = now if now is not None else utcnow().timestamp()
    if abs(moment - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, int(timestamp), body)
    offered = [part.strip().removeprefix("v1=") for part in header.split(",")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


# Sending ------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A receiver answers for itself: a redirect to elsewhere is not followed."""

    def redirect_request(self, *_args, **_kwargs):
        return None


# No proxies from the environment either: requests go to the registered URL only.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float = TIMEOUT_SECONDS,
    cap: int = MAX_RESPONSE_BYTES,
) -> int:
    """POST to a registered receiver; its 2xx status, or DeliveryFailed. At most ``cap``
    bytes of the answer are read, within ``timeout`` seconds a step."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(cap)
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DeliveryFailed(f"answered {exc.code}", exc.code) from None
    except (OSError, ValueError) as exc:  # refused, timed out, reset, bad answer
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:255]) from None
    return status  # any other status raised HTTPError above


def backoff(attempts: int, first: dt.timedelta = FIRST_RETRY) -> dt.timedelta:
    """The wait before the next attempt after ``attempts`` failed ones (doubling)."""
    return min(first * 2 ** min(attempts - 1, 20), LONGEST_RETRY)


def check_public(url: str) -> None:
    """Raise DeliveryFailed unless every address the receiver's host resolves to is a
    public one: a webhook must not reach loopback, private or link-local services of
    the network the sender runs in (nor tell whether they answer, by its acked_seq).

    The name is resolved again when the request connects; a receiver whose DNS answer
    changes in between (rebinding) is not caught here."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise DeliveryFailed(f"cannot resolve the receiver: {exc}"[:255]) from None
    for *_rest, address in found:
        ip = ipaddress.ip_address(address[0].split("%", 1)[0])
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not ip.is_global:
            raise DeliveryFailed(
                f"the receiver's address {ip} is not public "
                "(XMLAPI_WEBHOOK_PRIVATE_RECEIVERS=1 allows it)"
            )


@dataclass
class Sender:
    """Delivers due batches of every active webhook; one per process or host.
    ``private_receivers``: deliver to loopback and private addresses too."""

    session_factory: Callable[[], Session]
    holder: str
    retention: dt.timedelta
    send: Send = post
    first_retry: dt.timedelta = FIRST_RETRY
    now: Callable[[], dt.datetime] = utcnow
    private_receivers: bool = False

    def run_once(self) -> int:
        """One round over the active webhooks; returns how many attempts were made."""
        with self.session_factory() as session:
            ids = list(session.scalars(select(Webhook.id).where(Webhook.active)))
        return sum(self.deliver(webhook_id) for webhook_id in ids)

    def deliver(self, webhook_id: int, rounds: int = 20) -> int:
        """Send what is due to one webhook under its lease; returns attempts made."""
        with self.session_factory() as session:
            if not acquire_lease(session, webhook_id, self.holder, self.now()):
                return 0
            attempts = 0
            try:
                for _ in range(rounds):
                    delivery = self._due(session, webhook_id)
                    if delivery is None:
                        break
                    attempts += 1
                    if not self._attempt(session, delivery):
                        break
            finally:
                release_lease(session, webhook_id, self.holder)
            return attempts

    def _due(self, session: Session, webhook_id: int) -> WebhookDelivery | None:
        """The pending delivery if it is due, else a new batch from the feed."""
        webhook = session.get(Webhook, webhook_id, populate_existing=True)
        if webhook is None or not webhook.active:
            return None
        pending = session.scalars(
            select(WebhookDelivery).where(
                WebhookDelivery.webhook_id == webhook_id, WebhookDelivery.status == PENDING
            )
        ).first()
        if pending is not None:
            return pending if pending.next_attempt <= self.now() else None
        return next_batch(session, webhook, self.now())

    def _attempt(self, session: Session, delivery: WebhookDelivery) -> bool:
        """Send the delivery once and log the outcome; whether it was acknowledged."""
        webhook = session.get(Webhook, delivery.webhook_id)
        now = self.now()
        timestamp = int(time.time())  # the wall clock the receiver checks against
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Xmlapi-Event-Id": delivery.event_id,
            "X-Xmlapi-Timestamp": str(timestamp),
            "X-Xmlapi-Signature": signature_header(
                (webhook.secret, webhook.previous_secret), timestamp, delivery.body
            ),
        }
        delivery.attempts += 1
        delivery.last_attempt = now
        try:
            if not self.private_receivers:
                check_public(webhook.url)
            delivery.last_status = self.send(webhook.url, delivery.body, headers)
        except DeliveryFailed as exc:
            _failed(delivery, webhook, exc, now, self.retention, self.first_retry)
            session.commit()
            return False
        delivery.status = DELIVERED
        delivery.last_error = None
        webhook.acked_seq = max(webhook.acked_seq, delivery.last_seq)
        session.commit()
        return True


def _failed(
    delivery: WebhookDelivery,
    webhook: Webhook,
    exc: DeliveryFailed,
    now: dt.datetime,
    retention: dt.timedelta,
    first_retry: dt.timedelta,
) -> None:
    """Log a failed attempt: retry later, or give up past the retention window (the
    webhook pauses until a replay)."""
    delivery.last_status = exc.status
    delivery.last_error = str(exc)[:255]
    if now - delivery.created >= retention:
        delivery.status = FAILED
        webhook.active = False
    else:
        delivery.next_attempt = now + backoff(delivery.attempts, first_retry)


def next_batch(session: Session, webhook: Webhook, now: dt.datetime) -> WebhookDelivery | None:
    """A new delivery of the entries after the webhook's acknowledged number, of the
    kinds it wants (entries of other kinds are passed over: acknowledged at once); None
    when there are none. A cursor past the retention window starts again from 0: the
    receiver gets every product's latest state (batches say ``"resync": true``)."""
    wanted = set(webhook.events.split(","))
    while True:
        page = _page(session, webhook)
        if not page.entries:
            return None
        entries = [entry for entry in page.entries if entry.kind in wanted]
        if entries:
            break
        webhook.acked_seq = _cursor_after(page, webhook)
        session.commit()
    event_id = str(uuid.uuid4())
    delivery = WebhookDelivery(
        webhook_id=webhook.id,
        event_id=event_id,
        first_seq=entries[0].seq,
        last_seq=_cursor_after(page, webhook),
        body=batch_body(event_id, webhook, entries),
        status=PENDING,
        attempts=0,
        created=now,
        next_attempt=now,
    )
    session.add(delivery)
    session.commit()
    return delivery


def _cursor_after(page: FeedPage, webhook: Webhook) -> int:
    """Where the webhook stands once ``page`` is acknowledged. The last page of a resync
    reaches the head it started from: every entry up to it was committed before the
    resync began, so the pages read since held them all."""
    if webhook.resync_until is not None and not page.more:
        return max(page.next_after, webhook.resync_until)
    return page.next_after


def _page(session: Session, webhook: Webhook) -> FeedPage:
    """The next entries for the webhook. A cursor past the retention window starts a
    resync: the whole feed again from 0 (every product's latest entry), up to the head
    it had then."""
    connection = session.connection()
    if webhook.resync_until is not None and webhook.acked_seq >= webhook.resync_until:
        webhook.resync_until = None
    resync = webhook.resync_until is not None
    try:
        return feed.read(
            connection, webhook.organization_id, webhook.acked_seq, BATCH, resync=resync
        )
    except feed.CursorExpired as expired:
        webhook.acked_seq, webhook.resync_until = 0, max(expired.head, 1)
        return feed.read(connection, webhook.organization_id, 0, BATCH, resync=True)


def batch_body(event_id: str, webhook: Webhook, entries: list[FeedEntry]) -> bytes:
    """The JSON body of a batch: its event id and its entries in order."""
    document = {
        "event_id": event_id,
        "webhook": webhook.id,
        "organization": webhook.organization_id,
        "resync": webhook.resync_until is not None,
        "entries": [
            {
                "seq": entry.seq,
                "kind": entry.kind,
                "id": entry.product_id,
                "code": entry.code,
                "version": entry.version,
                "changed": entry.changed.isoformat(),
            }
            for entry in entries
        ],
    }
    return json.dumps(document, separators=(",", ":")).encode()


# Leases -----------------------------------------------------------------------------------


def acquire_lease(session: Session, webhook_id: int, holder: str, now: dt.datetime) -> bool:
    """Take (or renew) the webhook's lease for ``holder``: true unless another sender
    holds one that has not expired. Commits."""
    taken = session.execute(
        update(Webhook)
        .where(
            Webhook.id == webhook_id,
            or_(
                Webhook.lease_holder.is_(None),
                Webhook.lease_holder == holder,
                Webhook.lease_expires < now,
            ),
        )
        .values(lease_holder=holder, lease_expires=now + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return taken == 1


def release_lease(session: Session, webhook_id: int, holder: str) -> None:
    session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.lease_holder == holder)
        .values(lease_holder=None, lease_expires=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
