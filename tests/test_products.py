"""The products resource, through HTTP, as the contract describes it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import client_of
from tests.helpers import (
    create,
    document,
    error_fields,
    error_type,
    spec_response_children,
    xml,
)
from tests.helpers import (
    create_locked_product as create_product,
)

# Elements the contract writes but its detail render does not show; we show them so
# that everything stored can be read back.
EXTENSIONS = {"short_description", "product_color", "product_size"}


@pytest.fixture
def refs(client):
    """One row of each kind of reference data, by contract name."""
    return {
        "class": create(client, "/api/setup/classes/", "class", {"name": "Apparel"}),
        "currency": create(
            client,
            "/api/setup/currencies/",
            "currency",
            {"code": "EUR", "name": "Euro", "exchange_rate": "1.08"},
        ),
        "supplier": create(client, "/api/suppliers/", "supplier", {"name": "Northwind"}),
        "tax_exemption": create(
            client, "/api/setup/tax_exemptions/", "tax_exemption", {"name": "Resale", "code": "R"}
        ),
        "pos": create(client, "/api/setup/pos_categories/", "category", {"name": "Shirts"}),
        "web": create(client, "/api/setup/web_categories/", "category", {"name": "Summer"}),
        "color": create(
            client, "/api/setup/product_colors/", "product_color", {"name": "Red", "code": "RED"}
        ),
        "size": create(
            client, "/api/setup/product_sizes/", "product_size", {"name": "Large", "code": "L"}
        ),
    }


def full_document(refs, related_id):
    return {
        "code": "SHIRT-1",
        "sell_price": "19.99",
        "class": {"@id": refs["class"]},
        "currency": {"@id": refs["currency"]},
        "supplier": {"@id": refs["supplier"]},
        "supplier_code": "NW-1",
        "flags": {
            "current": "true",
            "editable": "false",
            "inventoried": "1",
            "editable_sell": "true",
            "gift_card": "false",
            "no_profit": "0",
            "serialized": "false",
            "web": "true",
            "new_import": "true",
            "new_update": "false",
            "no_live_rules": "true",
        },
        "description": "Linen shirt",
        "short_description": "Shirt",
        "family": "Shirts",
        "long_web_description": "A shirt for hot days.",
        "sells": {"sell_web": "17.50"},
        "tax_exemption": {"@id": refs["tax_exemption"]},
        "manufacturer_part_number": "MPN-9",
        "manufacturer_pricing_option_code": "P2",
        "gl_product": {"asset": "1200", "cogs_expense": "5000", "income": "4000"},
        "product_id": "LEGACY-77",
        "minimum_margin": "12.5",
        "product_info": {
            "color": "red",
            "height": "1.25",
            "length": "30",
            "size": "L",
            "weight": "0.3",
            "width": "20.125",
        },
        "reorder": {"amount": "10", "calc": "2.5", "point": "4", "type": "1"},
        "upc": "012345678905",
        "web": {"inventory": "in stock"},
        "keywords": {"keyword": ["linen", "summer"]},
        "multi_store_label": "MS",
        "multi_store_master_label": "MSM",
        "categories": {
            "pos": {"category": {"@id": refs["pos"]}},
            "web": {"category": {"@id": refs["web"]}},
        },
        "related_products": {
            "related_product": [
                {"product": {"@id": related_id}, "quantity": "2", "auto-add": "true"}
            ]
        },
    }


def test_create_answers_201_with_full_render_and_location(client):
    response = client.post("/api/products/", data=document("product", {"code": "A-1"}))
    assert response.status_code == 201
    root = xml(response)
    assert response.headers["Location"] == f"/api/products/{root.get('id')}/"
    assert root.get("uri") == f"/products/{root.get('id')}/"
    assert root.findtext("code") == "A-1"
    assert root.find("inventory/total").text == "0.0000000"


def test_every_written_element_round_trips(client, refs):
    related = create_product(client, code="RELATED")
    product_id = create_product(client, **full_document(refs, related))
    root = xml(client.get(f"/api/products/{product_id}/"))
    assert root.findtext("code") == "SHIRT-1"
    assert root.findtext("sell_price") == "19.99"
    assert root.find("class").get("uri") == f"/setup/classes/{refs['class']}/"
    assert root.find("currency").get("id") == str(refs["currency"])
    assert root.find("supplier").get("uri") == f"/suppliers/{refs['supplier']}/"
    assert root.findtext("supplier_code") == "NW-1"
    flags = {flag.tag: flag.text for flag in root.find("flags")}
    assert flags == {
        "current": "true",
        "editable": "false",
        "gift_card": "false",
        "inventoried": "true",
        "new_cost": "false",
        "new_import": "true",
        "new_update": "false",
        "no_live_rules": "true",
        "no_profit": "false",
        "serialized": "false",
        "web": "true",
        "editable_sell": "true",
        "master_model": "false",
    }
    assert root.findtext("description") == "Linen shirt"
    assert root.findtext("short_description") == "Shirt"
    assert root.findtext("long_web_description") == "A shirt for hot days."
    assert root.findtext("family") == "Shirts"
    assert [e.text for e in root.find("gl_product")] == ["1200", "5000", "4000"]
    assert root.findtext("product_id") == "LEGACY-77"
    assert root.findtext("minimum_margin") == "12.50"
    assert [e.text for e in root.find("product_info")] == [
        "red",
        "1.2500",
        "30.0000",
        "L",
        "0.3000",
        "20.1250",
    ]
    assert [e.text for e in root.find("reorder")] == ["10.0000000", "2.5000000", "4.0000000", "1"]
    assert [e.text for e in root.find("sells")] == ["19.99", None, "17.50"]
    assert root.findtext("upc") == "012345678905"
    assert root.findtext("web/inventory") == "in stock"
    assert [e.text for e in root.find("keywords")] == ["linen", "summer", None]
    assert root.findtext("multi_store_label") == "MS"
    assert root.findtext("multi_store_master_label") == "MSM"
    pos = root.find("categories/pos/category")
    assert pos.get("uri") == f"/setup/pos_categories/{refs['pos']}/"
    assert pos.findtext("name") == "Shirts"
    assert root.find("categories/web/category").findtext("name") == "Summer"
    item = root.find("related_products/related_product")
    assert item.find("product").get("id") == str(related)
    assert item.findtext("quantity") == "2.0000000"
    assert item.findtext("auto-add") == "true"
    exemption = root.find("tax_exemption")
    assert exemption.get("uri") == f"/setup/tax_exemptions/{refs['tax_exemption']}/"
    assert exemption.findtext("code") == "R"
    assert root.findtext("manufacturer_part_number") == "MPN-9"
    assert root.findtext("manufacturer_pricing_option_code") == "P2"


def test_detail_renders_the_contract_elements_in_contract_order(client):
    product_id = create_product(client, code="ORDER")
    rendered = [child.tag for child in xml(client.get(f"/api/products/{product_id}/"))]
    documented = spec_response_children("GET /api/products/(d+)/")
    assert [tag for tag in rendered if tag not in EXTENSIONS] == documented


def test_timestamps_are_utc_with_zone_and_move_on_every_write(client):
    product_id = create_product(client, code="T")
    before = xml(client.get(f"/api/products/{product_id}/"))
    created = dt.datetime.fromisoformat(before.findtext("created"))
    assert created.utcoffset() == dt.timedelta(0)
    client.put(f"/api/products/{product_id}/", data=document("product", {"family": "F"}))
    after = xml(client.get(f"/api/products/{product_id}/"))
    assert after.findtext("created") == before.findtext("created")
    assert after.findtext("modified") > before.findtext("modified")


def test_put_changes_only_what_the_document_carries(client):
    product_id = create_product(
        client,
        code="P",
        description="Before",
        family="Fam",
        sell_price="5.00",
        keywords={"keyword": ["a", "b", "c"]},
    )
    response = client.put(
        f"/api/products/{product_id}/", data=document("product", {"description": "After"})
    )
    assert response.status_code == 200
    root = xml(response)
    assert root.findtext("description") == "After"
    assert root.findtext("family") == "Fam"
    assert root.findtext("sell_price") == "5.00"
    assert [k.text for k in root.find("keywords")] == ["a", "b", "c"]


def test_put_with_an_empty_element_clears_the_value(client):
    product_id = create_product(client, code="C", family="Fam", upc="123")
    client.put(f"/api/products/{product_id}/", data=b"<product><family/></product>")
    root = xml(client.get(f"/api/products/{product_id}/"))
    assert root.findtext("family") == ""
    assert root.findtext("upc") == "123"


def test_put_replaces_related_products(client):
    first, second = create_product(client, code="R1"), create_product(client, code="R2")
    product_id = create_product(
        client, code="P", related_products={"related_product": [{"product": {"@id": first}}]}
    )
    client.put(
        f"/api/products/{product_id}/",
        data=document(
            "product", {"related_products": {"related_product": [{"product": {"@id": second}}]}}
        ),
    )
    root = xml(client.get(f"/api/products/{product_id}/"))
    ids = [e.get("id") for e in root.iterfind("related_products/related_product/product")]
    assert ids == [str(second)]


def test_a_product_cannot_be_related_to_itself(client):
    product_id = create_product(client, code="SELF")
    response = client.put(
        f"/api/products/{product_id}/",
        data=document(
            "product", {"related_products": {"related_product": [{"product": {"@id": product_id}}]}}
        ),
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "element",
    [
        "<inventory><available>3</available></inventory>",
        "<created>2020-01-01</created>",
        "<modified/>",
        "<margin>5</margin>",
        "<costs><cost>1</cost></costs>",
        "<supplier_costs/>",
        "<serial_numbers/>",
        "<product_photos/>",
        "<flags><master_model>true</master_model></flags>",
        "<flags><new_cost>true</new_cost></flags>",
    ],
)
def test_read_only_elements_are_a_400_naming_them(client, element):
    response = client.post("/api/products/", data=f"<product>{element}</product>")
    assert response.status_code == 400
    assert error_type(response) == "field.read_only"
    name = element[1:].split(">")[0].rstrip("/")
    assert any(name in path for path in error_fields(response))


def test_read_only_elements_are_refused_on_put_and_nothing_changes(client):
    product_id = create_product(client, code="RO", family="Before")
    response = client.put(
        f"/api/products/{product_id}/",
        data=b"<product><family>After</family><margin>1</margin></product>",
    )
    assert response.status_code == 400
    assert xml(client.get(f"/api/products/{product_id}/")).findtext("family") == "Before"


@pytest.mark.parametrize(
    "element,field",
    [
        ('<class id="999"/>', "class"),
        ('<currency id="999"/>', "currency"),
        ('<supplier id="999"/>', "supplier"),
        ('<tax_exemption id="999"/>', "tax_exemption"),
        ('<categories><pos><category id="999"/></pos></categories>', "categories/pos/category"),
        ('<categories><web><category id="999"/></web></categories>', "categories/web/category"),
        ('<product_color id="999"/>', "product_color"),
        ('<master_product><product id="999"/></master_product>', "master_product/product"),
        (
            '<related_products><related_product><product id="999"/></related_product>'
            "</related_products>",
            "related_products/related_product/product",
        ),
    ],
)
def test_an_unknown_reference_is_a_422_naming_the_field(client, element, field):
    response = client.post("/api/products/", data=f"<product>{element}</product>")
    assert response.status_code == 422
    assert error_type(response) == "reference.unknown"
    assert field in error_fields(response)
    assert xml(client.get("/api/products/")).get("total_count") == "0"


def test_a_duplicate_code_is_a_409(client):
    create_product(client, code="DUP")
    response = client.post("/api/products/", data=document("product", {"code": "DUP"}))
    assert response.status_code == 409
    assert "code" in error_fields(response)


@pytest.mark.parametrize(
    "body,status,kind",
    [
        (b"<product><sell_price>abc</sell_price></product>", 400, "xml.invalid"),
        (b"<product><code>x</code><code>y</code></product>", 400, "xml.invalid"),
        (b"<product><nonsense/></product>", 400, "xml.invalid"),
        (b"<products/>", 400, "xml.invalid"),
        (b"<product><code>x</code>", 400, "xml.malformed"),
        (b"", 400, "xml.malformed"),
        (b"<product><sell_price>1e400</sell_price></product>", 400, "xml.invalid"),
        (b"<product><sell_price>99999999999999999999</sell_price></product>", 422, "field.invalid"),
        (b'<product><class id="abc"/></product>', 400, "xml.invalid"),
        (b"<product><code_suffix>NOPE</code_suffix></product>", 400, "xml.invalid"),
        (
            b"<product><keywords><keyword>a</keyword><keyword>b</keyword><keyword>c</keyword>"
            b"<keyword>d</keyword></keywords></product>",
            400,
            "xml.invalid",
        ),
    ],
)
def test_bad_documents_get_clear_errors_and_change_nothing(client, body, status, kind):
    response = client.post("/api/products/", data=body)
    assert response.status_code == status
    assert error_type(response) == kind
    assert xml(client.get("/api/products/")).get("total_count") == "0"


@pytest.mark.parametrize(
    "body, field",
    [
        (b"<product><sell_price>abc</sell_price></product>", "sell_price"),
        (b"<product><flags><web>maybe</web></flags></product>", "flags/web"),
        (
            b"<product><keywords><keyword>a</keyword><keyword>b</keyword><keyword>c</keyword>"
            b"<keyword>d</keyword></keywords></product>",
            "keywords/keyword",
        ),
    ],
)
def test_a_value_the_xsd_refuses_is_named_by_its_field(client, body, field):
    response = client.post("/api/products/", data=body)
    assert response.status_code == 400
    assert error_type(response) == "xml.invalid"
    assert list(error_fields(response)) == [field]


@pytest.mark.parametrize("spelled", [" true ", "tRuE", "1", "\n\tTRUE\n"])
def test_a_boolean_the_schema_takes_is_read_in_any_case_and_spacing(client, spelled):
    body = f"<product><code>B</code><flags><web>{spelled}</web></flags></product>".encode()
    response = client.post("/api/products/", data=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert xml(response).findtext("flags/web") == "true"


def test_one_empty_keyword_is_read_as_two_are(client):
    product = create_product(client, code="K", keywords={"keyword": ["a", "b"]})
    for body in (b"<keyword/>", b"<keyword/><keyword/>"):
        response = client.put(
            f"/api/products/{product}/",
            data=b"<product><keywords>" + body + b"</keywords></product>",
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        assert [k.text for k in xml(response).find("keywords")] == [None, None, None]


def test_malformed_xml_error_names_line_and_column(client):
    response = client.post("/api/products/", data=b"<product>\n  <code>x</cod>\n</product>")
    assert response.status_code == 400
    message = xml(response).findtext("localizable_message/message")
    assert "line 2" in message
    assert "column" in message


def test_decimals_are_exact_and_rounded_half_up(client):
    product_id = create_product(
        client,
        code="D",
        sells={"sell": "0.125", "sell_web": "0.115"},
        product_info={"weight": "12345678901234.56785"},
    )
    root = xml(client.get(f"/api/products/{product_id}/"))
    assert root.findtext("sells/sell") == "0.13"
    assert root.findtext("sells/sell_web") == "0.12"
    assert root.findtext("product_info/weight") == "12345678901234.5679"


def test_missing_products_are_404(client):
    assert client.get("/api/products/12345/").status_code == 404
    assert client.put("/api/products/12345/", data=b"<product/>").status_code == 404
    assert error_type(client.delete("/api/products/12345/")) == "not_found"


def test_delete_answers_the_deleted_marker_and_removes_it(client):
    product_id = create_product(client, code="DEL")
    response = client.delete(f"/api/products/{product_id}/")
    assert response.status_code == 200
    root = xml(response)
    assert (root.tag, root.get("id"), root.get("deleted")) == ("product", str(product_id), "true")
    assert root.get("uri") == f"/products/{product_id}/"
    assert client.get(f"/api/products/{product_id}/").status_code == 404


def test_deleting_a_master_detaches_its_children(client, refs):
    master = create_product(client, code="M", description="Master")
    child = create_product(
        client,
        master_product={"product": {"@id": master}},
        product_color={"@id": refs["color"]},
        product_size={"@id": refs["size"]},
    )
    client.delete(f"/api/products/{master}/")
    root = xml(client.get(f"/api/products/{child}/"))
    assert root.find("master_product/product").get("id") is None
    assert root.findtext("code") == "M-RED-L"


# Pricing ---------------------------------------------------------------------------


def test_tax_exclusive_sell_price_is_the_sell(client):
    product_id = create_product(client, code="TX", sell_price="19.99")
    root = xml(client.get(f"/api/products/{product_id}/"))
    assert root.findtext("sells/sell") == "19.99"
    assert root.findtext("sells/sell_tax_inclusive") == ""
    assert root.findtext("sell_price") == "19.99"


@pytest.fixture
def tax_inclusive_client(app):
    settings = app.extensions["xmlapi.settings"]
    app.extensions["xmlapi.settings"] = settings.replace(tax_inclusive=True)
    return client_of(app)


def test_tax_inclusive_sell_price_derives_the_sell(tax_inclusive_client):
    client = tax_inclusive_client
    product_id = create_product(client, code="TI", sell_price="19.99")
    root = xml(client.get(f"/api/products/{product_id}/"))
    assert root.findtext("sells/sell_tax_inclusive") == "19.99"
    assert root.findtext("sells/sell") == "18.68"
    assert root.findtext("sell_price") == "19.99"


def test_tax_inclusive_rounds_half_up(app):
    # At 20%, 0.03 inclusive is 0.025 exclusive: half up gives 0.03 (half even, 0.02).
    settings = app.extensions["xmlapi.settings"]
    app.extensions["xmlapi.settings"] = settings.replace(
        tax_inclusive=True, default_tax_rate=Decimal(20)
    )
    client = client_of(app)
    product_id = create_product(client, code="H", sell_price="0.03")
    root = xml(client.get(f"/api/products/{product_id}/"))
    assert root.findtext("sells/sell_tax_inclusive") == "0.03"
    assert root.findtext("sells/sell") == "0.03"


# Master products and their children -------------------------------------------------


def test_child_takes_code_description_and_price_from_its_master(client, refs):
    master = create_product(client, code="OXF", description="Oxford shirt", sell_price="59.00")
    child = create_product(
        client,
        master_product={"product": {"@id": master}},
        product_color={"@id": refs["color"]},
        product_size={"@id": refs["size"]},
    )
    root = xml(client.get(f"/api/products/{child}/"))
    assert root.findtext("code") == "OXF-RED-L"
    assert root.findtext("description") == "Oxford shirt, Red, Large"
    assert root.findtext("sell_price") == "59.00"
    assert root.find("master_product/product").get("uri") == f"/products/{master}/"
    assert root.find("product_color").get("id") == str(refs["color"])
    master_root = xml(client.get(f"/api/products/{master}/"))
    assert master_root.findtext("flags/master_model") == "true"


@pytest.mark.parametrize(
    "code_suffix,description_suffix,code,description",
    [
        ("COLOR_SIZE", "COLOR_SIZE", "OXF-RED-L", "Oxford, Red, Large"),
        ("SIZE_COLOR", "SIZE_COLOR", "OXF-L-RED", "Oxford, Large, Red"),
        (None, "BCOLOR_SIZEB", "OXF-RED-L", "Oxford, (Red, Large)"),
        (None, "BSIZE_COLORB", "OXF-RED-L", "Oxford, (Large, Red)"),
    ],
)
def test_child_suffixes(client, refs, code_suffix, description_suffix, code, description):
    master = create_product(client, code="OXF", description="Oxford")
    child = create_product(
        client,
        master_product={"product": {"@id": master}},
        product_color={"@id": refs["color"]},
        product_size={"@id": refs["size"]},
        code_suffix=code_suffix,
        description_suffix=description_suffix,
    )
    root = xml(client.get(f"/api/products/{child}/"))
    assert (root.findtext("code"), root.findtext("description")) == (code, description)


def test_child_keeps_what_it_names_itself(client, refs):
    master = create_product(client, code="OXF", description="Oxford", sell_price="59.00")
    child = create_product(
        client,
        code="OWN",
        description="Own",
        sell_price="10.00",
        master_product={"product": {"@id": master}},
        product_color={"@id": refs["color"]},
        product_size={"@id": refs["size"]},
    )
    root = xml(client.get(f"/api/products/{child}/"))
    assert [root.findtext(t) for t in ("code", "description", "sell_price")] == [
        "OWN",
        "Own",
        "10.00",
    ]


@pytest.mark.parametrize("missing", ["product_color", "product_size"])
def test_child_must_name_colour_and_size(client, refs, missing):
    master = create_product(client, code="OXF")
    children = {
        "master_product": {"product": {"@id": master}},
        "product_color": {"@id": refs["color"]},
        "product_size": {"@id": refs["size"]},
    }
    del children[missing]
    response = client.post("/api/products/", data=document("product", children))
    assert response.status_code == 422
    assert missing in error_fields(response)
    assert xml(client.get(f"/api/products/{master}/")).findtext("flags/master_model") == "false"


def test_a_child_cannot_be_a_master(client, refs):
    master = create_product(client, code="OXF")
    variant = {"product_color": {"@id": refs["color"]}, "product_size": {"@id": refs["size"]}}
    child = create_product(client, master_product={"product": {"@id": master}}, **variant)
    response = client.post(
        "/api/products/",
        data=document("product", {"master_product": {"product": {"@id": child}}, **variant}),
    )
    assert response.status_code == 422


def test_put_can_attach_a_product_to_a_master(client, refs):
    master = create_product(client, code="OXF")
    product_id = create_product(client, code="LOOSE")
    response = client.put(
        f"/api/products/{product_id}/",
        data=document("product", {"master_product": {"product": {"@id": master}}}),
    )
    assert response.status_code == 422
    response = client.put(
        f"/api/products/{product_id}/",
        data=document(
            "product",
            {
                "master_product": {"product": {"@id": master}},
                "product_color": {"@id": refs["color"]},
                "product_size": {"@id": refs["size"]},
            },
        ),
    )
    assert response.status_code == 200
    assert xml(response).find("master_product/product").get("id") == str(master)
    response = client.put(
        f"/api/products/{product_id}/",
        data=document("product", {"master_product": {"product": {"@id": product_id}}}),
    )
    assert response.status_code == 422
