"""Keyset paging of the PIM list (?after=): every level flat, in (updated_at, id) order
from a cursor, the same cursors as the other faces' lists, ``next_after`` in the answer."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from tests.pim_helpers import get, upsert
from tests.test_pim import JACKET
from xmlapi.catalog import listing


def page(client, after: str = "0", **args) -> dict:
    query = "&".join(
        f"{name}={quote(str(value))}" for name, value in {"after": after, **args}.items()
    )
    return get(client, f"/api/pim/products?{query}")


def codes(document: dict) -> list[str]:
    return [entry["code"] for entry in document["entries"]]


def test_keyset_lists_every_level_flat_and_a_changed_variant_comes_again(client):
    upsert(client, JACKET)
    first = page(client, per_page=3)
    assert len(first["entries"]) == 3 and first["total_entries"] == 5
    assert first["page"] == 1 and first["total_pages"] == 2
    seen = codes(first)
    # A size changes: its own stamp moves (its root's does not), so it comes again.
    size = next(code for code in seen if code.endswith("-sm"))
    upsert(client, {"code": size, "name": "renamed"})
    rest = page(client, first["next_after"], per_page=3)
    assert rest["total_entries"] == 3
    assert sorted(seen[:] + codes(rest)) == sorted(
        ["jacket", "jacket-red", "jacket-blue", "jacket-red-sm", "jacket-blue-sm", size]
    )
    assert codes(rest)[-1] == size and rest["entries"][-1]["name"] == "renamed"
    done = page(client, rest["next_after"])
    assert done["entries"] == [] and done["next_after"] == rest["next_after"]


def test_the_cursor_is_the_last_products_stamp_and_id(client):
    made = upsert(client, {"code": "one", "name": "One", "status": "active"})["id"]
    document = page(client)
    cursor = listing.parse_cursor(document["next_after"])
    assert cursor.id == made
    detail = get(client, f"/api/pim/products/{made}", schema="product")
    # The PIM shows milliseconds, as the spec's samples; the cursor keeps microseconds.
    shown = dt.datetime.fromisoformat(detail["updated_at"])
    assert shown == cursor.stamp.replace(microsecond=cursor.stamp.microsecond // 1000 * 1000)


def test_filters_apply_to_a_keyset_page(client):
    for n, status in enumerate(("active", "inactive", "active")):
        upsert(client, {"code": f"p{n}", "name": f"P {n}", "status": status})
    assert codes(page(client, status="active")) == ["p0", "p2"]


@pytest.mark.parametrize(
    ("args", "parameter"),
    [
        ({"after": "tomorrow"}, "after"),
        ({"after": "2024-01-31T12:00:00Z"}, "after"),
        ({"after": "2024-01-31T12:00:00Z,1" + "0" * 30}, "after"),
        ({"after": "0\x00"}, "after"),
        ({"after": "0", "page": "2"}, "page"),
        ({"after": "0", "root_products_only": "true"}, "root_products_only"),
        ({"after": "0", "per_page": "251"}, "per_page"),
    ],
)
def test_hostile_cursors_are_422s_naming_the_parameter(client, args, parameter):
    query = "&".join(f"{name}={quote(value)}" for name, value in args.items())
    assert list(get(client, f"/api/pim/products?{query}", status=422)) == [parameter]
