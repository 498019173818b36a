"""POST/GET /api/v2/orgs/<org>/webhooks/: receivers of the organization's change feed,
registered in JSON; the secret is answered once; other organizations see none."""

from __future__ import annotations

import pytest

from tests import jsonschemas
from tests.conftest import client_of
from tests.test_orgs_access import CAROL, other_org, token_of  # noqa: F401 (fixture)
from xmlapi.catalog import webhooks
from xmlapi.db import session_scope

HOOKS = "/api/v2/orgs/1/webhooks/"
RECEIVER = "https://receiver.example/hooks/catalog"


def test_a_registered_receiver_gets_its_secret_once_and_is_listed_without_it(client, engine):
    made = jsonschemas.answer(client.post(HOOKS, json={"url": RECEIVER}), "webhook.json", 201)
    assert made["url"] == RECEIVER and made["events"] == ["upsert", "delete"]
    with session_scope(engine) as session:
        stored = webhooks.get(session, made["id"], 1)
        assert stored.secret == made["secret"]
    listed = jsonschemas.answer(client.get(HOOKS), "webhooks.json")["results"]
    assert [(hook["id"], hook["url"], hook["acked_seq"]) for hook in listed] == [
        (made["id"], RECEIVER, 0)
    ]


def test_events_may_be_chosen(client):
    body = {"url": RECEIVER, "events": ["delete"], "unknown": "ignored"}
    made = jsonschemas.answer(client.post(HOOKS, json=body), "webhook.json", 201)
    assert made["events"] == ["delete"]


def test_another_organization_neither_sees_nor_adds_receivers(app, engine, other_org):  # noqa: F811
    alice, carol = client_of(app), client_of(app, CAROL)
    assert alice.post(HOOKS, json={"url": RECEIVER}).status_code == 201
    assert carol.get(HOOKS).status_code == 404
    assert carol.post(HOOKS, json={"url": RECEIVER}).status_code == 404
    own = jsonschemas.answer(carol.get(f"/api/v2/orgs/{other_org}/webhooks/"), "webhooks.json")
    assert own["results"] == []


def test_a_read_only_token_cannot_register(app, engine):
    token = token_of(engine, "alice", 1, read_only=True)
    reader = client_of(app, None)
    response = reader.post(
        HOOKS, json={"url": RECEIVER}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert client_of(app).get(HOOKS).json["results"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": None}, "url"),
        ({"url": 12}, "url"),
        ({"url": "ftp://receiver.example/"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://receiver.example/\x00"}, "url"),
        ({"url": "https://receiver.example/" + "a" * 3000}, "url"),
        ({"url": RECEIVER, "events": "upsert"}, "events"),
        ({"url": RECEIVER, "events": []}, "events"),
        ({"url": RECEIVER, "events": ["created"]}, "events"),
        ({"url": RECEIVER, "events": [1]}, "events"),
    ],
)
def test_hostile_registrations_are_400_naming_the_field_and_store_nothing(client, body, field):
    response = client.post(HOOKS, json=body)
    assert field in jsonschemas.error(response, 400)
    assert client.get(HOOKS).json["results"] == []
