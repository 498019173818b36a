"""The ``xmlapi`` commands of the change feed and its webhooks: register a receiver,
run the sender, rotate a secret, replay, read the delivery log, prune the feed."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from xmlapi.catalog import feed, webhooks
from xmlapi.catalog.errors import CatalogError
from xmlapi.models.organizations import DEFAULT_ORGANIZATION


def register(main: click.Group, migrated_session, migrated_engine) -> None:
    """Add the commands to ``main``; ``migrated_session()`` / ``migrated_engine()`` open
    the configured database (see cli.py)."""

    @main.command("create-webhook")
    @click.argument("url")
    @click.option(
        "--org",
        "organization_id",
        type=click.IntRange(min=1),
        default=DEFAULT_ORGANIZATION,
        show_default=True,
        help="The organization whose feed it receives.",
    )
    @click.option(
        "--events",
        "events",
        multiple=True,
        type=click.Choice(webhooks.EVENTS),
        help="Kinds of entries to send (repeat; default: all).",
    )
    def create_webhook(url: str, organization_id: int, events: tuple[str, ...]) -> None:
        """Register URL as a receiver of the feed and print its signing secret (the
        only time it is shown)."""
        with migrated_session() as session, _explained():
            made = webhooks.register(session, organization_id, url, events or webhooks.EVENTS)
        click.echo(made.secret)
        click.echo(
            f"webhook {made.id} for organization {organization_id} ({', '.join(made.events)});"
            " the secret is not shown again",
            err=True,
        )

    @main.command("rotate-webhook-secret")
    @click.argument("webhook_id", type=click.IntRange(min=1))
    @click.option("--drop-previous", is_flag=True, help="End a rotation: the old secret goes.")
    def rotate_webhook_secret(webhook_id: int, drop_previous: bool) -> None:
        """Print a new secret for WEBHOOK_ID; both sign until --drop-previous."""
        with migrated_session() as session, _explained():
            if drop_previous:
                webhooks.drop_previous(session, webhook_id)
                click.echo(f"webhook {webhook_id}: only the newest secret signs now", err=True)
                return
            click.echo(webhooks.rotate_secret(session, webhook_id))

    @main.command("replay-webhook")
    @click.argument("webhook_id", type=click.IntRange(min=1))
    @click.option("--after", type=click.IntRange(min=0), help="Resume after this number.")
    def replay_webhook(webhook_id: int, after: int | None) -> None:
        """Resume WEBHOOK_ID from its last acknowledged number (or --after)."""
        with migrated_session() as session, _explained():
            resumed = webhooks.replay(session, webhook_id, after)
        click.echo(f"webhook {webhook_id} resumes after {resumed}")

    @main.command("webhook-log")
    @click.argument("webhook_id", type=click.IntRange(min=1))
    @click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
    def webhook_log(webhook_id: int, limit: int) -> None:
        """The latest deliveries of WEBHOOK_ID, newest first."""
        with migrated_session() as session, _explained():
            for row in webhooks.delivery_log(session, webhook_id, limit=limit):
                click.echo(
                    f"{row.event_id} {row.first_seq}-{row.last_seq} {row.status}"
                    f" attempts={row.attempts} status={row.last_status or '-'}"
                    f" {row.last_error or ''}".rstrip()
                )

    @main.command("deliver")
    @click.option("--once", is_flag=True, help="One round over the webhooks, then stop.")
    @click.option("--interval", type=click.FloatRange(0.05, 60), default=1.0, show_default=True)
    def deliver(once: bool, interval: float) -> None:
        """Send the feed to the registered webhooks (run one or more anywhere: a lease in
        the database lets one sender at a time serve a webhook)."""
        with migrated_engine() as (settings, engine):
            sender = webhooks.Sender(
                session_factory=lambda: Session(engine, expire_on_commit=False),
                holder=f"{socket.gethostname()}:{os.getpid()}"[:64],
                retention=dt.timedelta(seconds=settings.feed_retention_seconds),
                private_receivers=settings.webhook_private_receivers,
            )
            _loop(sender.run_once, once, interval)

    @main.command("prune-feed")
    def prune_feed() -> None:
        """Remove tombstones older than XMLAPI_FEED_RETENTION_SECONDS."""
        with migrated_engine() as (settings, engine), Session(engine) as session:
            retention = dt.timedelta(seconds=settings.feed_retention_seconds)
            click.echo(f"pruned {feed.prune(session, retention)} tombstones")


def _loop(round_: Callable[[], int], once: bool, interval: float) -> None:
    while True:
        attempts = round_()
        if once:
            click.echo(f"{attempts} delivery attempts")
            return
        if not attempts:
            time.sleep(interval)


@contextmanager
def _explained() -> Iterator[None]:
    """Catalog refusals end the command with their message."""
    try:
        yield
    except CatalogError as exc:
        raise click.ClickException(exc.message) from None
