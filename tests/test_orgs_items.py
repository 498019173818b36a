"""Orders, boxes and box items of the organization face (spec/box-items-json-api.txt):
the spec's own examples through HTTP with every field of the answers checked against
the published JSON Schemas and by value; items filled from the catalog; organizations
kept apart; hostile input; constant statements per page."""

from __future__ import annotations

import pytest

from tests import jsonschemas
from tests.helpers import count_statements, create
from xmlapi.catalog import organizations
from xmlapi.db import session_scope
from xmlapi.models import Membership, User

ORG = 1
ORDERS = f"/api/v2/orgs/{ORG}/orders/"
INSTANT = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$"

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

# The spec's answer to that POST, but for what the server decides (times, url).
SPEC_POST_ANSWER = {
    **{k: v for k, v in SPEC_POST.items() if k != "created_at"},
    "net_cost_code": None,
    "unit_weight": "29.0000 g",
}

# The item the spec's GET examples show (as a POST body: read-only fields left out).
SPEC_ITEM = {
    "code": "1",
    "commodity_code": "C-1",
    "custom_fields": {},
    "description": "Item Description",
    "export_type_code": "SIM",
    "image_link": None,
    "joint_production": True,
    "kind": None,
    "link": "http://box.url",
    "net_cost_begin_date": "2013-07-11T20:49:00Z",
    "net_cost_code": "NCC",
    "net_cost_end_date": "2013-07-11T20:49:00Z",
    "origin_country_code": "US",
    "part_number": "PN-1",
    "pick_location": "Some location",
    "preference_criteria_code": "Criteria-5",
    "producer_info_code": "Yes",
    "quantity": 3,
    "scheduleb_commodity_code": "SCC-5",
    "unit_price": "15.00 USD",
    "unit_weight": "170.0000 g",
    "ups": "ups123",
    "ean": "ean123",
    "isbn": "isbn123",
}

# The spec's PATCH body, misspelled key included, and what its answer changes.
SPEC_PATCH = {
    "custom_fields": {"Operator": {"value": "smooth"}},
    "image_link": "http://example.com/goods/img-2.png",
    "kind": "goods",
    "origin_countr_code": "CN",
    "quantity": 19,
    "unit_weight": "180 g",
}
SPEC_PATCH_ANSWER = {
    **SPEC_ITEM,
    "custom_fields": {"Operator": {"value": "smooth"}},
    "image_link": "http://example.com/goods/img-2.png",
    "kind": "goods",
    "quantity": 19,
    "unit_weight": "180.0000 g",
}


# Helpers --------------------------------------------------------------------------------


def new_order(client, number: str = "SO-1", org: int = ORG) -> dict:
    response = client.post(f"/api/v2/orgs/{org}/orders/", json={"number": number})
    return jsonschemas.answer(response, "order.json", 201)


def new_box(client, order: dict) -> dict:
    return jsonschemas.answer(client.post(order["boxes"]), "box.json", 201)


def new_item(client, box: dict, body: dict) -> dict:
    return jsonschemas.answer(client.post(box["items"], json=body), "item.json", 201)


@pytest.fixture
def box(client) -> dict:
    return new_box(client, new_order(client))


@pytest.fixture
def usd(client) -> int:
    return create(
        client, "/api/setup/currencies/", "currency", {"code": "USD", "name": "US dollar"}
    )


def check_times(document: dict) -> None:
    import re

    assert re.match(INSTANT, document["created_at"])
    assert re.match(INSTANT, document["updated_at"])


def without_server_fields(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in ("created_at", "updated_at", "url")}


# The spec's examples --------------------------------------------------------------------


def test_the_specs_post_answers_the_specs_item(client, box):
    response = client.post(box["items"], json=SPEC_POST)
    item = jsonschemas.answer(response, "item.json", 201)
    assert without_server_fields(item) == SPEC_POST_ANSWER
    assert item["url"].startswith(box["items"]) and item["url"].endswith("/")
    assert response.headers["Location"] == item["url"]
    check_times(item)
    assert item["created_at"] == item["updated_at"]
    assert item["created_at"] != SPEC_POST["created_at"]  # read-only: the server's time
    again = jsonschemas.answer(client.get(item["url"]), "item.json")
    assert again == item


def test_the_specs_get_examples_read_back_whole(client, box):
    item = new_item(client, box, SPEC_ITEM)
    assert without_server_fields(item) == SPEC_ITEM
    page = jsonschemas.answer(client.get(box["items"]), "items.json")
    assert page == {"count": 1, "next": None, "previous": None, "results": [item]}


def test_the_specs_patch_changes_what_it_names_and_ignores_the_misspelled_key(client, box):
    item = new_item(client, box, SPEC_ITEM)
    response = client.patch(item["url"], json=SPEC_PATCH)
    changed = jsonschemas.answer(response, "item.json")
    assert without_server_fields(changed) == SPEC_PATCH_ANSWER
    assert changed["url"] == item["url"]
    assert changed["created_at"] == item["created_at"]
    assert changed["updated_at"] > item["updated_at"]
    assert jsonschemas.answer(client.get(item["url"]), "item.json") == changed


def test_an_item_is_deleted(client, box):
    item = new_item(client, box, SPEC_ITEM)
    response = client.delete(item["url"])
    assert response.status_code == 204 and response.data == b""
    jsonschemas.error(client.get(item["url"]), 404)
    jsonschemas.error(client.delete(item["url"]), 404)
    assert jsonschemas.answer(client.get(box["items"]), "items.json")["count"] == 0


def test_a_custom_field_is_read_whole(client, box):
    fields = {
        "ENDICIA_LABEL": {"value": "there is some data", "type": "text/plain"},
        "label/2 ü": {"value": "aGk=", "type": "image/png", "encoding": "base64"},
    }
    item = new_item(client, box, {"quantity": 1, "custom_fields": fields})
    assert item["custom_fields"] == fields
    response = client.get(item["url"] + "custom-fields/ENDICIA_LABEL/")
    assert jsonschemas.answer(response, "custom_field.json") == {
        "name": "ENDICIA_LABEL",
        "value": "there is some data",
        "type": "text/plain",
        "encoding": None,
    }
    response = client.get(item["url"] + "custom-fields/label%2F2%20%C3%BC/")
    assert jsonschemas.answer(response, "custom_field.json") == {
        "name": "label/2 ü",
        "value": "aGk=",
        "type": "image/png",
        "encoding": "base64",
    }
    jsonschemas.error(client.get(item["url"] + "custom-fields/endicia_label/"), 404)


def test_quantity_is_required_on_post_and_may_not_be_cleared(client, box):
    body = {k: v for k, v in SPEC_POST.items() if k != "quantity"}
    error = jsonschemas.error(client.post(box["items"], json=body), 400)
    assert list(error) == ["quantity"]
    item = new_item(client, box, {"quantity": 1})
    assert without_server_fields(item) == {
        **{name: None for name in SPEC_ITEM},
        "quantity": 1,
        "custom_fields": {},
    }
    error = jsonschemas.error(client.patch(item["url"], json={"quantity": None}), 400)
    assert list(error) == ["quantity"]


# Orders and boxes -----------------------------------------------------------------------


def test_orders_are_created_listed_read_and_deleted(client):
    first = new_order(client, "SO-1")
    assert first["number"] == "SO-1"
    assert first["boxes"] == first["url"] + "boxes/"
    check_times(first)
    assert jsonschemas.answer(client.get(first["url"]), "order.json") == first
    second = new_order(client, "SO-2")
    page = jsonschemas.answer(client.get(ORDERS + "?limit=1"), "orders.json")
    assert page["count"] == 2 and page["results"] == [first]
    assert page["previous"] is None
    assert page["next"] == f"http://localhost{ORDERS}?limit=1&offset=1"
    following = jsonschemas.answer(client.get(page["next"]), "orders.json")
    assert following["results"] == [second] and following["next"] is None
    assert following["previous"] == f"http://localhost{ORDERS}?limit=1&offset=0"
    assert client.delete(first["url"]).status_code == 204
    jsonschemas.error(client.get(first["url"]), 404)
    assert jsonschemas.answer(client.get(ORDERS), "orders.json")["results"] == [second]


def test_an_order_number_is_required_and_unique(client):
    new_order(client, "SO-1")
    error = jsonschemas.error(client.post(ORDERS, json={"number": "SO-1"}), 409)
    assert list(error) == ["number"]
    for body in ({}, {"number": None}, {"number": ""}, {"number": 12}, {"number": "x" * 256}):
        error = jsonschemas.error(client.post(ORDERS, json=body), 400)
        assert list(error) == ["number"], body
    assert jsonschemas.answer(client.get(ORDERS), "orders.json")["count"] == 1


def test_boxes_are_created_listed_read_and_deleted(client):
    order = new_order(client)
    box = new_box(client, order)
    assert box["order"] == order["url"]
    assert box["items"] == box["url"] + "items/"
    assert box["url"].startswith(order["boxes"])
    assert jsonschemas.answer(client.get(box["url"]), "box.json") == box
    page = jsonschemas.answer(client.get(order["boxes"]), "boxes.json")
    assert page == {"count": 1, "next": None, "previous": None, "results": [box]}
    assert client.delete(box["url"]).status_code == 204
    jsonschemas.error(client.get(box["url"]), 404)
    jsonschemas.error(client.post(order["boxes"], data="[1]"), 400)


def test_deleting_an_order_deletes_its_boxes_and_items(client, box):
    item = new_item(client, box, SPEC_ITEM)
    assert client.delete(box["order"]).status_code == 204
    for url in (box["url"], box["items"], item["url"], item["url"] + "custom-fields/x/"):
        jsonschemas.error(client.get(url), 404)


def test_a_box_is_reached_only_under_its_own_order(client, box):
    item = new_item(client, box, SPEC_ITEM)
    other = new_order(client, "SO-2")
    wrong_box = box["url"].replace(box["order"], other["url"])
    wrong_item = item["url"].replace(box["order"], other["url"])
    for url in (wrong_box, wrong_box + "items/", wrong_item, wrong_item + "custom-fields/x/"):
        jsonschemas.error(client.get(url), 404)
    jsonschemas.error(client.patch(wrong_item, json={"quantity": 5}), 404)
    jsonschemas.error(client.delete(wrong_item), 404)
    jsonschemas.error(client.delete(wrong_box), 404)
    jsonschemas.error(client.post(wrong_box + "items/", json={"quantity": 1}), 404)
    assert jsonschemas.answer(client.get(item["url"]), "item.json") == item


# Filled from the catalog ----------------------------------------------------------------


def test_an_item_posted_with_a_code_alone_is_a_copy_of_the_product(client, box, usd):
    product_body = {**SPEC_POST, "quantity": 40}
    response = client.post(f"/api/v2/orgs/{ORG}/products/", json=product_body)
    product = jsonschemas.answer(response, "product.json", 201)
    item = new_item(client, box, {"code": SPEC_POST["code"], "quantity": 2})
    expected = {**SPEC_POST_ANSWER, "quantity": 2}
    assert without_server_fields(item) == expected
    change = {"description": "Changed", "unit_price": "1.00 USD", "custom_fields": {}}
    assert client.patch(product["url"], json=change).status_code == 200
    assert jsonschemas.answer(client.get(item["url"]), "item.json") == item
    assert client.delete(product["url"]).status_code == 204
    assert jsonschemas.answer(client.get(item["url"]), "item.json") == item


def test_a_product_made_in_xml_fills_an_item_too(client, box, usd):
    xml_product = "<product><code>XML-1</code><description>Mug</description>"
    xml_product += f'<sell_price>4.50</sell_price><currency id="{usd}"/></product>'
    response = client.post("/api/products/", data=xml_product)
    assert response.status_code == 201, response.data
    item = new_item(client, box, {"code": "XML-1", "quantity": 1})
    assert (item["description"], item["unit_price"], item["kind"]) == ("Mug", "4.50 USD", None)


def test_an_unknown_code_alone_is_a_field_error(client, box):
    error = jsonschemas.error(client.post(box["items"], json={"code": "NOPE", "quantity": 1}), 400)
    assert list(error) == ["code"]
    assert jsonschemas.answer(client.get(box["items"]), "items.json")["count"] == 0


# Organizations --------------------------------------------------------------------------


@pytest.fixture
def other(app):
    """A second organization with a member of its own; a client with her token."""
    with session_scope(app.extensions["xmlapi.engine"]) as session:
        organization = organizations.create_organization(session, "Other")
        user = User(name="carol", password_hash="!")
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, organization_id=organization.id))
        session.flush()
        token, _row = organizations.create_token(session, "carol", organization.id)
        org_id = organization.id
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return org_id, client


def test_another_organization_neither_sees_nor_changes_anything(client, box, other):
    org_id, carol = other
    item = new_item(client, box, SPEC_ITEM)
    urls = [box["order"], box["url"], box["items"], item["url"], item["url"] + "custom-fields/x/"]
    deletable = [box["order"], box["url"], item["url"]]
    for url in urls:
        jsonschemas.error(carol.get(url), 404)
    for url in deletable:
        jsonschemas.error(carol.delete(url), 404)
    jsonschemas.error(carol.patch(item["url"], json={"quantity": 5}), 404)
    jsonschemas.error(carol.post(box["items"], json={"quantity": 1}), 404)
    jsonschemas.error(carol.post(box["order"] + "boxes/"), 404)
    # Her own organization in the URL, alice's ids under it.
    for url in urls:
        jsonschemas.error(carol.get(url.replace(f"/orgs/{ORG}/", f"/orgs/{org_id}/")), 404)
    for url in deletable:
        jsonschemas.error(carol.delete(url.replace(f"/orgs/{ORG}/", f"/orgs/{org_id}/")), 404)
    mine = new_order(carol, "SO-1", org=org_id)  # the same number: numbers are per org
    assert jsonschemas.answer(carol.get(f"/api/v2/orgs/{org_id}/orders/"), "orders.json")[
        "results"
    ] == [mine]
    jsonschemas.error(client.get(mine["url"]), 404)
    assert jsonschemas.answer(client.get(ORDERS), "orders.json")["count"] == 1
    assert jsonschemas.answer(client.get(item["url"]), "item.json") == item


def test_a_read_only_token_reads_but_does_not_write(app, client, box):
    with session_scope(app.extensions["xmlapi.engine"]) as session:
        token, _row = organizations.create_token(session, "alice", ORG, read_only=True)
    reader = app.test_client()
    reader.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    assert reader.get(box["items"] + f"?bearer_token={token}").status_code == 200
    jsonschemas.error(reader.post(box["items"], json={"quantity": 1}), 403)
    jsonschemas.error(reader.post(ORDERS, json={"number": "SO-9"}), 403)
    jsonschemas.error(reader.delete(box["url"]), 403)


def test_anonymous_callers_are_refused(anonymous, client, box):
    jsonschemas.error(anonymous.get(box["items"]), 401)
    jsonschemas.error(anonymous.post(ORDERS, json={"number": "x"}), 401)


# Hostile input --------------------------------------------------------------------------

CUSTOM = "custom_fields"
BAD_ITEMS = [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -1}, "quantity"),
    ({"quantity": 2**31}, "quantity"),
    ({"quantity": 2**70}, "quantity"),
    ({"quantity": 10**400}, "quantity"),
    ({"quantity": 1.5}, "quantity"),
    ({"quantity": "3"}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"quantity": 1, "kind": "toys"}, "kind"),
    ({"quantity": 1, "unit_price": "1e999 USD"}, "unit_price"),
    ({"quantity": 1, "unit_price": "99999999999999999 USD"}, "unit_price"),
    ({"quantity": 1, "unit_price": "12 dollars"}, "unit_price"),
    ({"quantity": 1, "unit_price": 12}, "unit_price"),
    ({"quantity": 1, "unit_weight": "5 stone"}, "unit_weight"),
    ({"quantity": 1, "unit_weight": "-5 g"}, "unit_weight"),
    ({"quantity": 1, "unit_weight": "1" * 30 + " g"}, "unit_weight"),
    ({"quantity": 1, "description": "nul\u0000byte"}, "description"),
    ({"quantity": 1, "description": "lone \ud800"}, "description"),
    ({"quantity": 1, "description": "x" * 4097}, "description"),
    ({"quantity": 1, "code": "x" * 1024}, "code"),
    ({"quantity": 1, "joint_production": "yes"}, "joint_production"),
    ({"quantity": 1, "net_cost_begin_date": "yesterday"}, "net_cost_begin_date"),
    ({"quantity": 1, "net_cost_end_date": "99999-01-01T00:00:00Z"}, "net_cost_end_date"),
    ({"quantity": 1, "custom_fields": []}, "custom_fields"),
    ({"quantity": 1, "custom_fields": {"a": "b"}}, "custom_fields"),
    ({"quantity": 1, "custom_fields": {"a": {"type": "t"}}}, "custom_fields"),
    ({"quantity": 1, "custom_fields": {"a": {"value": 5}}}, "custom_fields"),
    ({"quantity": 1, "custom_fields": {"": {"value": "v"}}}, "custom_fields"),
    ({"quantity": 1, "custom_fields": {"a\u0007": {"value": "v"}}}, "custom_fields"),
    (
        {"quantity": 1, "custom_fields": {str(n): {"value": "v"} for n in range(101)}},
        "custom_fields",
    ),
]


@pytest.mark.parametrize(
    ("body", "field"), BAD_ITEMS, ids=[f"{field}-{n}" for n, (_b, field) in enumerate(BAD_ITEMS)]
)
def test_a_bad_item_is_a_400_naming_the_field_and_changes_nothing(client, box, body, field):
    error = jsonschemas.error(client.post(box["items"], json=body), 400)
    assert list(error) == [field]
    item = new_item(client, box, SPEC_ITEM)
    patch = {k: v for k, v in body.items() if k == field}
    error = jsonschemas.error(client.patch(item["url"], json=patch), 400)
    assert list(error) == [field]
    assert jsonschemas.answer(client.get(item["url"]), "item.json") == item
    assert jsonschemas.answer(client.get(box["items"]), "items.json")["count"] == 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{", "application/json"),
        (b"[]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'{"quantity": NaN}', "application/json"),
        (b"[" * 100 + b"]" * 100, "application/json"),
    ],
)
def test_a_body_that_is_no_json_object_is_a_400(client, box, body, content_type):
    response = client.post(box["items"], data=body, content_type=content_type)
    jsonschemas.error(response, 400)
    jsonschemas.error(client.post(ORDERS, data=body, content_type=content_type), 400)


def test_other_media_types_and_huge_bodies_are_refused(client, box):
    jsonschemas.error(client.post(box["items"], data="<item/>", content_type="text/xml"), 415)
    huge = {"quantity": 1, "description": "x" * (2 * 1024 * 1024)}
    jsonschemas.error(client.post(box["items"], json=huge), 413)


@pytest.mark.parametrize(
    "path",
    [
        "orders/99999/",
        "orders/2147483648/",
        "orders/99999999999999999999999/",
        "orders/-1/",
        "orders/abc/",
        "orders/1/boxes/99999/items/",
        "orders/1/boxes/1/items/99999/",
        "orders/1/boxes/1/items/1/custom-fields/%00/",
    ],
)
def test_wrong_ids_are_404s_in_json(client, box, path):
    jsonschemas.error(client.get(f"/api/v2/orgs/{ORG}/{path}"), 404)


@pytest.mark.parametrize("org", ["2", "99999", "2147483648", "0"])
def test_an_organization_the_caller_is_no_member_of_is_a_404(client, org):
    jsonschemas.error(client.get(f"/api/v2/orgs/{org}/orders/"), 404)
    jsonschemas.error(client.post(f"/api/v2/orgs/{org}/orders/", json={"number": "x"}), 404)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "limit=x", "offset=-1", "offset=99999999999999999999"]
)
def test_bad_paging_is_a_400(client, box, query):
    for url in (ORDERS, box["order"] + "boxes/", box["items"]):
        error = jsonschemas.error(client.get(f"{url}?{query}"), 400)
        assert list(error) == [query.split("=")[0]]


def test_odd_characters_are_kept_as_given(client, box):
    odd = "Zürich 🚚 'quoted' \"double\" <tag> & ; DROP TABLE orders; --\t\n"
    order = new_order(client, odd)
    assert order["number"] == odd
    item = new_item(
        client, box, {"quantity": 1, "description": odd, "custom_fields": {odd: {"value": odd}}}
    )
    assert item["description"] == odd
    assert item["custom_fields"] == {odd: {"value": odd}}


# Lists ----------------------------------------------------------------------------------


@pytest.mark.parametrize("items", [1, 25])
def test_a_page_of_items_costs_the_same_statements_whatever_its_size(app, client, box, items):
    for n in range(items):
        new_item(client, box, {**SPEC_ITEM, "code": f"C{n}"})
    engine = app.extensions["xmlapi.engine"]
    client.get(box["items"])  # authenticated once; later requests find their session
    responses = []
    statements = count_statements(engine, lambda: responses.append(client.get(box["items"])))
    page = jsonschemas.answer(responses[0], "items.json")
    assert page["count"] == items and len(page["results"]) == items
    assert [result["code"] for result in page["results"]] == [f"C{n}" for n in range(items)]
    assert statements == STATEMENTS_PER_PAGE


STATEMENTS_PER_PAGE = 4  # the session's look-up, the box, the count, the page


@pytest.mark.parametrize("rows", [1, 25])
def test_pages_of_orders_and_boxes_cost_the_same_statements_whatever_their_size(app, client, rows):
    orders = [new_order(client, f"SO-{n}") for n in range(rows)]
    for _ in range(rows):
        new_box(client, orders[0])
    engine = app.extensions["xmlapi.engine"]
    for url, name, per_page in ((ORDERS, "orders.json", 3), (orders[0]["boxes"], "boxes.json", 4)):
        client.get(url)
        responses = []
        statements = count_statements(
            engine, lambda url=url, got=responses: got.append(client.get(url))
        )
        assert jsonschemas.answer(responses[0], name)["count"] == rows
        assert statements == per_page  # the session's look-up, [the order,] count, page


def test_a_product_with_empty_text_is_copied_as_it_is(client, box):
    body = {"code": "E-1", "kind": "goods", "description": "", "part_number": ""}
    response = client.post(f"/api/v2/orgs/{ORG}/products/", json=body)
    product = jsonschemas.answer(response, "product.json", 201)
    item = new_item(client, box, {"code": "E-1", "quantity": 1})
    assert (item["description"], item["part_number"]) == (
        product["description"],
        product["part_number"],
    )
