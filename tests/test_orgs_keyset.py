"""Keyset paging of the JSON product list (?after=): (updated_at, id) order from a
cursor, ``next_after`` and a ``next`` link carrying it, the same cursors as the XML
list's; a sync that follows it during writes sees every change once."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import jsonschemas
from tests.helpers import create_product, xml
from tests.test_orgs_items import new_box, new_item, new_order
from tests.test_orgs_products import ORG, minimal, post
from xmlapi.catalog import feed, listing, orders, product_sheets
from xmlapi.db import session_scope
from xmlapi.models import Product
from xmlapi.models.types import utcnow

LIST = f"/api/v2/orgs/{ORG}/products/"


def page(client, after: str = "0", **args) -> dict:
    response = client.get(LIST, query_string={"after": after, **args})
    return jsonschemas.answer(response, "products.json")


def codes(document: dict) -> list[str]:
    return [product["code"] for product in document["results"]]


def test_keyset_pages_follow_the_cursor_and_a_changed_product_comes_again(client):
    made = [post(client, minimal(f"K-{n}")).get_json() for n in range(3)]
    first = page(client, limit=2)
    assert codes(first) == ["K-0", "K-1"]
    assert first["count"] == 3 and first["previous"] is None
    assert parse_qs(urlsplit(first["next"]).query) == {
        "after": [first["next_after"]],
        "limit": ["2"],
    }
    changed = client.patch(made[0]["url"], json={"code": "K-0b"})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    rest = page(client, first["next_after"], limit=2)
    assert codes(rest) == ["K-2", "K-0b"]
    assert rest["count"] == 2 and rest["next"] is None
    empty = page(client, rest["next_after"])
    assert codes(empty) == [] and empty["next_after"] == rest["next_after"]
    assert empty["count"] == 0


def test_the_cursor_is_the_last_products_stamp_and_id(client):
    product = post(client, minimal("T")).get_json()
    document = page(client)
    cursor = listing.parse_cursor(document["next_after"])
    assert str(cursor.id) in product["url"]
    assert cursor.stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ") == product["updated_at"]


def test_the_json_and_xml_lists_share_their_cursors(client):
    for n in range(3):
        post(client, minimal(f"X-{n}"))
    cursor = page(client, limit=1)["next_after"]
    xml_list = client.get("/api/products/", query_string={"after": cursor})
    assert [item.findtext("code") for item in xml(xml_list)] == ["X-1", "X-2"]
    assert codes(page(client, cursor)) == ["X-1", "X-2"]


def test_updated_at_gte_filters_a_keyset_page(client):
    post(client, minimal("OLD"))
    later = post(client, minimal("NEW")).get_json()["updated_at"]
    assert codes(page(client, updated_at__gte=later)) == ["NEW"]


def test_a_product_written_while_its_page_is_read_waits_for_a_later_page(app, client, monkeypatch):
    # Made in XML: no JSON document of theirs is cached, their sheets are read.
    first = create_product(client, code="A")
    create_product(client, code="B")
    # The keys are read, then someone writes A, then the sheets are read: A's new state
    # has a newer stamp, so it belongs after this page's cursor, not on this page.
    read_sheets = product_sheets.sheet_rows

    def write_in_between(connection, product_ids):
        monkeypatch.setattr(product_sheets, "sheet_rows", read_sheets)
        with session_scope(app.extensions["xmlapi.engine"]) as session:
            session.get(Product, first).code = "A2"  # committed as any write is
        return read_sheets(connection, product_ids)

    monkeypatch.setattr(product_sheets, "sheet_rows", write_in_between)
    document = page(client)
    assert codes(document) == ["B"]
    assert codes(page(client, document["next_after"])) == ["A2"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"after": "yesterday"}, "after"),
        ({"after": "2024-01-31T12:00:00Z"}, "after"),
        ({"after": "2024-01-31T12:00:00Z,-1"}, "after"),
        ({"after": "2024-02-30T12:00:00Z,1"}, "after"),
        ({"after": "2024-01-31T12:00:00+02:00,1"}, "after"),
        ({"after": "0\x00"}, "after"),
        ({"after": "9" * 5000}, "after"),
        ({"after": "0", "offset": "5"}, "offset"),
        ({"after": "0", "limit": "501"}, "limit"),
    ],
)
def test_hostile_cursors_are_400s_naming_the_parameter(client, args, field):
    response = client.get(LIST, query_string=args)
    assert response.status_code == 400
    assert list(jsonschemas.error(response, 400)) == [field]


# Orders, boxes and items: stamped under the same clock, paged the same way -------------


def keyset(client, url: str, schema: str, after: str = "0", **args) -> dict:
    return jsonschemas.answer(client.get(url, query_string={"after": after, **args}), schema)


def test_orders_page_by_stamp_and_a_changed_item_comes_again(client):
    made = [new_order(client, f"SO-{n}") for n in range(3)]
    listed = keyset(client, f"/api/v2/orgs/{ORG}/orders/", "orders.json", limit=2)
    assert [order["number"] for order in listed["results"]] == ["SO-0", "SO-1"]
    assert listed["count"] == 3 and listed["next"] is not None
    rest = keyset(client, f"/api/v2/orgs/{ORG}/orders/", "orders.json", listed["next_after"])
    assert [order["number"] for order in rest["results"]] == ["SO-2"] and rest["next"] is None

    box = new_box(client, made[0])
    items = [new_item(client, box, {"code": c, "description": "d", "quantity": 1}) for c in "AB"]
    first = keyset(client, box["items"], "items.json", limit=1)
    assert [item["code"] for item in first["results"]] == ["A"]
    changed = client.patch(items[0]["url"], json={"quantity": 2})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["updated_at"] > items[1]["updated_at"]
    rest = keyset(client, box["items"], "items.json", first["next_after"])
    assert [item["code"] for item in rest["results"]] == ["B", "A"]
    assert rest["results"][1]["quantity"] == 2

    boxes = keyset(client, made[0]["boxes"], "boxes.json")
    assert [b["url"] for b in boxes["results"]] == [box["url"]]
    assert listing.parse_cursor(boxes["next_after"]).id == int(
        box["url"].rstrip("/").split("/")[-1]
    )


def test_a_new_rows_stamps_come_from_the_feeds_clock(client, monkeypatch):
    # The clock's stamps never go back, even when the system clock does: a row written
    # after a product is stamped after it, so keyset pages of orders skip nothing.
    product = post(client, minimal("P")).get_json()
    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    for module in (orders, feed):
        monkeypatch.setattr(module, "utcnow", lambda: an_hour_ago)
    order = new_order(client)
    assert order["created_at"] == order["updated_at"] > product["updated_at"]
    answered = jsonschemas.answer(client.get(order["url"]), "order.json")
    assert answered["updated_at"] == order["updated_at"]


@pytest.mark.parametrize("list_of", ["orders", "boxes", "items"])
@pytest.mark.parametrize(
    ("args", "field"),
    [({"after": "2024-01-31T12:00:00Z"}, "after"), ({"after": "0", "offset": "1"}, "offset")],
)
def test_hostile_cursors_on_orders_boxes_and_items_are_400s(client, list_of, args, field):
    order = new_order(client)
    box = new_box(client, order)
    url = {"orders": f"/api/v2/orgs/{ORG}/orders/", "boxes": order["boxes"], "items": box["items"]}
    response = client.get(url[list_of], query_string=args)
    assert list(jsonschemas.error(response, 400)) == [field]
