"""GET /api/products/?filter=: the NSPredicate language, its legacy field names, and
hostile query strings (issue 10 item 6, issue 12 part 3)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from tests.conftest import basic
from tests.helpers import (
    create,
    create_locked_product,
    create_product,
    currencies_and_suppliers,
    error_type,
    xml,
)
from tests.test_costs import add_cost
from tests.test_paging import catalog, listing  # noqa: F401 (a fixture)


def refused(client, **params) -> str:
    """The message of the 400 ``query.invalid`` the list answers."""
    query = "&".join(f"{k}={quote(str(v))}" for k, v in params.items())
    response = client.get(f"/api/products/?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.content_type.startswith("application/xml")
    assert error_type(response) == "query.invalid"
    return xml(response).findtext("localizable_message/message")


# Hostile query strings (issue 10 item 6) -----------------------------------------------


@pytest.mark.parametrize(
    "expression,says",
    [
        ("id == 9223372036854775808", "out of range (-2147483648 to 2147483647) at character 7"),
        ("id == 2147483648", "out of range"),
        ("id > -2147483649", "out of range"),
        ('class == "99999999999"', "out of range"),
        ('sell_price < "1e400"', "out of range"),
        ("sell_price < 1e400", "out of range"),
        ("sell_price < 10000000000000000", "out of range"),
        ("available > 100000000000", "out of range"),
        ("cost > 1e14", "out of range"),
        ('datetime_cre > "0001-01-01T00:00:00+01:00"', "not a valid datetime"),
        ('datetime_mod < "9999-12-31T23:00:00-02:00"', "not a valid datetime"),
        ('code == "a\x00b"', "NUL at character 9"),
        ("code == a\x00", "unexpected character"),
        ('id == "\u0663"', "not a valid whole number"),
        ("id == \u0663", "unexpected character"),
        ('sell_price < "1_000"', "not a valid number"),
        ("sell_price < 1_000", "expected AND, OR or the end"),
        ("(" * 400 + 'code == "x"' + ")" * 400, "nested deeper than 32 levels at character 33"),
        ("NOT " * 400 + 'code == "x"', "nested deeper than 32 levels"),
        ("! " * 40 + 'code == "x"', "nested deeper than 32 levels"),
        ("id IN {" + ", ".join(["1"] * 1001) + "}", "more than 1000 values"),
        (" OR ".join(["id == 1"] * 201), "more than 200 comparisons at character 2201"),
        ("date_cre IN {" + ", ".join(['"2024-01-01"'] * 201) + "}", "more than 200 comparisons"),
        ('date_cre == "2024-02-30"', "not a valid date"),
    ],
)
def test_hostile_filters_are_400_saying_where(client, expression, says):
    assert says in refused(client, filter=expression)


def test_hostile_filters_on_a_streamed_list_are_400_before_streaming(app, catalog):  # noqa: F811
    # No count (or one above 1000) streams the list: a bad value must be refused first.
    streaming = FlaskClient(app)
    streaming.environ_base["HTTP_AUTHORIZATION"] = basic("alice")
    for query in ("", "&count=5000"):
        url = "/api/products/?filter=" + quote("id == 9223372036854775808") + query
        response = streaming.get(url, buffered=False)
        assert response.status_code == 400
        assert response.content_type.startswith("application/xml")
        assert error_type(response) == "query.invalid"


@pytest.mark.parametrize("name", ["count", "offset"])
@pytest.mark.parametrize(
    "raw", [str(2**63), "99999999999999999999", "\u0663", "1_000", "-1", " 1", "+1", "1.0", "0x10"]
)
def test_bad_count_and_offset_are_400(client, name, raw):
    assert "whole number" in refused(client, **{name: raw})


@pytest.mark.parametrize("order_by", ["code\x00", "code:asc\x00", "\u0663"])
def test_bad_order_by_is_400(client, order_by):
    assert "order_by" in refused(client, order_by=order_by)


def test_the_largest_filters_are_served(client, catalog):  # noqa: F811
    mug = catalog["MUG"]
    ids = ", ".join([str(mug)] * 999)
    assert listing(client, filter=f'id IN {{{ids}}} && code IN[c] {{"mug"}}') == ["MUG"]
    codes = ", ".join(['"MUG"'] * 999)
    assert listing(client, filter=f"code IN[cd] {{{codes}, nil}}") == ["MUG"]
    chain = " OR ".join([f"id == {mug}"] * 100 + ['code LIKE "SHIRT-R*"'] * 100)
    assert listing(client, filter=chain) == ["SHIRT-RED", "MUG"]
    days = ", ".join(['"2001-01-01"'] * 199)
    assert listing(client, filter=f"date_cre IN {{{days}}}") == []


def test_the_largest_count_and_offset_are_served(client, catalog):  # noqa: F811
    largest = 2**63 - 1
    assert listing(client, count=largest) == ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]
    assert listing(client, offset=largest, count=1) == []


# Cases on the same catalog run as subtests of one test: the catalog is made once
# (four products over HTTP were most of each case's time), every case still reported.
EDGES = [
    # Values with more decimals than the column keeps are not rounded into a match.
    ("sell_price <= 24.499", ["SHIRT-RED", "MUG"]),
    ("sell_price == 24.499", []),
    ("sell_price != 24.499", ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]),
    ("sell_price > 24.495", ["SHIRT-BLUE", "CREME"]),
    ("sell_price < 24.501", ["SHIRT-RED", "SHIRT-BLUE", "MUG"]),
    ("sell_price < 9999999999999999.99", ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]),
    ("id < 2147483647", ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]),
    ("sell_price > 1e-999999", ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]),
    ('datetime_cre > "0001-01-01T00:00:00-01:00"', ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]),
]


def test_values_at_the_edges_compare_exactly(client, catalog, subtests):  # noqa: F811
    for expression, expected in EDGES:
        with subtests.test(expression):
            assert listing(client, filter=expression) == expected


# The NSPredicate language (issue 12 part 3) --------------------------------------------


NSPREDICATES = [
    ("sell_price => 24.5", ["SHIRT-BLUE", "CREME"]),
    ("sell_price =< 19.99", ["SHIRT-RED", "MUG"]),
    ('family == "Shirts" && web == YES', ["SHIRT-RED"]),
    ('family == "Shirts" || code == "MUG"', ["SHIRT-RED", "SHIRT-BLUE", "MUG"]),
    ('!(family == "Shirts")', ["CREME", "MUG"]),
    ('! family == "Shirts"', ["CREME", "MUG"]),
    ('NOT family == "Kitchen"', ["SHIRT-RED", "SHIRT-BLUE", "MUG"]),
    # Two-valued, as NSPredicate: an empty family is not "Kitchen".
    ('family != "Kitchen"', ["SHIRT-RED", "SHIRT-BLUE", "MUG"]),
    ('code IN {"MUG", "CREME", "NONE"}', ["CREME", "MUG"]),
    ('code IN[c] {"mug", "creme"}', ["CREME", "MUG"]),
    ("family in {nil, 'Kitchen'}", ["CREME", "MUG"]),
    ("sell_price IN {8, 35.00, 19.995}", ["CREME", "MUG"]),
    ("sell_price BETWEEN {8, 24.5}", ["SHIRT-RED", "SHIRT-BLUE", "MUG"]),
    ("sell_price between {8.001, 24.499}", ["SHIRT-RED"]),
    ('code LIKE[c] "mug*"', ["MUG"]),
    ('code LIKE "SHIRT-???"', ["SHIRT-RED"]),
    ('code like "*T-*"', ["SHIRT-RED", "SHIRT-BLUE"]),
    ('code LIKE "MUG"', ["MUG"]),
    ('code LIKE "mug"', []),
    ('description LIKE[cd] "*BRULEE*"', ["CREME"]),
    ('code MATCHES "SHIRT-[A-Z]+"', ["SHIRT-RED", "SHIRT-BLUE"]),
    ('code MATCHES "SHIRT-(RED|GREEN)"', ["SHIRT-RED"]),
    ('code MATCHES "SHIRT"', []),
    ('code MATCHES "mug"', []),
    ('code MATCHES "M.G"', ["MUG"]),
    ('code MATCHES[c] "m.g"', ["MUG"]),
    ('description matches[cd] "creme.*"', ["CREME"]),
    # [d] alone ignores accents, not case (NSPredicate's diacritic-insensitive).
    ('description CONTAINS[d] "Creme brulee"', ["CREME"]),
    ('description CONTAINS[d] "creme brulee"', []),
    ('description CONTAINS[cd] "creme brulee"', ["CREME"]),
    ('description BEGINSWITH[d] "Creme"', ["CREME"]),
    ('description ==[d] "Creme brulee torch"', ["CREME"]),
    ('description MATCHES[d] "Creme.*"', ["CREME"]),
    ('description MATCHES[d] "creme.*"', []),
    ('description MATCHES[cd] "CREME BRULEE.*"', ["CREME"]),
    ('description IN[d] {"Creme brulee torch"}', ["CREME"]),
    ('description IN[d] {"creme brulee torch"}', []),
    ('code MATCHES "[^S].{2,3}"', ["MUG"]),
    ('code MATCHES "SHIRT\\\\-RED"', ["SHIRT-RED"]),
    ("TRUEPREDICATE", ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]),
    ("FALSEPREDICATE", []),
    ('FALSEPREDICATE OR code == "MUG"', ["MUG"]),
    ("web == YES", ["SHIRT-RED", "CREME", "MUG"]),
    ("web = no", ["SHIRT-BLUE"]),
    ("current == nil", []),
    ("current != nil", ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]),
    ("id == nil", []),
    ("sell == NULL", []),
    ("sell != nil && cost == nil", ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]),
    ("sell_price > 10 AND NOT sell_price > 30", ["SHIRT-RED", "SHIRT-BLUE"]),
    ("NOT (sell_tax_inclusive > 1)", ["SHIRT-RED", "SHIRT-BLUE", "CREME", "MUG"]),
]


def test_nspredicate_operators(client, catalog, subtests):  # noqa: F811
    for expression, expected in NSPREDICATES:
        with subtests.test(expression):
            assert listing(client, filter=expression) == expected


def test_like_matches_sql_wildcards_literally(client):
    for code in ("50%_OFF", "50XYOFF", "A/B", "AXB", "STAR*"):
        create_product(client, code=code)
    assert listing(client, filter='code LIKE "50%_*"') == ["50%_OFF"]
    assert listing(client, filter='code LIKE "50?_OFF"') == ["50%_OFF"]
    assert listing(client, filter='code LIKE "A/B"') == ["A/B"]
    assert listing(client, filter='code LIKE "STAR\\\\*"') == ["STAR*"]
    assert listing(client, filter='code contains "%"') == ["50%_OFF"]


@pytest.mark.parametrize(
    "expression,says",
    [
        ('code MATCHES "(a+)+b"', "a repeated group may not hold a repeat"),
        ('code MATCHES "(a|aa)*"', "a repeated group may not hold a repeat or '|'"),
        ('code MATCHES "a*b*c*"', "at most 2 repeats"),
        ('code MATCHES "a**"', "may not be repeated"),
        ('code MATCHES "^a"', "anchors are implied"),
        ('code MATCHES "\\\\d+"', "may only precede punctuation"),
        ('code MATCHES "(?i)a"', "(? groups"),
        ('code MATCHES "[[:alpha:]]"', "not supported in a class"),
        ('code MATCHES "[z-a]"', "bad range"),
        ('code MATCHES "[a-\u00e9]"', "bad range"),
        ('code MATCHES "a{1,300}"', "0 to 255"),
        ('code MATCHES "a{"', "must start a repeat"),
        ('code MATCHES "(a"', "not closed"),
        ('code MATCHES "' + "a" * 101 + '"', "at most 100 characters"),
        ("id MATCHES '1'", "text fields only"),
        ("sell_price LIKE '1*'", "text fields only"),
        ("id ==[c] 1", "[c] works on text fields only"),
        ("web > NO", "does not work on yes/no fields"),
        ("id IN 1", "takes a list"),
        ("id IN {1, 2", "expected ',' or '}'"),
        ("id BETWEEN {1}", "BETWEEN takes two values"),
        ("id BETWEEN {1, nil}", "nil can only be compared"),
        ("sell < nil", "nil can only be compared"),
        ("code == MUG", "expected a value (quoted text, a number or nil), got 'MUG'"),
        ("code == YES", "expected a value"),
        ("code LIKE[x] 'a'", "unknown operator"),
        ("code && 'a'", "expected an operator"),
        ("TRUEPREDICATE code", "expected AND, OR or the end"),
        ("code == 'a' |", "unexpected character '|'"),
        ("5 < id", "expected a field name"),
    ],
)
def test_outside_the_grammar_is_400_saying_where(client, expression, says):
    assert says in refused(client, filter=expression)


# Legacy field names --------------------------------------------------------------------


@pytest.fixture
def legacy_product(client):
    gear = create(client, "/api/setup/classes/", "class", {"name": "Gear"})
    create_product(client, code="PLAIN")
    return create_product(
        client,
        code="FULL",
        sell_price="10.00",
        minimum_margin="12.50",
        long_web_description="Long and web",
        multi_store_label="Store label",
        gl_product={"asset": "1200", "cogs_expense": "5000", "income": "4000"},
        product_info={"height": "1.5", "length": "2.25", "weight": "0.125", "width": "3"},
        reorder={"amount": "6", "point": "2"},
        **{"class": {"@id": gear}},
    )


# Subtests on one pair of products: made once instead of once a case, every case still reported.
LEGACY_FILTERS = [
    'class_name == "Gear"',
    'class_name BEGINSWITH[c] "ge"',
    'gl_inventory_asset == "1200"',
    'gl_product_cogs_expense == "5000"',
    'gl_product_income == "4000"',
    'long_web_description CONTAINS "web"',
    "min_margin == 12.5",
    'multi_store_label == "Store label"',
    "product_height == 1.5",
    "product_length == 2.25",
    "product_weight < 0.2",
    "product_width == 3",
    "reorder_amt == 6",
    "reorder_point BETWEEN {1, 2}",
    "sell_tax_inclusive == nil && sell == 10",
]


def test_legacy_field_names_filter_their_data(client, legacy_product, subtests):
    for expression in LEGACY_FILTERS:
        with subtests.test(expression):
            assert listing(client, filter=expression) == ["FULL"]
            assert listing(client, filter=f"NOT ({expression})") == ["PLAIN"]


def test_legacy_fields_with_no_data_here_are_empty(client, legacy_product):
    for name in ("notes", "gl_product_payable_expense"):
        assert listing(client, filter=f"{name} == nil") == ["PLAIN", "FULL"]
        assert listing(client, filter=f'{name} contains ""') == []


def test_legacy_dates_compare_whole_days_in_utc(client, legacy_product):
    created = xml(client.get(f"/api/products/{legacy_product}/")).findtext("created")
    year, month, day = created[:10].split("-")
    today, us_style = f"{year}-{month}-{day}", f"{int(month)}-{day}-{year}"
    assert "FULL" in listing(client, filter=f'date_cre == "{today}"')
    assert "FULL" in listing(client, filter=f'date_cre == "{us_style}"')
    assert "FULL" in listing(client, filter=f'date_cre <= "{today}" && date_cre >= "{today}"')
    assert listing(client, filter=f'date_cre < "{today}" || date_cre > "{today}"') == []
    assert listing(client, filter=f'date_cre != "{today}"') == []
    assert "FULL" in listing(client, filter=f'date_cre BETWEEN {{"{today}", "{today}"}}')
    assert "not a valid date" in refused(client, filter='date_cre == "31-12-2024"')


# cost and margin filter on the figures the render shows ----------------------------------


@pytest.fixture
def priced(client):
    """Products with costs in EUR (1.08) and GBP (1.25), sold in USD, EUR or no currency."""
    refs = currencies_and_suppliers(client)
    usd, eur, gbp = refs["usd"], refs["eur"], refs["gbp"]
    northwind, dock = refs["northwind"], refs["dock"]
    local = create(client, "/api/suppliers/", "supplier", {"name": "Local"})
    made = {}
    for code, sell, currency, costs in [
        ("EUR-IN-USD", "20.00", usd, [(northwind, "10", True)]),
        ("GBP-IN-EUR", "7.77", eur, [(northwind, "3.3333", False), (dock, "4.1", True)]),
        ("LOCAL", "3.00", None, [(local, "1.005", True)]),
        ("LOSS", "1.00", gbp, [(northwind, "99.99", True)]),
        ("FREE", "0", usd, [(dock, "2", True)]),
        ("NO-SELL", None, usd, [(dock, "2", True)]),
        ("NO-COST", "5.00", usd, []),
    ]:
        product = create_locked_product(
            client,
            code=code,
            sell_price=sell,
            currency={"@id": currency} if currency else None,
        )
        for supplier, raw, default in costs:
            add_cost(client, product, supplier, raw=raw, default="true" if default else None)
        made[code] = product
    return made


def test_cost_and_margin_filter_on_what_the_render_shows(client, priced):
    for code, product in priced.items():
        root = xml(client.get(f"/api/products/{product}/"))
        cost, margin = root.findtext("costs/cost"), root.findtext("margin")
        for name, shown in (("cost", cost), ("margin", margin)):
            if shown:
                assert code in listing(client, filter=f"{name} == {shown}"), (name, shown)
                assert code not in listing(client, filter=f"{name} != {shown}")
                assert code in listing(client, filter=f"{name} BETWEEN {{{shown}, {shown}}}")
            else:
                assert code in listing(client, filter=f"{name} == nil"), (code, name)
                assert code not in listing(client, filter=f"{name} != nil"), (code, name)
    shown = {
        code: xml(client.get(f"/api/products/{p}/")).findtext("costs/cost")
        for code, p in priced.items()
    }
    assert shown["EUR-IN-USD"] == "10.8000"  # 10 EUR at 1.08, in USD
    assert shown["GBP-IN-EUR"] == "4.7454"  # 4.1 GBP at 1.25 = 5.125 base = 4.7454 EUR


def test_cost_and_margin_compare_and_order(client, priced):
    assert listing(client, filter="margin < 0") == ["LOSS"]
    assert listing(client, filter="margin > 38.8 AND margin < 39") == ["GBP-IN-EUR"]
    assert listing(client, filter="cost > 10 && cost < 11") == ["EUR-IN-USD"]
    by_cost = listing(client, filter="cost != nil", order_by="cost:desc")
    assert by_cost[0] == "LOSS" and by_cost[-1] == "LOCAL"
