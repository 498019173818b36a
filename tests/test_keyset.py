"""Keyset paging of the product list (?after=): (datetime_mod, id) order from a cursor,
the next cursor on the list's root; and datetime_mod moves with anything under a
product, so a keyset sync sees every change."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from tests.helpers import (
    create_locked_product,
    create_product,
    currencies_and_suppliers,
    error_fields,
    error_type,
    xml,
)
from tests.images import jpeg
from tests.test_costs import add_cost
from xmlapi.catalog import listing


def page(client, after: str = "0", **args) -> tuple[list[str], str]:
    response = client.get("/api/products/", query_string={"after": after, **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    root = xml(response)
    return [item.findtext("code") for item in root], root.get("next_after")


def modified(client, product_id: int) -> str:
    return xml(client.get(f"/api/products/{product_id}/")).findtext("modified")


def test_keyset_pages_follow_the_cursor_and_a_changed_product_comes_again(client):
    ids = [create_locked_product(client, code=f"K-{n}") for n in range(3)]
    first, cursor = page(client, count=2)
    assert first == ["K-0", "K-1"]
    response = client.put(f"/api/products/{ids[0]}/", data=b"<product><code>K-0b</code></product>")
    assert response.status_code == 200
    rest, cursor = page(client, cursor, count=2)
    assert rest == ["K-2", "K-0b"]
    empty, same = page(client, cursor)
    assert empty == [] and same == cursor


def test_the_cursor_carries_microseconds_in_utc(client):
    product = create_product(client, code="T")
    _, cursor = page(client)
    stamp, ident = cursor.split(",")
    assert ident == str(product) and stamp.endswith("Z") and len(stamp) == 27
    detail = dt.datetime.fromisoformat(modified(client, product))
    assert listing.parse_cursor(cursor).stamp == detail


def test_total_count_counts_from_the_cursor_and_the_filter_applies(client):
    for code in ("A-1", "B-1", "A-2"):
        create_product(client, code=code)
    response = client.get("/api/products/?after=0&filter=" + quote('code BEGINSWITH "A"'))
    root = xml(response)
    assert [item.findtext("code") for item in root] == ["A-1", "A-2"]
    assert root.get("total_count") == "2"
    _, cursor = page(client, count=1)
    assert (
        xml(client.get("/api/products/", query_string={"after": cursor})).get("total_count") == "2"
    )


def test_the_plain_list_has_no_cursor(client):
    create_product(client, code="P")
    assert xml(client.get("/api/products/")).get("next_after") is None


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"after": "yesterday"}, "after"),
        ({"after": "-1"}, "after"),
        ({"after": "2024-13-01T00:00:00Z,1"}, "after"),
        ({"after": "2024-01-01T00:00:00+02:00,1"}, "after"),
        ({"after": "2024-01-01T00:00:00Z," + "9" * 30}, "after"),
        ({"after": "2024-01-01T00:00:00Z"}, "after"),
        ({"after": "0", "order_by": "code"}, "order_by"),
        ({"after": "0", "offset": "3"}, "offset"),
        ({"after": "0", "count": "1001"}, "count"),
    ],
)
def test_a_bad_cursor_is_400_in_the_xml_error_shape(client, args, field):
    response = client.get("/api/products/", query_string=args)
    assert response.status_code == 400
    assert error_type(response) == "query.invalid"
    assert field in error_fields(response)


def test_a_cursor_reads_back_as_it_was_written():
    cursor = listing.Keyset(dt.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), 42)
    assert str(cursor) == "2024-01-02T03:04:05.000006Z,42"
    assert listing.parse_cursor(str(cursor)) == cursor
    assert listing.parse_cursor("0") == listing.START
    assert listing.parse_cursor("2024-01-02T03:04:05+00:00,7").stamp.microsecond == 0


def _moves(client, product_id: int, write) -> None:
    before = modified(client, product_id)
    response = write()
    assert response.status_code in {200, 201}, response.get_data(as_text=True)
    assert modified(client, product_id) > before


def test_datetime_mod_moves_with_costs_photos_serials_and_stock(client):
    suppliers = currencies_and_suppliers(client)
    product = create_locked_product(client, code="M", flags={"serialized": "true"})
    base = f"/api/products/{product}/"
    _moves(client, product, lambda: _add_cost(client, product, suppliers["dock"]))
    _moves(
        client,
        product,
        lambda: client.post(base + "add_product_photo/", data=jpeg(), content_type="image/jpeg"),
    )
    _moves(
        client,
        product,
        lambda: client.post(
            base + "serial_numbers/", data=b"<serial_number><serial>S-1</serial></serial_number>"
        ),
    )
    _moves(
        client,
        product,
        lambda: client.put(
            base + "inventory/", data=b"<inventory><reserved>1</reserved></inventory>"
        ),
    )


class _Answer:
    status_code = 201

    def get_data(self, as_text=False):
        return ""


def _add_cost(client, product_id, supplier):
    add_cost(client, product_id, supplier)
    return _Answer()


def test_an_empty_list_keeps_the_starting_cursor(client):
    assert page(client) == ([], "0")


def test_a_keyset_page_leaves_out_a_row_written_after_its_keys_were_read(client, app):
    """Its new state comes on a later page, with its new stamp: shown now, it would come
    twice. An offset page shows it as it is."""
    from decimal import Decimal

    from xmlapi.catalog.listing import Key
    from xmlapi.catalog.pricing import Pricing
    from xmlapi.http.cache import RenderCache
    from xmlapi.http.listing import list_bodies

    product = create_product(client, code="OLD")
    stale = [Key(product, 0)]  # the version its key had before a write
    with app.extensions["xmlapi.engine"].connect() as connection:

        def repr_bytes(item) -> bytes:
            return repr(item).encode()

        def bodies(exact: bool) -> list[bytes]:
            rules = Pricing(False, Decimal(7))
            cache = RenderCache(size=0)
            return list(list_bodies(connection, stale, rules, repr_bytes, cache, exact=exact))

        assert bodies(exact=True) == []
        assert len(bodies(exact=False)) == 1
