"""Hostile input to the organization face: every field with values it cannot take,
odd characters, huge numbers, huge bodies, wrong types. Always a JSON error naming
what was wrong (400 for a value), never a 500, and nothing stored."""

from __future__ import annotations

import pytest

from tests import jsonschemas

PRODUCTS = "/api/v2/orgs/1/products/"
TEXT_FIELDS = (
    "code",
    "description",
    "part_number",
    "image_link",
    "link",
    "pick_location",
    "origin_country_code",
    "commodity_code",
    "net_cost_code",
    "producer_info_code",
    "preference_criteria_code",
    "scheduleb_commodity_code",
    "export_type_code",
    "ups",
    "ean",
    "isbn",
)
LIMITS = {"code": 1023, "description": 4096, "image_link": 4096, "link": 4096}
LIMITS["origin_country_code"] = 64

BAD_VALUES = [
    *((name, 12) for name in TEXT_FIELDS),
    *((name, ["a"]) for name in TEXT_FIELDS),
    *((name, "a\x00b") for name in TEXT_FIELDS),
    *((name, "bell\x07") for name in TEXT_FIELDS),
    *((name, "x" * (LIMITS.get(name, 255) + 1)) for name in TEXT_FIELDS),
    ("kind", "gift"),
    ("kind", 1),
    ("kind", ""),
    ("quantity", -1),
    ("quantity", "15"),
    ("quantity", True),
    ("quantity", 10**11),
    ("quantity", 10**400),
    ("quantity", {"a": 1}),
    ("unit_price", "88.00 ZZZ"),
    ("unit_price", "88.00 US"),
    ("unit_price", "88.00USD dollars"),
    ("unit_price", 88),
    ("unit_price", "1e5 USD"),
    ("unit_price", "NaN USD"),
    ("unit_price", "9" * 17 + " USD"),
    ("unit_price", "9999999999999999.995 USD"),  # fits until rounded to cents
    ("unit_price", "9" * 5000 + " USD"),
    ("unit_price", "١٢ USD"),  # Arabic-Indic digits
    ("unit_weight", "180 stone"),
    ("unit_weight", "-1 g"),
    ("unit_weight", "g"),
    ("unit_weight", 180),
    ("unit_weight", "1" * 15 + " g"),
    ("joint_production", "true"),
    ("joint_production", 1),
    ("net_cost_begin_date", "2014-02-30T00:00:00Z"),
    ("net_cost_begin_date", "tomorrow"),
    ("net_cost_begin_date", 1412923790),
    ("net_cost_end_date", "0001-01-01T00:00:00+01:00"),
    ("net_cost_end_date", "2014-10-10T06:49:50" + "0" * 100),
    ("custom_fields", []),
    ("custom_fields", "a"),
    ("custom_fields", {"a": "b"}),
    ("custom_fields", {"a": {}}),
    ("custom_fields", {"a": {"value": 1}}),
    ("custom_fields", {"a": {"value": "v", "type": 1}}),
    ("custom_fields", {"a": {"value": "\x00"}}),
    ("custom_fields", {"": {"value": "v"}}),
    ("custom_fields", {"n\x00": {"value": "v"}}),
    ("custom_fields", {"x" * 256: {"value": "v"}}),
    ("custom_fields", {f"f{i}": {"value": "v"} for i in range(101)}),
    ("custom_fields", {"a": {"value": "x" * 65537}}),
]


def _count(client) -> int:
    return client.get(PRODUCTS).get_json()["count"]


@pytest.fixture
def product_url(client) -> str:
    response = client.post(PRODUCTS, json={"code": "KEPT", "kind": "goods"})
    return response.get_json()["url"]


def test_a_bad_value_is_a_400_naming_its_field_on_post_and_patch(client, product_url, subtests):
    # Subtests on one product: each case changes nothing, which is what it checks, and
    # the product (with a login) was most of a case's time as a test of its own.
    for field, value in BAD_VALUES:
        with subtests.test(field=field, value=repr(value)[:40]):
            before = client.get(product_url).get_json()
            response = client.post(PRODUCTS, json={"code": "NEW", "kind": "goods", field: value})
            assert list(jsonschemas.error(response, 400)) == [field]
            response = client.patch(product_url, json={field: value})
            assert list(jsonschemas.error(response, 400)) == [field]
            assert client.get(product_url).get_json() == before
            assert _count(client) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"code": "\\ud800", "kind": "goods"}', 400),  # a lone surrogate
        (b'{"code": "a", "kind": "goods", "quantity": NaN}', 400),
        (b'{"code": "a", "kind": "goods", "quantity": 1' + b"0" * 5000 + b"}", 400),
        (b"[1, 2]", 400),
        (b"null", 400),
        (b"{", 400),
        (b"\xff\xfe", 400),
        (b'{"a": ' * 40 + b"1" + b"}" * 40, 400),
        (b'{"code": "' + b"x" * (10 * 1024 * 1024) + b'", "kind": "goods"}', 413),
    ],
    ids=lambda v: repr(v)[:30],
)
def test_a_broken_document_is_a_json_error_and_nothing_is_stored(client, product_url, body, status):
    for method, url in (("POST", PRODUCTS), ("PATCH", product_url)):
        response = client.open(url, method=method, data=body, content_type="application/json")
        jsonschemas.error(response, status)
    assert _count(client) == 1


def test_another_media_type_is_415(client, product_url):
    response = client.patch(product_url, data=b"<product/>", content_type="application/xml")
    assert jsonschemas.error(response, 415)["type"] == "media.unsupported"


def test_odd_but_valid_text_is_kept_exactly(client):
    odd = "Ünïcødé 😀 <b>&amp;</b> ' \" \\ \t\n Robert'); DROP TABLE products;--"
    body = {
        "code": odd[:40],
        "kind": "goods",
        "description": odd,
        "custom_fields": {odd: {"value": odd, "type": odd}},
    }
    product = jsonschemas.answer(client.post(PRODUCTS, json=body), "product.json", 201)
    assert product["description"] == odd
    assert product["custom_fields"] == {odd: {"value": odd, "type": odd}}
    assert client.get(product["url"]).get_json()["custom_fields"] == {
        odd: {"value": odd, "type": odd}
    }
    assert client.get(f"/api/products/{product['url'].split('/')[-2]}/").status_code == 200


def test_the_largest_values_that_fit_are_kept(client):
    body = {
        "code": "BIG",
        "kind": "adjustment",
        "quantity": 10**11 - 1,
        "unit_price": "-9999999999999999.99",
        "unit_weight": "99999999999999.9999 LBS",
    }
    product = jsonschemas.answer(client.post(PRODUCTS, json=body), "product.json", 201)
    assert product["quantity"] == 10**11 - 1
    assert product["unit_price"] == "-9999999999999999.99"
    assert product["unit_weight"] == "99999999999999.9999 lbs"


@pytest.mark.parametrize("product_id", ["2147483648", "99999999999999999999", "0", "1x"])
def test_product_ids_out_of_range_are_404_on_every_method(client, product_id):
    for method in ("GET", "PATCH", "DELETE"):
        response = client.open(f"{PRODUCTS}{product_id}/", method=method, json={})
        jsonschemas.error(response, 404)
