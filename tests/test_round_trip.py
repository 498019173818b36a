"""Read-modify-write (issue 12, part 1): clients GET a resource, change one element and
PUT back every element they read. Read-only elements equal to what is stored are
accepted and ignored; one that would change something is a 400 naming it."""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from tests import images
from tests.helpers import create, create_locked_product, error_fields, error_type, xml
from tests.test_products import full_document, refs  # noqa: F401  (fixture)


def _get(client, path: str) -> etree._Element:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return xml(response)


def _put(client, path: str, root: etree._Element):
    return client.put(path, data=etree.tostring(root))


def _set(root: etree._Element, path: str, value: str) -> None:
    root.find(path).text = value


def _round_trip(client, path: str, element: str, value: str) -> etree._Element:
    """GET ``path``, change ``element`` to ``value``, PUT the whole answer back."""
    read = _get(client, path)
    sent = copy.deepcopy(read)
    _set(sent, element, value)
    response = _put(client, path, sent)
    assert response.status_code == 200, response.get_data(as_text=True)
    after = _get(client, path)
    assert after.findtext(element) == value
    return after


@pytest.fixture
def full_product(client, refs):  # noqa: F811
    related = create_locked_product(client, code="OTHER")
    product = create_locked_product(client, **full_document(refs, related))
    supplier = refs["supplier"]
    for code in ("A", "B"):
        create(
            client,
            f"/api/products/{product}/costs/",
            "cost",
            {"supplier": {"@id": supplier}, "supplier_product_code": code, "raw": "3.5"},
        )
    client.post(f"/api/products/{product}/add_product_photo/", data=images.jpeg())
    return product


def test_a_whole_product_sent_back_with_one_change_is_stored(client, full_product):
    path = f"/api/products/{full_product}/"
    before = _get(client, path)
    after = _round_trip(client, path, "description", "Changed")
    for element in ("code", "sell_price", "sells/sell", "supplier_code", "minimum_margin"):
        assert after.findtext(element) == before.findtext(element)
    assert after.find("supplier").get("id") == before.find("supplier").get("id")
    assert after.find("tax_exemption").get("id") == before.find("tax_exemption").get("id")
    assert [k.text for k in after.find("keywords")] == ["linen", "summer", None]
    assert len(after.find("related_products")) == 1


def test_the_issue_example_is_accepted(client):
    product = create_locked_product(client, code="GEM-PLAIN", sells={"sell": "3"})
    body = b"""<product>
      <code>GEM-PLAIN</code>
      <costs/>
      <flags><current>true</current><new_cost>false</new_cost>
        <master_model>false</master_model></flags>
      <description>Changed</description>
      <sells><sell>3.0</sell></sells>
    </product>"""
    response = client.put(f"/api/products/{product}/", data=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert xml(response).findtext("description") == "Changed"
    assert xml(response).findtext("sells/sell") == "3.00"


def test_values_compare_as_values(client, refs):  # noqa: F811
    product = create_locked_product(client, code="P", **{"class": {"@id": refs["class"]}})
    read = _get(client, f"/api/products/{product}/")
    created = read.findtext("created")
    body = f"""<product uri="/products/{product}/" id="{product}">
      <class uri="/setup/classes/{refs["class"]}/" id="{refs["class"]}"/>
      <costs><cost></cost><average/></costs>
      <margin/>
      {etree.tostring(read.find("inventory")).decode().replace(".0000000", "")}
      <created>{created.replace("+00:00", "Z")}</created>
      <flags><new_cost>0</new_cost><master_model>FALSE</master_model></flags>
      <description>New</description>
    </product>"""
    response = client.put(f"/api/products/{product}/", data=body.encode())
    assert response.status_code == 200, response.get_data(as_text=True)
    assert xml(response).findtext("description") == "New"


@pytest.mark.parametrize(
    "element, value, named",
    [
        ("costs/cost", "1.00", "costs"),
        ("margin", "50", "margin"),
        ("flags/new_cost", "true", "flags/new_cost"),
        ("flags/master_model", "true", "flags/master_model"),
        ("created", "2001-01-01T00:00:00+00:00", "created"),
        ("inventory/available", "5", "inventory"),
    ],
)
def test_a_read_only_element_that_would_change_something_is_a_400(client, element, value, named):
    product = create_locked_product(client, code="P", sells={"sell": "2"})
    path = f"/api/products/{product}/"
    sent = _get(client, path)
    _set(sent, element, value)
    _set(sent, "description", "Not stored")
    response = _put(client, path, sent)
    assert response.status_code == 400
    assert error_type(response) == "field.read_only"
    assert list(error_fields(response)) == [named]
    assert _get(client, path).findtext("description") == ""


def test_a_copy_read_before_the_product_changed_keeps_its_read_only_values_unchecked(
    client,
    refs,  # noqa: F811
):
    """Read, add a cost (which moves costs, margin, flags and modified), then send back
    the copy read first with one change: its read-only values are the ones it read."""
    product = create_locked_product(client, code="P", sells={"sell": "2"})
    path = f"/api/products/{product}/"
    first_copy = _get(client, path)
    cost = {"supplier": {"@id": refs["supplier"]}, "supplier_product_code": "A", "raw": "1.5"}
    create(client, f"{path}costs/", "cost", cost)
    sent = copy.deepcopy(first_copy)
    _set(sent, "description", "Changed after the cost")
    response = _put(client, path, sent)
    assert response.status_code == 200, response.get_data(as_text=True)
    after = _get(client, path)
    assert after.findtext("description") == "Changed after the cost"
    assert after.findtext("costs/cost") == "1.5000"  # what the old copy showed is not written
    # The same copy again (older still): accepted the same way.
    _set(sent, "description", "Once more")
    assert _put(client, path, sent).status_code == 200
    assert _get(client, path).findtext("description") == "Once more"


@pytest.mark.parametrize("modified", ["2999-01-01T00:00:00+00:00", "yesterday"])
def test_a_copy_modified_later_than_stored_is_checked(client, modified):
    """Only a copy older than the product skips the check: one from the future (or with
    no instant at all) was not read from here."""
    product = create_locked_product(client, code="P", sells={"sell": "2"})
    path = f"/api/products/{product}/"
    sent = _get(client, path)
    _set(sent, "modified", modified)
    _set(sent, "margin", "50")
    response = _put(client, path, sent)
    assert response.status_code == 400
    assert list(error_fields(response)) == ["margin", "modified"]


def test_an_empty_costs_element_is_not_the_costs_a_product_has(client, full_product):
    path = f"/api/products/{full_product}/"
    response = client.put(path, data=b"<product><costs/><description>x</description></product>")
    assert response.status_code == 400
    assert list(error_fields(response)) == ["costs"]


def test_another_resources_id_is_a_400(client):
    product = create_locked_product(client, code="P")
    response = client.put(
        f"/api/products/{product}/", data=f'<product id="{product + 1}"><code>Q</code></product>'
    )
    assert response.status_code == 400
    assert list(error_fields(response)) == ["id"]


def test_a_round_trip_does_not_pin_the_supplier_the_default_cost_gave(client, refs):  # noqa: F811
    product = create_locked_product(client, code="P")
    other = create(client, "/api/suppliers/", "supplier", {"name": "Other"})
    create(
        client,
        f"/api/products/{product}/costs/",
        "cost",
        {"supplier": {"@id": refs["supplier"]}, "supplier_product_code": "A"},
    )
    _round_trip(client, f"/api/products/{product}/", "description", "Changed")
    create(
        client,
        f"/api/products/{product}/costs/",
        "cost",
        {"supplier": {"@id": other}, "supplier_product_code": "B", "default": "true"},
    )
    after = _get(client, f"/api/products/{product}/")
    assert after.find("supplier").get("id") == str(other)
    assert after.findtext("supplier_code") == "B"


def test_a_changed_sell_wins_over_the_unchanged_sell_price_sent_with_it(client):
    product = create_locked_product(
        client, code="P", sells={"sell": "3", "sell_tax_inclusive": "3.21"}
    )
    _round_trip(client, f"/api/products/{product}/", "sells/sell", "4.00")
    after = _get(client, f"/api/products/{product}/")
    assert after.findtext("sell_price") == "4.00"
    assert after.findtext("sells/sell_tax_inclusive") == "3.21"


def test_a_cost_round_trips(client, full_product):
    costs = _get(client, f"/api/products/{full_product}/costs/")
    path = f"/api/products/{full_product}/costs/{costs[0].get('id')}/"
    after = _round_trip(client, path, "supplier_product_code", "NEW-CODE")
    assert after.findtext("default") == "true"


def test_a_cost_with_a_changed_converted_cost_is_a_400(client, full_product):
    costs = _get(client, f"/api/products/{full_product}/costs/")
    path = f"/api/products/{full_product}/costs/{costs[0].get('id')}/"
    sent = _get(client, path)
    _set(sent, "cost", "999")
    response = _put(client, path, sent)
    assert response.status_code == 400
    assert list(error_fields(response)) == ["cost"]


def test_a_serial_number_round_trips(client):
    product = create_locked_product(client, code="P", flags={"serialized": "true"})
    serial = create(
        client, f"/api/products/{product}/serial_numbers/", "serial_number", {"serial": "S-1"}
    )
    _round_trip(client, f"/api/products/{product}/serial_numbers/{serial}/", "note", "dented")


def test_a_photo_round_trips(client):
    product = create_locked_product(client, code="P")
    response = client.post(f"/api/products/{product}/add_product_photo/", data=images.jpeg())
    photo = xml(response).get("id")
    path = f"/api/products/{product}/product_photos/{photo}/"
    _round_trip(client, path, "sort_order", "7")
    sent = _get(client, path)
    _set(sent, "scales/scale/width", "1")
    response = _put(client, path, sent)
    assert response.status_code == 400
    assert list(error_fields(response)) == ["scales"]


def test_inventory_round_trips(client):
    product = create_locked_product(client, code="P")
    after = _round_trip(client, f"/api/products/{product}/inventory/", "available", "3.0000000")
    assert after.findtext("total") == "3.0000000"


@pytest.mark.parametrize(
    "path, tag, children, element, value",
    [
        ("/api/setup/classes/", "class", {"name": "A"}, "name", "B"),
        (
            "/api/setup/currencies/",
            "currency",
            {"code": "EUR", "name": "Euro", "exchange_rate": "1.08"},
            "name",
            "Euro zone",
        ),
        ("/api/suppliers/", "supplier", {"name": "S", "code": "X"}, "code", "Y"),
        ("/api/warehouses/", "warehouse", {"name": "W"}, "name", "Main"),
        ("/api/setup/web_categories/", "category", {"name": "A"}, "name", "B"),
    ],
)
def test_reference_data_round_trips(client, path, tag, children, element, value):
    ident = create(client, path, tag, children)
    _round_trip(client, f"{path}{ident}/", element, value)


def test_a_childs_round_trip_leaves_its_master_alone(client, refs):  # noqa: F811
    master = create_locked_product(client, code="OXF", description="Oxford")
    child = create_locked_product(
        client,
        master_product={"product": {"@id": master}},
        product_color={"@id": refs["color"]},
        product_size={"@id": refs["size"]},
    )
    before = client.get(f"/api/products/{master}/")
    after = _round_trip(client, f"/api/products/{child}/", "description", "Changed")
    assert after.find("master_product/product").get("id") == str(master)
    assert client.get(f"/api/products/{master}/").headers["ETag"] == before.headers["ETag"]


def test_a_tax_inclusive_round_trip_keeps_the_prices(make_app, settings):
    from dataclasses import replace

    from tests.conftest import client_of

    client = client_of(make_app(replace(settings, tax_inclusive=True)))
    product = create_locked_product(client, code="P", sell_price="19.99")
    after = _round_trip(client, f"/api/products/{product}/", "description", "Changed")
    assert after.findtext("sell_price") == "19.99"
    assert after.findtext("sells/sell") == "18.68"


def test_a_serialized_products_inventory_round_trips_without_touching_available(client):
    product = create_locked_product(client, code="P", flags={"serialized": "true"})
    create(client, f"/api/products/{product}/serial_numbers/", "serial_number", {"serial": "S"})
    after = _round_trip(client, f"/api/products/{product}/inventory/", "reserved", "2.0000000")
    assert after.findtext("available") == "1.0000000"
