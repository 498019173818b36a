"""Orders, boxes and box items without HTTP (catalog/orders.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from tests.catalog.conftest import add_product
from xmlapi.catalog import orders, product_sheets
from xmlapi.catalog.errors import Conflict, InvalidValue, NotFound
from xmlapi.catalog.item_fields import ItemCustomField
from xmlapi.catalog.organizations import Scope, create_organization
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.readmodel import CustomField, Price, Weight
from xmlapi.models import Box, BoxItem, Currency, Order

ORG = Scope(1)
RULES = Pricing()
UTC = dt.UTC

FULL_ITEM = {
    "code": "ES-4335-64667-7565",
    "commodity_code": "C-1",
    "custom_fields": {
        "Special customer type": ItemCustomField("Guest"),
        "xml": ItemCustomField("<custom>Field</custom>", "application/xml", "utf-8"),
    },
    "description": "T-Shirt Unisex Black",
    "export_type_code": "SIM",
    "image_link": "http://example.com/tshirt.png",
    "joint_production": True,
    "kind": "goods",
    "link": "http://www.test.com/item",
    "net_cost_begin_date": dt.datetime(2014, 10, 10, 6, 49, 50, 120606, tzinfo=UTC),
    "net_cost_end_date": dt.datetime(2014, 10, 12, 6, 49, 50, tzinfo=UTC),
    "origin_country_code": "US",
    "part_number": "PN-3",
    "pick_location": "Some location",
    "preference_criteria_code": "Criteria-5",
    "producer_info_code": "No[2]",
    "quantity": 15,
    "scheduleb_commodity_code": "SCC-5",
    "unit_price": Price(Decimal("88.00"), "USD"),
    "unit_weight": Weight(Decimal("29.00"), "g"),
    "ups": "ups123",
    "ean": "ean123",
    "isbn": "isbn123",
}


@pytest.fixture
def box(session) -> orders.BoxView:
    order = orders.create_order(session, ORG, "SO-1")
    return orders.create_box(session, ORG, order.id)


@pytest.fixture
def other_org(session) -> Scope:
    organization = create_organization(session, "Other")
    session.commit()
    return Scope(organization.id)


def add_item(session, box, **values) -> orders.ItemView:
    return orders.create_item(session, ORG, box.order_id, box.id, {"quantity": 1, **values}, RULES)


# Orders ---------------------------------------------------------------------------------


def test_an_order_is_created_read_listed_and_deleted(session):
    first = orders.create_order(session, ORG, "SO-1")
    second = orders.create_order(session, ORG, "SO-2")
    assert orders.get_order(session, ORG, first.id) == first
    assert (first.number, first.organization_id) == ("SO-1", 1)
    assert first.created_at.tzinfo is not None and first.updated_at == first.created_at
    page = orders.list_orders(session, ORG, orders.Paging(limit=1))
    assert (page.count, page.results) == (2, (first,))
    assert orders.list_orders(session, ORG, orders.Paging(limit=10, offset=1)).results == (second,)
    orders.delete_order(session, ORG, first.id)
    with pytest.raises(NotFound):
        orders.get_order(session, ORG, first.id)
    with pytest.raises(NotFound):
        orders.delete_order(session, ORG, first.id)


def test_an_order_number_is_unique_within_its_organization_only(session, other_org):
    orders.create_order(session, ORG, "SO-1")
    with pytest.raises(Conflict) as caught:
        orders.create_order(session, ORG, "SO-1")
    assert "number" in caught.value.fields
    assert (
        orders.create_order(session, other_org, "SO-1").organization_id == other_org.organization_id
    )


def test_two_writers_of_one_number_meet_the_unique_key(session, monkeypatch):
    """The look-up that answers a duplicate nicely can race; the database key decides."""
    orders.create_order(session, ORG, "SO-1")
    real_scalar = session.scalar
    monkeypatch.setattr(session, "scalar", lambda statement: None)
    with pytest.raises(Conflict) as caught:
        orders.create_order(session, ORG, "SO-1")
    assert caught.value.fields == {"number": "An order numbered 'SO-1' exists already."}
    monkeypatch.setattr(session, "scalar", real_scalar)
    assert orders.list_orders(session, ORG, orders.Paging(limit=10)).count == 1


@pytest.mark.parametrize(
    "number", [None, "", 5, "x" * 256, "nul\x00", "bell\x07", "\ud800"], ids=repr
)
def test_a_bad_order_number_is_refused_naming_the_field(session, number):
    with pytest.raises(InvalidValue) as caught:
        orders.create_order(session, ORG, number)
    assert list(caught.value.fields) == ["number"]
    assert orders.list_orders(session, ORG, orders.Paging(limit=10)).count == 0


def test_odd_but_valid_characters_are_kept(session):
    number = "Zürich 🚚 #1\t'\";--"
    assert orders.create_order(session, ORG, number).number == number


# Boxes ----------------------------------------------------------------------------------


def test_boxes_belong_to_their_order(session):
    order = orders.create_order(session, ORG, "SO-1")
    other = orders.create_order(session, ORG, "SO-2")
    box = orders.create_box(session, ORG, order.id)
    assert orders.get_box(session, ORG, order.id, box.id) == box
    assert box.order_id == order.id
    with pytest.raises(NotFound):
        orders.get_box(session, ORG, other.id, box.id)
    with pytest.raises(NotFound):
        orders.delete_box(session, ORG, other.id, box.id)
    assert orders.list_boxes(session, ORG, order.id, orders.Paging(limit=10)) == orders.Page(
        1, (box,)
    )
    assert orders.list_boxes(session, ORG, other.id, orders.Paging(limit=10)) == orders.Page(0, ())
    with pytest.raises(NotFound):
        orders.create_box(session, ORG, 999)
    with pytest.raises(NotFound):
        orders.list_boxes(session, ORG, 999, orders.Paging(limit=10))
    orders.delete_box(session, ORG, order.id, box.id)
    assert orders.list_boxes(session, ORG, order.id, orders.Paging(limit=10)).count == 0


def test_deleting_an_order_deletes_its_boxes_items_and_custom_fields(session, box):
    add_item(session, box, part_number="A", custom_fields={"x": ItemCustomField("1")})
    orders.delete_order(session, ORG, box.order_id)
    for model in (Order, Box, BoxItem):
        assert session.scalar(select(func.count()).select_from(model)) == 0


def test_deleting_a_box_deletes_its_items(session, box):
    add_item(session, box, part_number="A")
    orders.delete_box(session, ORG, box.order_id, box.id)
    assert session.scalar(select(func.count()).select_from(BoxItem)) == 0


# Items ----------------------------------------------------------------------------------


def create(session, box, values, scope=ORG):
    return orders.create_item(session, scope, box.order_id, box.id, values, RULES)


def test_an_item_keeps_every_field_it_is_given(session, box):
    item = create(session, box, FULL_ITEM)
    stored = orders.get_item(session, ORG, box.order_id, box.id, item.id)
    assert stored == item
    for name, value in FULL_ITEM.items():
        if name not in ("custom_fields", "quantity"):
            assert getattr(stored.fields, name) == value, name
    assert stored.quantity == 15
    assert stored.fields.quantity == Decimal(15)
    assert stored.fields.net_cost_begin_date.microsecond == 120606
    assert stored.custom_fields == tuple(FULL_ITEM["custom_fields"].items())
    assert stored.fields.custom_fields == (
        ("Special customer type", CustomField("Guest")),
        ("xml", CustomField("<custom>Field</custom>", "application/xml")),
    )
    assert (stored.order_id, stored.box_id, stored.organization_id) == (box.order_id, box.id, 1)
    assert stored.created_at == stored.updated_at
    assert stored.created_at.tzinfo is not None


def test_custom_fields_keep_the_order_they_were_given_in(session, box):
    names = ["z", "a", "m"]
    item = add_item(session, box, custom_fields={n: ItemCustomField(n) for n in names})
    stored = orders.get_item(session, ORG, box.order_id, box.id, item.id)
    assert [name for name, _field in stored.custom_fields] == names


def test_an_item_needs_a_quantity_and_nothing_else(session, box):
    with pytest.raises(InvalidValue) as caught:
        create(session, box, {"description": "d"})
    assert caught.value.fields == {"quantity": "This field is required."}
    item = create(session, box, {"quantity": 2})
    assert (item.quantity, item.fields.code, item.fields.kind, item.custom_fields) == (
        2,
        None,
        None,
        (),
    )


@pytest.mark.parametrize("quantity", [0, -1, 2**31, 2**70, True, Decimal("1.5"), "3"], ids=repr)
def test_a_quantity_is_a_whole_number_from_one(session, box, quantity):
    with pytest.raises(InvalidValue) as caught:
        add_item(session, box, quantity=quantity)
    assert list(caught.value.fields) == ["quantity"]
    assert session.scalar(select(func.count()).select_from(BoxItem)) == 0


def test_the_largest_quantity_is_kept(session, box):
    assert add_item(session, box, quantity=2**31 - 1).quantity == 2**31 - 1


BAD_FIELDS = [
    ("kind", "toys", "kind"),
    ("kind", 1, "kind"),
    ("unit_price", Price(Decimal("1E+16"), "USD"), "unit_price"),
    ("unit_price", Price(Decimal("1.001"), "USD"), "unit_price"),
    ("unit_price", Price(Decimal("NaN"), "USD"), "unit_price"),
    ("unit_price", Price(Decimal("1"), "usd"), "unit_price"),
    ("unit_price", Price(Decimal("1"), "DOLLARS"), "unit_price"),
    ("unit_price", Decimal(12), "unit_price"),
    ("unit_weight", Weight(Decimal("-1"), "g"), "unit_weight"),
    ("unit_weight", Weight(Decimal("1E+14"), "g"), "unit_weight"),
    ("unit_weight", Weight(Decimal("0.00001"), "g"), "unit_weight"),
    ("unit_weight", Weight(Decimal("1"), "stone"), "unit_weight"),
    ("unit_weight", "1 g", "unit_weight"),
    ("description", "x" * 4097, "description"),
    ("code", "x" * 1024, "code"),
    ("code", "a\x00b", "code"),
    ("link", "\udfff", "link"),
    ("ean", 123, "ean"),
    ("joint_production", "yes", "joint_production"),
    ("net_cost_begin_date", dt.datetime(2020, 1, 1), "net_cost_begin_date"),
    ("net_cost_end_date", "2020-01-01", "net_cost_end_date"),
    ("custom_fields", [], "custom_fields"),
    ("custom_fields", {"x": "value"}, "custom_fields"),
    ("custom_fields", {"": ItemCustomField("v")}, "custom_fields"),
    ("custom_fields", {"x" * 256: ItemCustomField("v")}, "custom_fields"),
    ("custom_fields", {"x": ItemCustomField(5)}, "custom_fields"),
    ("custom_fields", {"x": ItemCustomField("v\x00")}, "custom_fields"),
    ("custom_fields", {"x": ItemCustomField("v", "t" * 256)}, "custom_fields"),
    ("custom_fields", {"x": ItemCustomField("v", None, "e" * 65)}, "custom_fields"),
    ("custom_fields", {str(n): ItemCustomField("v") for n in range(101)}, "custom_fields"),
]


@pytest.mark.parametrize(
    ("field", "value", "told_as"),
    BAD_FIELDS,
    ids=[f"{f}-{n}" for n, (f, _v, _t) in enumerate(BAD_FIELDS)],
)
def test_a_bad_field_is_refused_naming_it_and_nothing_is_written(
    session, box, field, value, told_as
):
    with pytest.raises(InvalidValue) as caught:
        add_item(session, box, **{"description": "packed", field: value})
    assert list(caught.value.fields) == [told_as]
    item = add_item(session, box, part_number="ok")
    with pytest.raises(InvalidValue):
        orders.update_item(session, ORG, box.order_id, box.id, item.id, {field: value})
    assert orders.get_item(session, ORG, box.order_id, box.id, item.id) == item
    assert orders.list_items(session, ORG, box.order_id, box.id, orders.Paging(limit=10)).count == 1


def test_extreme_amounts_inside_the_columns_are_kept(session, box):
    price = Price(Decimal("-9999999999999999.99"), "EUR")
    weight = Weight(Decimal("99999999999999.9999"), "lbs")
    item = add_item(session, box, unit_price=price, unit_weight=weight)
    stored = orders.get_item(session, ORG, box.order_id, box.id, item.id)
    assert (stored.fields.unit_price, stored.fields.unit_weight) == (price, weight)


def test_a_price_without_currency_keeps_the_items_currency_on_update(session, box):
    item = add_item(session, box, unit_price=Price(Decimal(1), None))
    assert item.fields.unit_price == Price(Decimal(1), None)
    changed = orders.update_item(
        session, ORG, box.order_id, box.id, item.id, {"unit_price": Price(Decimal(2), "EUR")}
    )
    assert changed.fields.unit_price == Price(Decimal(2), "EUR")
    changed = orders.update_item(
        session, ORG, box.order_id, box.id, item.id, {"unit_price": Price(Decimal(3), None)}
    )
    assert changed.fields.unit_price == Price(Decimal(3), "EUR")
    cleared = orders.update_item(
        session, ORG, box.order_id, box.id, item.id, {"unit_price": None, "unit_weight": None}
    )
    assert (cleared.fields.unit_price, cleared.fields.unit_weight) == (None, None)


def test_an_update_changes_what_it_names_and_moves_updated_at(session, box):
    item = create(session, box, FULL_ITEM)
    changed = orders.update_item(
        session,
        ORG,
        box.order_id,
        box.id,
        item.id,
        {
            "custom_fields": {"Operator": ItemCustomField("smooth")},
            "image_link": "http://example.com/goods/img-2.png",
            "quantity": 19,
            "unit_weight": Weight(Decimal("180"), "g"),
            "pick_location": None,
        },
    )
    assert changed == orders.get_item(session, ORG, box.order_id, box.id, item.id)
    assert changed.quantity == 19
    assert changed.fields.unit_weight == Weight(Decimal("180.0000"), "g")
    assert changed.fields.pick_location is None
    assert changed.fields.image_link == "http://example.com/goods/img-2.png"
    assert changed.custom_fields == (("Operator", ItemCustomField("smooth")),)
    assert changed.fields.description == FULL_ITEM["description"]
    assert changed.fields.unit_price == FULL_ITEM["unit_price"]
    assert changed.created_at == item.created_at
    assert changed.updated_at > item.updated_at
    with pytest.raises(InvalidValue):
        orders.update_item(session, ORG, box.order_id, box.id, item.id, {"quantity": None})
    cleared = orders.update_item(
        session, ORG, box.order_id, box.id, item.id, {"custom_fields": None}
    )
    assert cleared.custom_fields == ()


def test_an_item_is_deleted(session, box):
    item = add_item(session, box, part_number="A")
    orders.delete_item(session, ORG, box.order_id, box.id, item.id)
    with pytest.raises(NotFound):
        orders.get_item(session, ORG, box.order_id, box.id, item.id)
    with pytest.raises(NotFound):
        orders.delete_item(session, ORG, box.order_id, box.id, item.id)


def test_a_custom_field_is_read_by_name(session, box):
    label = ItemCustomField("data", "text/plain", "base64")
    item = add_item(session, box, custom_fields={"ENDICIA_LABEL": label, "e": ItemCustomField("")})
    o, b = box.order_id, box.id
    assert orders.get_custom_field(session, ORG, o, b, item.id, "ENDICIA_LABEL") == label
    assert orders.get_custom_field(session, ORG, o, b, item.id, "e") == ItemCustomField("")
    with pytest.raises(NotFound):
        orders.get_custom_field(session, ORG, o, b, item.id, "endicia_label")


# Filling from the catalog ---------------------------------------------------------------


@pytest.fixture
def usd(session) -> Currency:
    currency = Currency(code="USD", name="dollar", exchange_rate=Decimal(1))
    session.add(currency)
    session.commit()
    return currency


def sheet_product(session, code: str, **changes) -> int:
    """A product made as the JSON faces make them (its fields beside it)."""
    values = {"code": code, "kind": "goods", **changes}
    return product_sheets.create(session, values, RULES, 1).id


def test_an_item_with_only_a_code_is_filled_from_the_product_and_keeps_its_copy(session, box, usd):
    values = {
        name: value
        for name, value in FULL_ITEM.items()
        if name not in ("quantity", "code", "custom_fields")
    }
    custom = {"Top color": CustomField("Deep purple", "text/plain")}
    product_id = sheet_product(session, "TS-1", custom_fields=custom, **values)
    item = add_item(session, box, code="TS-1", quantity=3)
    assert item.quantity == 3
    for name, value in values.items():
        assert getattr(item.fields, name) == value, name
    assert item.custom_fields == (("Top color", ItemCustomField("Deep purple", "text/plain")),)
    product_sheets.update(
        session,
        product_id,
        {"description": "Changed", "unit_price": Price(Decimal(99), "USD"), "custom_fields": {}},
        RULES,
    )
    stored = orders.get_item(session, ORG, box.order_id, box.id, item.id)
    assert stored == item


def test_a_legacy_product_gives_what_it_has(session, box):
    add_product(session, code="P", description="d", sell=Decimal("1"))
    item = add_item(session, box, code="P")
    assert (item.fields.description, item.fields.unit_price) == ("d", Price(Decimal("1.00"), None))
    assert (item.fields.kind, item.fields.unit_weight, item.custom_fields) == (None, None, ())


def test_fields_given_with_the_code_are_kept_as_given(session, box):
    add_product(session, code="TS-1", description="T-Shirt")
    item = add_item(session, box, code="TS-1", description="Own words")
    assert (item.fields.description, item.fields.unit_price) == ("Own words", None)
    other = add_item(session, box, code="TS-1", custom_fields={"a": ItemCustomField("b")})
    assert other.fields.description == "T-Shirt"
    assert other.custom_fields == (("a", ItemCustomField("b")),)


def test_an_unknown_code_alone_is_a_field_error(session, box, other_org):
    add_product(session, code="THEIRS", organization_id=other_org.organization_id)
    for code in ("NOPE", "THEIRS"):
        with pytest.raises(InvalidValue) as caught:
            add_item(session, box, code=code)
        assert list(caught.value.fields) == ["code"]
    assert orders.list_items(session, ORG, box.order_id, box.id, orders.Paging(limit=10)).count == 0


# Organizations --------------------------------------------------------------------------


def test_another_organization_sees_and_changes_nothing(session, box, other_org):
    item = add_item(session, box, part_number="A")
    o, b, i = box.order_id, box.id, item.id
    attempts = [
        lambda: orders.get_order(session, other_org, o),
        lambda: orders.delete_order(session, other_org, o),
        lambda: orders.create_box(session, other_org, o),
        lambda: orders.list_boxes(session, other_org, o, orders.Paging(limit=10)),
        lambda: orders.get_box(session, other_org, o, b),
        lambda: orders.delete_box(session, other_org, o, b),
        lambda: orders.list_items(session, other_org, o, b, orders.Paging(limit=10)),
        lambda: create(session, box, {"quantity": 1}, scope=other_org),
        lambda: orders.get_item(session, other_org, o, b, i),
        lambda: orders.update_item(session, other_org, o, b, i, {"quantity": 5}),
        lambda: orders.delete_item(session, other_org, o, b, i),
        lambda: orders.get_custom_field(session, other_org, o, b, i, "x"),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            attempt()
    assert orders.list_orders(session, other_org, orders.Paging(limit=10)).count == 0
    assert orders.get_item(session, ORG, o, b, i) == item


def test_an_item_is_reached_only_through_its_own_box_and_order(session, box):
    item = add_item(session, box, part_number="A")
    other_order = orders.create_order(session, ORG, "SO-2")
    other_box = orders.create_box(session, ORG, other_order.id)
    for order_id, box_id in ((other_order.id, box.id), (box.order_id, other_box.id)):
        with pytest.raises(NotFound):
            orders.get_item(session, ORG, order_id, box_id, item.id)
        with pytest.raises(NotFound):
            orders.update_item(session, ORG, order_id, box_id, item.id, {"quantity": 2})
    with pytest.raises(NotFound):
        orders.create_item(session, ORG, other_order.id, box.id, {"quantity": 1}, RULES)


# Lists ----------------------------------------------------------------------------------


def count_statements(session):
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    event.listen(session.get_bind(), "before_cursor_execute", count)
    return counter, lambda: event.remove(session.get_bind(), "before_cursor_execute", count)


@pytest.mark.parametrize("items", [1, 30])
def test_a_page_of_items_costs_the_same_statements_whatever_its_size(session, box, items):
    for n in range(items):
        fields = {"a": ItemCustomField("1"), "b": ItemCustomField("2")}
        add_item(session, box, part_number=f"C{n}", custom_fields=fields)
    session.expunge_all()
    counter, stop = count_statements(session)
    try:
        page = orders.list_items(session, ORG, box.order_id, box.id, orders.Paging(limit=50))
    finally:
        stop()
    assert page.count == items and len(page.results) == items
    assert all(len(item.custom_fields) == 2 for item in page.results)
    assert counter["n"] == 3
    assert [item.fields.part_number for item in page.results] == [f"C{n}" for n in range(items)]


def test_pages_of_items_follow_one_another(session, box):
    made = [add_item(session, box, part_number=f"C{n}") for n in range(5)]
    first = orders.list_items(session, ORG, box.order_id, box.id, orders.Paging(limit=2))
    rest = orders.list_items(session, ORG, box.order_id, box.id, orders.Paging(limit=10, offset=2))
    assert first.count == rest.count == 5
    assert first.results + rest.results == tuple(made)


def test_empty_text_is_kept_as_given(session, box):
    item = add_item(session, box, description="", part_number="", custom_fields={})
    stored = orders.get_item(session, ORG, box.order_id, box.id, item.id)
    assert (stored.fields.description, stored.fields.part_number) == ("", "")
