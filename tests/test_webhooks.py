"""Webhooks (catalog/webhooks.py, the commands): signed batches of the feed sent to a
receiver on loopback, retried while it is down, de-duplicated by event id, replayed."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.conftest import empty_tables
from tests.helpers import create_locked_product, create_product
from tests.server import free_port
from xmlapi.catalog import webhooks
from xmlapi.catalog.errors import InvalidValue, NotFound
from xmlapi.cli import main
from xmlapi.models import Product, Webhook, WebhookDelivery
from xmlapi.models.types import utcnow


class Receiver:
    """A webhook receiver on a loopback port: records every request; ``fail`` answers
    500 to that many requests after recording them (the acknowledgement is lost)."""

    def __init__(self, port: int):
        self.port = port
        self.requests: list[tuple[dict, bytes]] = []
        self.fail = 0
        self.answer = (200, b"ok", {})
        self.delay = 0.0
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                time.sleep(receiver.delay)
                status, payload, headers = receiver.answer
                if receiver.fail:
                    receiver.fail -= 1
                    status = 500
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        # Polled every 10 ms for its stop (the default half second, at every test's end,
        # was most of the module's time).
        serve = functools.partial(self.server.serve_forever, poll_interval=0.01)
        threading.Thread(target=serve, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver():
    receiver = Receiver(free_port())
    yield receiver
    receiver.stop()


class Clock:
    def __init__(self):
        self.offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        return utcnow() + self.offset


@pytest.fixture
def sender(engine):
    clock = Clock()
    sender = webhooks.Sender(
        session_factory=lambda: Session(engine, expire_on_commit=False),
        holder="test-sender",
        retention=dt.timedelta(days=1),
        send=lambda url, body, headers: webhooks.post(url, body, headers, timeout=2),
        now=clock.now,
        private_receivers=True,  # the tests' receivers listen on loopback
    )
    sender.clock = clock
    return sender


def register(engine, url: str, events=webhooks.EVENTS) -> webhooks.Registered:
    with Session(engine, expire_on_commit=False) as session:
        return webhooks.register(session, 1, url, events)


def stored_state(engine) -> dict[int, tuple[str, int]]:
    with Session(engine) as session:
        rows = session.execute(select(Product.id, Product.code, Product.version))
        return {row.id: (row.code, row.version) for row in rows}


def webhook_row(engine, webhook_id: int) -> Webhook:
    with Session(engine) as session:
        return session.get(Webhook, webhook_id)


def deliveries(engine, webhook_id: int) -> list[WebhookDelivery]:
    with Session(engine, expire_on_commit=False) as session:
        return webhooks.delivery_log(session, webhook_id, limit=1000)


def unique_events(receiver: Receiver, secret: str) -> list[dict]:
    """The receiver's side: every request verified, then de-duplicated by event id."""
    seen, events = set(), []
    for headers, body in receiver.requests:
        assert webhooks.verify(
            secret, headers["X-Xmlapi-Timestamp"], headers["X-Xmlapi-Signature"], body
        ), "a delivery failed its signature check"
        document = json.loads(body)
        assert document["event_id"] == headers["X-Xmlapi-Event-Id"]
        if document["event_id"] not in seen:
            seen.add(document["event_id"])
            events.append(document)
    return events


def write_some(client, start: int, count: int) -> None:
    """Create ``count`` products; change every third, delete every fourth."""
    for n in range(start, start + count):
        product = create_locked_product(client, code=f"H-{n}")
        if n % 3 == 0:
            client.put(
                f"/api/products/{product}/", data=f"<product><family>F{n}</family></product>"
            )
        if n % 4 == 0:
            assert client.delete(f"/api/products/{product}/").status_code == 200


def drain(sender, rounds: int = 60) -> None:
    """Run the sender until nothing is due any more, moving its clock past each wait."""
    for _ in range(rounds):
        sender.clock.offset += dt.timedelta(hours=1)
        if not sender.run_once():
            return
    raise AssertionError("the sender never ran dry")


def test_a_receiver_down_for_a_while_ends_with_every_entry_once(
    client, engine, receiver, sender, monkeypatch
):
    monkeypatch.setattr(webhooks, "BATCH", 7)
    write_some(client, 0, 20)
    hook = register(engine, receiver.url)
    assert sender.run_once() == 1  # refused: the receiver is down
    (failed,) = deliveries(engine, hook.id)
    assert failed.status == "pending" and failed.attempts == 1
    assert "Connection" in failed.last_error
    assert sender.run_once() == 0  # not due before its backoff
    write_some(client, 20, 15)
    receiver.start()
    receiver.fail = 2  # two answers lost: those batches come again, same event id
    drain(sender)
    events = unique_events(receiver, hook.secret)
    assert len(receiver.requests) == len(events) + 2
    entries = [entry for event in events for entry in event["entries"]]
    seqs = [entry["seq"] for entry in entries]
    assert seqs == sorted(set(seqs))  # in order, none twice
    copy: dict[int, tuple[str, int]] = {}
    for entry in entries:
        if entry["kind"] == "delete":
            copy.pop(entry["id"], None)
        else:
            copy[entry["id"]] = (entry["code"], entry["version"])
    assert copy == stored_state(engine)
    log = deliveries(engine, hook.id)
    assert {row.status for row in log} == {"delivered"}
    assert webhook_row(engine, hook.id).acked_seq == max(seqs)


def test_a_webhook_for_deletes_gets_only_tombstones(client, engine, receiver, sender):
    receiver.start()
    kept = create_product(client, code="KEPT")
    gone = create_locked_product(client, code="GONE")
    client.delete(f"/api/products/{gone}/")
    hook = register(engine, receiver.url, ["delete"])
    drain(sender)
    (event,) = unique_events(receiver, hook.secret)
    assert [(e["kind"], e["id"]) for e in event["entries"]] == [("delete", gone)]
    create_product(client, code="LATER")
    drain(sender)
    assert len(receiver.requests) == 1  # an upsert alone sends nothing...
    assert webhook_row(engine, hook.id).acked_seq > event["entries"][0]["seq"]  # ...but moves on
    assert kept


def test_after_the_retention_window_a_webhook_pauses_until_replayed(
    client, engine, receiver, sender
):
    create_product(client, code="A")
    hook = register(engine, receiver.url)
    sender.run_once()
    sender.clock.offset += dt.timedelta(days=2)
    sender.run_once()
    (given_up,) = deliveries(engine, hook.id)
    assert given_up.status == "failed" and given_up.attempts == 2
    assert not webhook_row(engine, hook.id).active
    receiver.start()
    assert sender.run_once() == 0  # paused
    with Session(engine) as session:
        assert webhooks.replay(session, hook.id) == 0
    drain(sender)
    (event,) = unique_events(receiver, hook.secret)
    assert [e["code"] for e in event["entries"]] == ["A"]


def test_replay_from_a_number_sends_what_follows_again(client, engine, receiver, sender):
    receiver.start()
    for code in ("A", "B"):
        create_product(client, code=code)
    hook = register(engine, receiver.url)
    drain(sender)
    first = unique_events(receiver, hook.secret)[0]["entries"]
    with Session(engine) as session:
        webhooks.replay(session, hook.id, after=first[0]["seq"])
    drain(sender)
    again = unique_events(receiver, hook.secret)[-1]["entries"]
    assert [e["code"] for e in again] == ["B"]


def test_a_rotated_secret_signs_with_both_until_the_old_one_is_dropped(
    client, engine, receiver, sender
):
    receiver.start()
    hook = register(engine, receiver.url)
    with Session(engine) as session:
        newer = webhooks.rotate_secret(session, hook.id)
    create_product(client, code="R")
    drain(sender)
    headers, body = receiver.requests[-1]
    assert len(re.findall("v1=", headers["X-Xmlapi-Signature"])) == 2
    for secret in (hook.secret, newer):
        assert webhooks.verify(
            secret, headers["X-Xmlapi-Timestamp"], headers["X-Xmlapi-Signature"], body
        )
    with Session(engine) as session:
        webhooks.drop_previous(session, hook.id)
    create_product(client, code="S")
    drain(sender)
    headers, body = receiver.requests[-1]
    assert webhooks.verify(
        newer, headers["X-Xmlapi-Timestamp"], headers["X-Xmlapi-Signature"], body
    )
    assert not webhooks.verify(
        hook.secret, headers["X-Xmlapi-Timestamp"], headers["X-Xmlapi-Signature"], body
    )


def test_a_signature_is_refused_when_stale_forged_or_malformed():
    body, now = b'{"a":1}', 1_700_000_000
    signature = f"v1={webhooks.sign('s3cret', now, body)}"
    assert webhooks.verify("s3cret", str(now), signature, body, now=now + 10)
    assert not webhooks.verify("s3cret", str(now), signature, body, now=now + 301)
    assert not webhooks.verify("other", str(now), signature, body, now=now)
    assert not webhooks.verify("s3cret", str(now), signature, body + b" ", now=now)
    assert not webhooks.verify("s3cret", "soon", signature, body, now=now)


def test_one_sender_at_a_time_holds_a_webhooks_lease(engine, app):
    hook = register(engine, "http://127.0.0.1:9/hook")
    now = utcnow()
    with Session(engine) as session:
        assert webhooks.acquire_lease(session, hook.id, "a", now)
        assert webhooks.acquire_lease(session, hook.id, "a", now)  # renewed
        assert not webhooks.acquire_lease(session, hook.id, "b", now)
        assert webhooks.acquire_lease(session, hook.id, "b", now + webhooks.LEASE * 2)
        webhooks.release_lease(session, hook.id, "b")
        assert webhooks.acquire_lease(session, hook.id, "a", now)


def test_a_leased_webhook_is_left_to_its_holder(client, engine, receiver, sender):
    receiver.start()
    create_product(client, code="L")
    hook = register(engine, receiver.url)
    with Session(engine) as session:
        webhooks.acquire_lease(session, hook.id, "another-host", utcnow())
    assert sender.run_once() == 0
    assert receiver.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/hook",
        "http:///hook",
        "127.0.0.1/hook",
        "http://127.0.0.1/ho ok",
        "http://127.0.0.1/" + "x" * 2048,
    ],
)
def test_register_refuses_a_url_that_is_no_http_receiver(engine, app, url):
    with Session(engine) as session, pytest.raises(InvalidValue) as refused:
        webhooks.register(session, 1, url)
    assert "url" in refused.value.fields


def test_register_refuses_unknown_events_and_organizations(engine, app):
    with Session(engine) as session:
        with pytest.raises(InvalidValue):
            webhooks.register(session, 1, "http://127.0.0.1/hook", ["upsert", "purge"])
        with pytest.raises(InvalidValue):
            webhooks.register(session, 1, "http://127.0.0.1/hook", [])
        with pytest.raises(NotFound):
            webhooks.register(session, 999, "http://127.0.0.1/hook")
        made = webhooks.register(session, 1, "http://127.0.0.1/hook")
        with pytest.raises(NotFound):
            webhooks.get(session, made.id, organization_id=2)  # another organization's
        assert [w.id for w in webhooks.list_webhooks(session, 1)] == [made.id]


def test_post_follows_no_redirect_caps_the_answer_and_times_out(receiver):
    receiver.start()
    receiver.answer = (200, b"x" * 100_000, {})
    assert webhooks.post(receiver.url, b"{}", {}, cap=10) == 200
    receiver.answer = (302, b"", {"Location": "http://127.0.0.2/elsewhere"})
    with pytest.raises(webhooks.DeliveryFailed, match="302"):
        webhooks.post(receiver.url, b"{}", {})
    receiver.answer, receiver.delay = (200, b"", {}), 1.0
    with pytest.raises(webhooks.DeliveryFailed, match="timed out"):
        webhooks.post(receiver.url, b"{}", {}, timeout=0.2)
    assert len(receiver.requests) == 3  # nothing went anywhere else


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]:8080/api/",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.0.0.1/hook",
        "http://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/hook",
        "https://100.64.0.1/hook",
    ],
)
def test_a_receiver_that_is_not_public_is_refused_before_any_connection(url, monkeypatch):
    def connect(*_args):
        raise AssertionError("no connection may be attempted")

    monkeypatch.setattr(socket.socket, "connect", connect)
    with pytest.raises(webhooks.DeliveryFailed, match="is not public"):
        webhooks.check_public(url)


def test_a_public_receiver_passes_the_check(monkeypatch):
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: public)
    webhooks.check_public("https://receiver.example/hook")  # raises nothing


def test_a_receiver_whose_name_does_not_resolve_is_a_failed_attempt(monkeypatch):
    def unresolved(*_args, **_kwargs):
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unresolved)
    with pytest.raises(webhooks.DeliveryFailed, match="cannot resolve"):
        webhooks.check_public("https://nowhere.example/hook")


def test_backoff_doubles_up_to_its_ceiling():
    first = webhooks.FIRST_RETRY
    assert [webhooks.backoff(n) for n in (1, 2, 3)] == [first, first * 2, first * 4]
    assert webhooks.backoff(40) == webhooks.LONGEST_RETRY


# Commands ---------------------------------------------------------------------------


@pytest.fixture
def run(database_url, engine, tmp_path):
    runner = CliRunner()

    def invoke(*args, **env):
        env = {"XMLAPI_DATABASE_URL": database_url, "XMLAPI_DATA_DIR": str(tmp_path), **env}
        return runner.invoke(main, list(args), env=env)

    yield invoke
    empty_tables(engine)


def test_the_webhook_commands(run, engine, receiver):
    receiver.start()
    made = run("create-webhook", receiver.url, "--events", "upsert")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith("whsec_")
    hook_id = webhook_row_id(engine)
    with Session(engine) as session:
        session.add(Product(code="CLI"))
        session.commit()
    # A receiver on loopback is refused by default: nothing is sent there.
    refused = run("deliver", "--once")
    assert refused.exit_code == 0, refused.output
    assert receiver.requests == []
    assert "127.0.0.1 is not public" in run("webhook-log", str(hook_id)).output
    with Session(engine) as session:  # the retry is due at once
        session.execute(update(WebhookDelivery).values(next_attempt=utcnow()))
        session.commit()
    sent = run("deliver", "--once", XMLAPI_WEBHOOK_PRIVATE_RECEIVERS="1")
    assert sent.exit_code == 0, sent.output
    assert "1 delivery attempts" in sent.output
    assert unique_events(receiver, secret)[0]["entries"][0]["code"] == "CLI"
    log = run("webhook-log", str(hook_id))
    assert " delivered attempts=2 status=200" in log.output
    rotated = run("rotate-webhook-secret", str(hook_id))
    assert rotated.exit_code == 0 and rotated.output.strip() != secret
    assert run("rotate-webhook-secret", str(hook_id), "--drop-previous").exit_code == 0
    replayed = run("replay-webhook", str(hook_id), "--after", "0")
    assert "resumes after 0" in replayed.output
    assert run("create-webhook", "gopher://x").exit_code == 1
    assert "No webhook" in run("webhook-log", "999").output
    assert "pruned 0 tombstones" in run("prune-feed").output


def webhook_row_id(engine) -> int:
    with Session(engine) as session:
        return session.scalars(select(Webhook.id)).one()


def test_deliver_runs_until_stopped(run, engine, monkeypatch):
    from xmlapi import cli_feed

    rounds = []

    def sleep(seconds):
        rounds.append(seconds)
        if len(rounds) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_feed.time, "sleep", sleep)
    with contextlib.suppress(KeyboardInterrupt):
        result = run("deliver", "--interval", "0.1")
        assert result.exit_code != 0
    assert rounds == [0.1, 0.1]


def test_the_readmes_receiver_check_verifies_a_delivery(client, engine, receiver, sender):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    snippet = readme.split("A receiver checks the signature")[1].split("```python\n")[1]
    namespace: dict = {}
    exec(snippet.split("```")[0], namespace)  # the README's own code
    verified = namespace["verified"]
    receiver.start()
    hook = register(engine, receiver.url)
    create_product(client, code="DOC")
    drain(sender)
    headers, body = receiver.requests[0]
    assert verified(hook.secret, headers, body)
    assert not verified(hook.secret, headers, body + b"x")
    assert not verified("whsec_other", headers, body)


def test_a_webhook_behind_the_retention_window_starts_again_from_0(
    client, engine, receiver, sender
):
    kept = create_product(client, code="KEPT")
    gone = create_locked_product(client, code="GONE")
    hook = register(engine, receiver.url)
    with Session(engine) as session:
        session.execute(
            Webhook.__table__.update().values(acked_seq=1)  # it had seen the first entry
        )
        session.commit()
    client.delete(f"/api/products/{gone}/")
    from xmlapi.catalog import feed

    with Session(engine) as session:
        feed.prune(session, dt.timedelta(0), now=utcnow() + dt.timedelta(seconds=1))
    receiver.start()
    drain(sender)
    (event,) = unique_events(receiver, hook.secret)
    assert [(e["kind"], e["id"]) for e in event["entries"]] == [("upsert", kept)]
    assert event["resync"] is True  # every product as it is: drop the others
    create_product(client, code="NEXT")
    drain(sender)
    later = unique_events(receiver, hook.secret)[-1]
    assert later["resync"] is False and [e["code"] for e in later["entries"]] == ["NEXT"]
    assert webhook_row(engine, hook.id).resync_until is None


def test_a_webhook_deleted_meanwhile_gets_nothing(engine, sender, app):
    hook = register(engine, "http://127.0.0.1:9/hook")
    with Session(engine) as session:
        session.delete(session.get(Webhook, hook.id))
        session.commit()
    assert sender.deliver(hook.id) == 0
