"""The organization face's products (spec/products-json-api-orgs.txt): the spec's own
examples through HTTP, every field checked against the published JSON Schema and by
value, the same product in the XML face, paging, tokens, organizations, locks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import update

from tests import images, jsonschemas
from tests.conftest import client_of
from tests.helpers import (
    count_statements,
    create,
    create_locked_product,
    document,
    lock,
    xml,
)
from tests.test_orgs_access import CAROL, other_org  # noqa: F401 (a fixture)
from xmlapi.catalog import organizations
from xmlapi.db import session_scope
from xmlapi.faces.orgs import format, products
from xmlapi.models import Product

ORG = 1
PRODUCTS = f"/api/v2/orgs/{ORG}/products/"

# The spec's POST body (data.json), whole.
SPEC_POST = {
    "code": "ES-4335-64667-7565",
    "commodity_code": "C-1",
    "created_at": "2015-05-14T09:59:44.290553Z",
    "custom_fields": {
        "Special customer type": {"value": "Guest"},
        "Top color": {"value": "Deep purple"},
        "xml": {"type": "application/xml", "value": "<custom>Field</custom>"},
    },
    "description": "T-Shirt Unisex Black",
    "export_type_code": "SIM",
    "image_link": "http://example.com/tshirt.png",
    "joint_production": True,
    "kind": "goods",
    "link": "http://www.test.com/item",
    "net_cost_begin_date": "2014-10-10T06:49:50Z",
    "net_cost_end_date": "2014-10-12T06:49:50Z",
    "origin_country_code": "US",
    "part_number": "PN-3",
    "pick_location": "Some location",
    "preference_criteria_code": "Criteria-5",
    "producer_info_code": "No[2]",
    "quantity": 15,
    "scheduleb_commodity_code": "SCC-5",
    "unit_price": "88.00 USD",
    "unit_weight": "29.00 g",
    "ups": "ups123",
    "ean": "ean123",
    "isbn": "isbn123",
}

# The spec's PATCH body, misspelled key included.
SPEC_PATCH = {
    "image_link": "http://example.com/goods/img-2.png",
    "kind": "goods",
    "origin_countr_code": "CN",
    "quantity": 19,
    "unit_weight": "180 g",
}


@pytest.fixture
def usd(client) -> int:
    return create(
        client, "/api/setup/currencies/", "currency", {"code": "USD", "name": "US dollar"}
    )


def token_for(app, user: str = "alice", organization_id: int | None = None, **kwargs) -> str:
    with session_scope(app.extensions["xmlapi.engine"]) as session:
        token, _row = organizations.create_token(session, user, organization_id, **kwargs)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unlock(client, product_id: int) -> None:
    response = client.open(f"/api/products/{product_id}/", method="UNLOCK")
    assert response.status_code == 200, response.get_data(as_text=True)


def post(client, body: dict, org: int = ORG, **kwargs):
    return client.post(f"/api/v2/orgs/{org}/products/", json=body, **kwargs)


def test_a_product_made_in_xml_reads_in_json(client, usd):
    product_id = create_locked_product(
        client, code="XML-1", description="Mug", sell_price="15.00", currency={"@id": usd}
    )
    stock = "<inventory><available>1</available><reserved>2</reserved></inventory>"
    assert client.put(f"/api/products/{product_id}/inventory/", data=stock).status_code == 200
    response = client.get(f"{PRODUCTS}{product_id}/")
    product = jsonschemas.answer(response, "product.json")
    assert response.headers["ETag"]
    assert product["code"] == "XML-1"
    assert product["description"] == "Mug"
    assert product["unit_price"] == "15.00 USD"
    assert product["quantity"] == 3
    assert product["kind"] is None
    assert product["custom_fields"] == {}
    assert product["url"] == f"{PRODUCTS}{product_id}/"


def test_the_schemas_are_published(client):
    index = jsonschemas.answer(client.get("/api/v2/schemas/"), "schemas.json")
    names = {entry["name"] for entry in index["schemas"]}
    assert {"product.json", "products.json", "error.json", "schemas.json"} <= names
    for entry in index["schemas"]:
        response = client.get(entry["url"])
        assert response.status_code == 200
        assert response.mimetype == "application/schema+json"
        assert response.get_json()["$id"] == entry["name"]
    jsonschemas.error(client.get("/api/v2/schemas/nothing.json"), 404)


def expected_from(body: dict, **changes) -> dict:
    """What the answer shows of a body the spec sends (read-only keys dropped; the
    answer's own formats: weights with 4 decimals)."""
    expected = {k: v for k, v in body.items() if k != "created_at"}
    expected["net_cost_code"] = None
    expected.update(changes)
    return expected


def check_fields(product: dict, expected: dict) -> None:
    for name, value in expected.items():
        assert (name, product[name]) == (name, value)


def test_the_specs_post_creates_the_product_it_shows(client, usd):
    response = post(client, SPEC_POST)
    product = jsonschemas.answer(response, "product.json", 201)
    check_fields(product, expected_from(SPEC_POST, unit_weight="29.0000 g"))
    product_id = int(product["url"].rstrip("/").rsplit("/", 1)[1])
    assert product["url"] == f"{PRODUCTS}{product_id}/"
    assert response.headers["Location"] == product["url"]
    assert product["created_at"] != SPEC_POST["created_at"]  # read-only: the server's
    assert product["source"] == {
        "account": None,
        "channel": None,
        "id": None,
        "name": None,
        "retrieved_at": product["created_at"],
        "updated_at": product["updated_at"],
    }
    again = jsonschemas.answer(client.get(product["url"]), "product.json")
    assert again == product
    assert client.get(product["url"]).headers["ETag"] == response.headers["ETag"]


def test_the_specs_patch_changes_what_it_names_and_ignores_the_misspelled_key(client, usd):
    created = post(client, SPEC_POST).get_json()
    response = client.patch(created["url"], json=SPEC_PATCH)
    product = jsonschemas.answer(response, "product.json")
    check_fields(
        product,
        {
            "image_link": "http://example.com/goods/img-2.png",
            "kind": "goods",
            "origin_country_code": "US",  # origin_countr_code is no field
            "quantity": 19,
            "unit_weight": "180.0000 g",
        },
    )
    unchanged = {k: v for k, v in created.items() if k not in {*SPEC_PATCH, "updated_at", "source"}}
    check_fields(product, unchanged)
    assert product["updated_at"] >= created["updated_at"]
    assert jsonschemas.answer(client.get(created["url"]), "product.json") == product


def product_url(org: int, product_id: int) -> str:
    return f"/api/v2/orgs/{org}/products/{product_id}/"


def id_of(product: dict) -> int:
    return int(product["url"].rstrip("/").rsplit("/", 1)[1])


def minimal(code: str, **fields) -> dict:
    return {"code": code, "kind": "goods", **fields}


# Round trips with the XML face -------------------------------------------------------


def test_a_product_made_in_json_reads_in_xml_and_a_change_in_xml_shows_in_json(client, usd):
    product = post(client, SPEC_POST).get_json()
    product_id = id_of(product)
    root = xml(client.get(f"/api/products/{product_id}/"))
    assert root.findtext("code") == "ES-4335-64667-7565"
    assert root.findtext("description") == "T-Shirt Unisex Black"
    assert root.findtext("sell_price") == "88.00"
    assert root.find("currency").get("id") == str(usd)
    assert root.findtext("inventory/available") == "15.0000000"
    lock(client, product_id)
    changed = document("product", {"description": "Changed in XML", "sell_price": "90.50"})
    assert client.put(f"/api/products/{product_id}/", data=changed).status_code == 200
    unlock(client, product_id)
    again = jsonschemas.answer(client.get(product["url"]), "product.json")
    assert again["description"] == "Changed in XML"
    assert again["unit_price"] == "90.50 USD"
    assert again["custom_fields"] == SPEC_POST["custom_fields"]  # the JSON-only fields stay


def test_image_link_is_the_first_photo_when_none_is_set(app, client, other_org):  # noqa: F811
    product = post(client, minimal("PHOTO")).get_json()
    product_id = id_of(product)
    lock(client, product_id)
    photo_ids = []
    for _ in range(2):
        response = client.post(f"/api/products/{product_id}/add_product_photo/", data=images.jpeg())
        photo_ids.append(int(xml(response).get("id")))
    unlock(client, product_id)
    shown = client.get(product["url"]).get_json()
    assert shown["image_link"] == f"/api/products/{product_id}/images/{photo_ids[0]}/image/"
    # The link answers the image itself, to the organization's tokens as to its users.
    assert client.get(shown["image_link"]).content_type == "image/jpeg"
    anonymous = client_of(app, None)
    by_token = anonymous.get(shown["image_link"], headers=bearer(token_for(app)))
    assert (by_token.status_code, by_token.content_type) == (200, "image/jpeg")
    assert by_token.data == client.get(shown["image_link"]).data
    elsewhere = token_for(app, CAROL, other_org)  # a token of another organization
    assert anonymous.get(shown["image_link"], headers=bearer(elsewhere)).status_code == 404
    patched = client.patch(product["url"], json={"image_link": "http://example.com/i.png"})
    assert patched.get_json()["image_link"] == "http://example.com/i.png"


def test_the_stock_on_hand_is_what_quantity_sets_other_levels_kept(client):
    product_id = create_locked_product(client, code="STOCK")
    stock = "<inventory><available>1</available><reserved>2</reserved></inventory>"
    assert client.put(f"/api/products/{product_id}/inventory/", data=stock).status_code == 200
    unlock(client, product_id)
    url = product_url(ORG, product_id)
    assert client.get(url).get_json()["quantity"] == 3
    assert client.patch(url, json={"quantity": 10}).get_json()["quantity"] == 10
    levels = xml(client.get(f"/api/products/{product_id}/inventory/"))
    assert (levels.findtext("available"), levels.findtext("reserved")) == (
        "8.0000000",
        "2.0000000",
    )
    refused = jsonschemas.error(client.patch(url, json={"quantity": 1}), 400)
    assert list(refused) == ["quantity"]
    assert client.get(url).get_json()["quantity"] == 10


def test_a_serialized_products_stock_follows_its_serials(client):
    product_id = create_locked_product(client, code="SER", flags={"serialized": "true"})
    unlock(client, product_id)
    errors = jsonschemas.error(
        client.patch(product_url(ORG, product_id), json={"quantity": 4}), 400
    )
    assert list(errors) == ["quantity"]
    assert client.get(product_url(ORG, product_id)).get_json()["quantity"] == 0


def test_a_fraction_of_stock_is_a_json_number(client):
    body = '{"code": "HALF", "kind": "goods", "quantity": 2.5}'
    response = client.post(PRODUCTS, data=body, content_type="application/json")
    product = jsonschemas.answer(response, "product.json", 201)
    assert product["quantity"] == 2.5
    assert format.number(Decimal("12345678901.1234567")) == "12345678901.1234567"


def test_datetimes_keep_microseconds_and_default_to_utc(client):
    body = minimal(
        "DATES",
        net_cost_begin_date="2014-10-10T06:49:50.123456+02:00",
        net_cost_end_date="2014-10-12T06:49:50",
    )
    product = jsonschemas.answer(post(client, body), "product.json", 201)
    assert product["net_cost_begin_date"] == "2014-10-10T04:49:50.123456Z"
    assert product["net_cost_end_date"] == "2014-10-12T06:49:50Z"


def test_an_unknown_currency_is_a_400_naming_unit_price_and_nothing_is_stored(client, usd):
    errors = jsonschemas.error(post(client, minimal("CUR", unit_price="1.00 XYZ")), 400)
    assert list(errors) == ["unit_price"]
    assert client.get(PRODUCTS).get_json()["count"] == 0
    assert post(client, minimal("CUR", unit_price="1.00 usd")).get_json()["unit_price"] == (
        "1.00 USD"
    )


def test_kind_is_required_on_post_and_cannot_be_cleared(client):
    errors = jsonschemas.error(post(client, {"code": "NOKIND"}), 400)
    assert list(errors) == ["kind"]
    errors = jsonschemas.error(post(client, {"code": "BADKIND", "kind": "gift"}), 400)
    assert list(errors) == ["kind"]
    product = post(client, minimal("KIND")).get_json()
    assert jsonschemas.error(client.patch(product["url"], json={"kind": None}), 400) == {
        "kind": ["May not be null."]
    }


def test_a_duplicate_code_is_a_409_naming_code(client):
    post(client, minimal("TWICE"))
    errors = jsonschemas.error(post(client, minimal("TWICE")), 409)
    assert list(errors) == ["code"]


def test_delete_answers_204_and_the_product_is_gone_from_both_faces(client):
    product = post(client, minimal("GONE")).get_json()
    response = client.delete(product["url"])
    assert response.status_code == 204
    assert response.get_data() == b""
    jsonschemas.error(client.get(product["url"]), 404)
    assert client.get(f"/api/products/{id_of(product)}/").status_code == 404
    jsonschemas.error(client.delete(product["url"]), 404)


# Preconditions -------------------------------------------------------------------------


def test_etag_if_none_match_and_if_match(client):
    product = post(client, minimal("TAG")).get_json()
    first = client.get(product["url"])
    tag = first.headers["ETag"]
    assert client.get(product["url"], headers={"If-None-Match": tag}).status_code == 304
    stale = client.patch(product["url"], json={"description": "a"}, headers={"If-Match": tag})
    assert stale.status_code == 200
    new_tag = stale.headers["ETag"]
    assert new_tag != tag
    refused = client.patch(product["url"], json={"description": "b"}, headers={"If-Match": tag})
    assert jsonschemas.error(refused, 412)["type"] == "precondition.failed"
    assert refused.headers["ETag"] == new_tag
    assert client.get(product["url"]).get_json()["description"] == "a"
    jsonschemas.error(client.delete(product["url"], headers={"If-Match": tag}), 412)
    assert client.delete(product["url"], headers={"If-Match": new_tag}).status_code == 204


# Locks of the XML face -----------------------------------------------------------------


def test_writes_need_no_lock_but_one_held_by_another_session_is_423(app, client):
    product = post(client, minimal("LOCKED")).get_json()
    bob = client_of(app, "bob")
    lock(bob, id_of(product))
    for response in (
        client.patch(product["url"], json={"description": "x"}),
        client.delete(product["url"]),
    ):
        error = jsonschemas.error(response, 423)
        assert error["type"] == "lock.held"
        assert "until 20" in error["detail"]  # when it expires
    assert client.get(product["url"]).get_json()["description"] is None
    unlock(bob, id_of(product))
    assert client.patch(product["url"], json={"description": "x"}).status_code == 200


def test_a_session_that_holds_the_lock_writes_through_json(client):
    product = post(client, minimal("MINE")).get_json()
    lock(client, id_of(product))
    assert client.patch(product["url"], json={"description": "x"}).status_code == 200


# Lists ---------------------------------------------------------------------------------


def test_the_list_pages_by_limit_and_offset_with_full_urls(client):
    ids = [id_of(post(client, minimal(f"L{i}")).get_json()) for i in range(5)]
    page = jsonschemas.answer(client.get(f"{PRODUCTS}?limit=2"), "products.json")
    assert page["count"] == 5
    assert [id_of(p) for p in page["results"]] == ids[:2]
    assert page["previous"] is None
    assert page["next"] == f"http://localhost{PRODUCTS}?limit=2&offset=2"
    second = jsonschemas.answer(client.get(page["next"]), "products.json")
    assert [id_of(p) for p in second["results"]] == ids[2:4]
    assert second["previous"] == f"http://localhost{PRODUCTS}?limit=2&offset=0"
    last = jsonschemas.answer(client.get(second["next"]), "products.json")
    assert [id_of(p) for p in last["results"]] == ids[4:]
    assert last["next"] is None
    whole = jsonschemas.answer(client.get(PRODUCTS), "products.json")
    assert [id_of(p) for p in whole["results"]] == ids
    assert whole["results"][0] == client.get(whole["results"][0]["url"]).get_json()


def test_the_list_filters_by_updated_at(client, engine):
    old = post(client, minimal("OLD")).get_json()
    new = post(client, minimal("NEW")).get_json()
    with engine.begin() as connection:
        connection.execute(
            update(Product)
            .where(Product.id == id_of(old))
            .values(modified=dt.datetime(2016, 9, 26, 7, 45, 13, tzinfo=dt.UTC))
        )
    for since in ("2016-09-26T07:45:14Z", "2016-09-26T07:45:14", "2016-09-26T09:45:14+02:00"):
        page = jsonschemas.answer(
            client.get(PRODUCTS, query_string={"updated_at__gte": since}), "products.json"
        )
        assert [p["code"] for p in page["results"]] == ["NEW"], since
    # The "+" of an offset sent unencoded arrives as a space; it is read as the "+" it was.
    for since in ("2016-09-26T09:45:14+02:00", "2016-09-26T09:45:14.000001+0200"):
        page = client.get(f"{PRODUCTS}?updated_at__gte={since}")
        assert [p["code"] for p in page.get_json()["results"]] == ["NEW"], since
    page = client.get(PRODUCTS, query_string={"updated_at__gte": "2016-09-26T07:45:13Z"})
    assert page.get_json()["count"] == 2
    assert new["code"] == "NEW"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=-1", "limit"),
        ("limit=x", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999999999999", "offset"),
        ("offset=%EF%BC%91", "offset"),  # a full-width digit
        ("updated_at__gte=yesterday", "updated_at__gte"),
        ("updated_at__gte=2016-13-01T00:00:00Z", "updated_at__gte"),
        ("updated_at__gte=0001-01-01T00:00:00%2B14:00", "updated_at__gte"),
        ("updated_at__gte=9999-12-31T23:59:59-14:00", "updated_at__gte"),
        ("updated_at__gte=2016-09-26T09:45:14 02:00x", "updated_at__gte"),
    ],
)
def test_a_bad_list_parameter_is_a_400_naming_it(client, query, field):
    errors = jsonschemas.error(client.get(f"{PRODUCTS}?{query}"), 400)
    assert list(errors) == [field]


def test_a_page_costs_the_same_statements_whatever_its_size(app, client, engine):
    for i in range(50):
        post(client, minimal(f"N{i}", unit_weight="1 kg", custom_fields={"a": {"value": "b"}}))
    app_engine = app.extensions["xmlapi.engine"]

    def statements(path: str) -> int:
        return count_statements(
            app_engine, lambda: jsonschemas.answer(client.get(path), "products.json")
        )

    cold, warm = {}, {}
    for size in (1, 5, 50):
        products.init_app(app)  # an empty cache
        cold[size] = statements(f"{PRODUCTS}?limit={size}")
        warm[size] = statements(f"{PRODUCTS}?limit={size}")
    assert cold[1] == cold[5] == cold[50], cold
    assert warm[1] == warm[5] == warm[50] == cold[1] - 1, warm
    page = client.get(f"{PRODUCTS}?limit=50").get_json()
    products.init_app(app)  # an empty cache
    assert client.get(f"{PRODUCTS}?limit=50").get_json() == page
    url = page["results"][0]["url"]
    assert client.get(url).status_code == 200  # the worker knows the product's organization
    detail = count_statements(
        app_engine, lambda: jsonschemas.answer(client.get(url), "product.json")
    )
    assert detail == warm[1] - 1, (detail, warm)  # the tag; the document is cached


def test_a_write_in_another_worker_is_seen_at_once(client, make_app, app):
    product = post(client, minimal("SEEN")).get_json()
    assert client.get(f"{PRODUCTS}?limit=5").get_json()["results"][0]["description"] is None
    other = client_of(make_app(app.extensions["xmlapi.settings"]))
    assert other.patch(product["url"], json={"description": "new"}).status_code == 200
    assert client.get(product["url"]).get_json()["description"] == "new"
    assert client.get(f"{PRODUCTS}?limit=5").get_json()["results"][0]["description"] == "new"
