"""GET /api/v2/orgs/<org>/changes/: the change feed in JSON, the same entries as the XML
feed, scoped to the organization in the URL; hostile cursors are JSON 400s."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import jsonschemas
from tests.conftest import client_of
from tests.helpers import create_product
from tests.test_orgs_access import CAROL, other_org, token_of  # noqa: F401 (fixture)
from xmlapi.catalog import feed
from xmlapi.db import session_scope
from xmlapi.models.types import utcnow

FEED = "/api/v2/orgs/1/changes/"
NEW_PRODUCT = {"code": "FROM-JSON", "kind": "goods", "description": "Made in JSON"}


def feed_page(client, url: str = FEED, **args) -> dict:
    response = client.get(url, query_string=args) if args else client.get(url)
    return jsonschemas.answer(response, "changes.json")


def test_creates_changes_and_deletes_come_in_order_as_upserts_and_tombstones(client):
    made = client.post("/api/v2/orgs/1/products/", json=NEW_PRODUCT)
    assert made.status_code == 201, made.get_data(as_text=True)
    json_id = made.json["url"].rstrip("/").rsplit("/", 1)[1]
    xml_id = create_product(client, code="FROM-XML")
    page = feed_page(client)
    assert [(e["kind"], str(e["id"]), e["code"]) for e in page["results"]] == [
        ("upsert", json_id, NEW_PRODUCT["code"]),
        ("upsert", str(xml_id), "FROM-XML"),
    ]
    assert page["after"] == 0 and page["more"] is False
    assert page["next_after"] == page["results"][-1]["seq"]
    assert page["next"].endswith(f"after={page['next_after']}")

    assert client.delete(f"/api/v2/orgs/1/products/{json_id}/").status_code == 204
    following = feed_page(client, page["next"])
    assert [(e["kind"], str(e["id"]), e["code"]) for e in following["results"]] == [
        ("delete", json_id, NEW_PRODUCT["code"])
    ]
    assert following["results"][0]["seq"] > page["next_after"]


def test_entries_match_the_xml_feed(client):
    create_product(client, code="SAME")
    entry = feed_page(client)["results"][0]
    xml_entry = client.get("/api/changes/")
    assert xml_entry.status_code == 200
    assert f'seq="{entry["seq"]}"' in xml_entry.get_data(as_text=True)
    assert entry["changed_at"].endswith("Z")


def test_limit_pages_and_next_keeps_the_limit(client):
    for n in range(3):
        create_product(client, code=f"P-{n}")
    first = feed_page(client, limit=2)
    assert len(first["results"]) == 2 and first["more"] is True
    assert "limit=2" in first["next"]
    rest = feed_page(client, first["next"])
    assert [e["code"] for e in rest["results"]] == ["P-2"] and rest["more"] is False


def test_an_organization_sees_only_its_own_feed(app, engine, other_org):  # noqa: F811
    alice, carol = client_of(app), client_of(app, CAROL)
    create_product(alice, code="ALICE-ONLY")
    assert feed_page(carol, f"/api/v2/orgs/{other_org}/changes/")["results"] == []
    assert carol.get(FEED).status_code == 404  # another organization's feed
    token = token_of(engine, CAROL, other_org)
    assert client_of(app, None).get(FEED, query_string={"bearer_token": token}).status_code == 404


@pytest.mark.parametrize(
    "args",
    [
        {"after": "-1"},
        {"after": str(2**63)},
        {"after": str(2**70)},
        {"after": "abc"},
        {"after": "١٢"},
        {"after": "1\x00"},
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "9" * 40},
    ],
)
def test_hostile_cursors_are_400_naming_the_parameter(client, args):
    response = client.get(FEED, query_string=args)
    body = jsonschemas.error(response, 400)
    assert list(body) == list(args)


def test_a_cursor_older_than_the_retention_window_is_410_naming_where_to_follow_from(
    client, engine
):
    gone = client.post("/api/v2/orgs/1/products/", json=NEW_PRODUCT).json["url"]
    before = feed_page(client)["next_after"]
    assert client.delete(gone).status_code == 204
    with session_scope(engine) as session:
        assert feed.prune(session, dt.timedelta(0), now=utcnow() + dt.timedelta(seconds=1)) == 1
    body = jsonschemas.error(client.get(FEED, query_string={"after": before}), 410)
    head = body["after"][0].rsplit(" ", 1)[1]
    assert "resync" in body["after"][0]
    assert feed_page(client, after=head)["results"] == []
