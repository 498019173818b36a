"""The PIM face through HTTP: every request sample of the spec, the answers' shapes
(JSON Schema) and values, variants, kits, groups, locks, organizations, hostile input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import client_of
from tests.helpers import count_statements, lock, xml
from tests.pim_helpers import check, get, upsert

MINIMAL = {
    "code": "code-001",
    "name": "Name 001",
    "attribute_set": "Automotive",
    "product_type": "product",
    "status": "active",
}

FULL = {
    "code": "code-001",
    "name": "Name 001",
    "attribute_set": "Apparel",
    "product_type": "product",
    "status": "inactive",
    "categories": [{"path": "Shirts", "is_primary": True, "category_set": "default"}],
    "price_items": [{"price_book_name": "Default", "amount": 100}],
    "product_attributes": {"description": "content test here", "gender": "Male"},
    "variants": {
        "code-001-blue": {
            "code": "code-001-blue1",
            "name": "001 blue",
            "status": "inactive",
            "media_items": [
                {
                    "media_item_type": "ImageMediaItem",
                    "url": "https://robohash.org/my-own-slug.png?size=50x50",
                    "tag_list": ["thumbnail"],
                }
            ],
            "price_items": [{"price_book_name": "Default", "amount": 100}],
            "product_attributes": {"colour": "Blue"},
            "variants": {
                "code-001-blue-large": {
                    "code": "code-001-blue-large",
                    "name": "001 blue large",
                    "status": "inactive",
                    "product_attributes": {"size": "Large"},
                    "inventories": [
                        {
                            "inventory_source": "DC1",
                            "qty": 1,
                            "available_qty": 2,
                            "stock_availability": "in_stock",
                            "dispatch_time": 3,
                            "dispatch_time_unit": "day",
                            "style": "dynamic",
                        }
                    ],
                }
            },
        }
    },
}

JACKET = {
    "name": "jacket",
    "code": "jacket",
    "status": "active",
    "product_type": "product",
    "product_class_name": "Style",
    "variants": {
        colour: {
            "name": colour,
            "code": colour,
            "status": "active",
            "product_type": "product",
            "product_class_name": "Colour",
            "parent_variations": [{"product_code": "jacket"}],
            "variants": {
                f"{colour}-sm": {
                    "name": f"{colour}-sm",
                    "code": f"{colour}-sm",
                    "status": "active",
                    "product_type": "product",
                    "product_class_name": "Size",
                    "parent_variations": [{"product_code": colour}],
                }
            },
        }
        for colour in ("jacket-red", "jacket-blue")
    },
}


def test_the_minimal_product_is_created_and_read_back(client):
    product_id = upsert(client, MINIMAL)["id"]
    body = get(client, f"/api/pim/products/{product_id}", schema="product")
    assert body["code"] == "code-001"
    assert body["name"] == "Name 001"
    assert body["status"] == "active"
    assert body["product_type"] == "product"
    assert body["attribute_set"]["name"] == "Automotive"
    assert body["children"] == []
    assert body["is_complete"] is False
    assert body["incomplete_fields"] == {
        "missing_image": True,
        "missing_category": True,
        "missing_price": True,
        "missing_attributes": [],
    }


def test_the_same_product_in_xml(client):
    product_id = upsert(client, {**MINIMAL, "price_items": [{"amount": "12.50"}]})["id"]
    product = xml(client.get(f"/api/products/{product_id}/"))
    assert product.findtext("code") == "code-001"
    assert product.findtext("description") == "Name 001"
    assert product.findtext("sell_price") == "12.50"


def test_an_update_changes_only_what_it_sends(client):
    product_id = upsert(client, MINIMAL)["id"]
    again = upsert(
        client,
        {
            "code": "code-001",
            "product_attributes": {"description": "content test here", "gender": "Male"},
        },
    )
    assert again["id"] == product_id
    body = get(client, f"/api/pim/products/{product_id}", schema="product")
    assert body["name"] == "Name 001"
    assert body["product_attributes"] == {
        "description": {"value": "content test here", "base_type": "html"},
        "gender": {"value": "Male", "base_type": "string"},
    }


@pytest.mark.parametrize("by", [{"code": "code-001"}, {"id": None}])
def test_a_product_is_renamed_by_code_or_id(client, by):
    product_id = upsert(client, MINIMAL)["id"]
    named = {"id": product_id} if "id" in by else by
    assert upsert(client, {**named, "_new_code": "code-0001-new"})["id"] == product_id
    assert get(client, "/api/pim/products?code=code-0001-new")["total_entries"] == 1
    assert get(client, "/api/pim/products?code=code-001")["total_entries"] == 0


def test_a_rename_to_a_taken_code_is_422(client):
    upsert(client, MINIMAL)
    upsert(client, {**MINIMAL, "code": "other"})
    body = upsert(client, {"code": "other", "_new_code": "code-001"}, status=422)
    assert "product._new_code" in body


def test_the_full_multi_level_sample(client):
    root_id = upsert(client, FULL)["id"]
    page = get(client, "/api/pim/products")
    assert page["total_entries"] == 1 and page["per_page"] == 50 and page["total_pages"] == 1
    root = page["entries"][0]
    assert root["id"] == root_id and root["status"] == "inactive"
    assert root["price_items"][0]["amount"] == 100
    assert root["price_items"][0]["price_book"]["name"] == "Default"
    assert root["product_categories"][0]["path"] == "Shirts"
    assert root["product_categories"][0]["is_primary"] is True
    [blue] = root["children"]
    assert blue["code"] == "code-001-blue1"
    assert blue["product_attributes"]["colour"] == {"value": "Blue", "base_type": "string"}
    [large] = blue["children"]
    assert large["code"] == "code-001-blue-large"
    detail = get(client, f"/api/pim/products/{blue['id']}", schema="product")
    assert detail["media_items"][0]["url"] == "https://robohash.org/my-own-slug.png?size=50x50"
    assert detail["media_items"][0]["tag_list"] == ["thumbnail"]
    stock = get(client, f"/api/pim/products/{large['id']}", schema="product")["inventories"]
    assert stock[0]["qty"] == 1 and stock[0]["available_qty"] == 2
    assert stock[0]["inventory_source"]["name"] == "DC1"
    assert stock[0]["style"] == "dynamic"


def test_variants_are_xml_master_and_children_with_colour_and_size(client):
    root_id = upsert(client, FULL)["id"]
    large_id = get(client, "/api/pim/products?code=code-001-blue-large&root_products_only=false")[
        "entries"
    ][0]["id"]
    child = xml(client.get(f"/api/products/{large_id}/"))
    assert child.find("master_product/product").get("id") == str(root_id)
    levels = xml(client.get(f"/api/products/{large_id}/inventory/"))
    assert Decimal(levels.findtext("available")) == 1
    colour_id = child.find("product_color").get("id")
    size_id = child.find("product_size").get("id")
    assert xml(client.get(f"/api/setup/product_colors/{colour_id}/")).findtext("name") == "Blue"
    assert xml(client.get(f"/api/setup/product_sizes/{size_id}/")).findtext("name") == "Large"


def test_an_xml_matrix_product_is_a_variant_tree(client):
    from tests.helpers import create, create_product

    colour = create(
        client, "/api/setup/product_colors/", "product_color", {"name": "Navy", "code": "NVY"}
    )
    size = create(client, "/api/setup/product_sizes/", "product_size", {"name": "M", "code": "M"})
    master = create_product(client, code="OXF", description="Oxford")
    child = create_product(
        client,
        master_product={"product": {"@id": master}},
        product_color={"@id": colour},
        product_size={"@id": size},
    )
    [root] = get(client, "/api/pim/products")["entries"]
    assert root["id"] == master
    assert [c["id"] for c in root["children"]] == [child]


def test_a_variant_is_updated_with_the_code_of_each_level(client):
    upsert(client, FULL)
    update = {
        "code": "code-001",
        "variants": {
            "code-001-blue": {
                "code": "code-001-blue1",
                "variants": {
                    "code-001-blue-large": {
                        "code": "code-001-blue-large",
                        "product_attributes": {"description": "Fancy"},
                        "inventories": [{"inventory_source": "DC1", "qty": 20}],
                    }
                },
            }
        },
    }
    upsert(client, update)
    flat = get(client, "/api/pim/products?root_products_only=false&code=code-001-blue-large")
    [large] = flat["entries"]
    assert large["product_attributes"]["description"]["value"] == "Fancy"
    assert large["inventories"][0]["qty"] == 20
    assert large["parent_products"]["code"] == "code-001-blue1"
    assert large["parent_products"]["parent_products"]["code"] == "code-001"
    assert large["parent_products"]["parent_products"]["parent_products"] == {}
    assert get(client, "/api/pim/products")["total_entries"] == 1


def test_a_variant_without_its_code_is_422(client):
    body = upsert(client, {"code": "a", "variants": {"x": {"name": "no code"}}}, status=422)
    assert "product.variants.x.code" in body


def test_a_product_is_updated_by_its_identifier(client):
    product_id = upsert(
        client, {**MINIMAL, "entity_identifiers": [{"key": "m-001", "name": "MPN"}]}
    )["id"]
    upsert(
        client,
        {
            "identifier_name": "MPN",
            "entity_key": "m-001",
            "product_attributes": {"description": "Product 2 description"},
        },
    )
    body = get(client, f"/api/pim/products/{product_id}", schema="product")
    assert body["product_attributes"]["description"]["value"] == "Product 2 description"
    assert body["entity_identifiers"][0]["key"] == "m-001"
    upsert(client, {"identifier_name": "MPN", "entity_key": "nope"}, status=404)


def test_the_list_filters_by_extra_identifier(client):
    for code, identifiers in (
        ("a", [{"name": "MPN", "key": "m-1"}, {"name": "EAN", "key": "e-1"}]),
        ("b", [{"name": "MPN", "key": "m-2"}]),
        ("c", []),
    ):
        upsert(client, {"code": code, "entity_identifiers": identifiers})

    def codes(query: str) -> list[str]:
        page = get(client, f"/api/pim/products?{query}")
        return sorted(entry["code"] for entry in page["entries"])

    assert codes("identifier_name=MPN") == ["a", "b"]
    assert codes("identifier_name=MPN&entity_key=m-2") == ["b"]
    assert codes("entity_key=e-1") == ["a"]
    assert codes("identifier_name=EAN&entity_key=m-1") == []
    assert codes("identifier_name=nope") == []
    for query in ("identifier_name=", "entity_key=a%00b", f"identifier_name={'x' * 5000}"):
        get(client, f"/api/pim/products?{query}", status=422)


def test_the_first_request_sample_with_brand_categories_identifiers_and_zones(client):
    first = {
        "code": "product_1",
        "name": "Product 1",
        "attribute_set": "Automotive",
        "product_type": "product",
        "status": "active",
        "brand": {"name": "MOTUL"},
        "product_attributes": {
            "description": "Product 1 description",
            "npc_association_1": {"associated_code": "npc_entity_1"},
        },
        "categories": [{"path": "Engine Oil", "is_primary": True, "category_set": "default"}],
        "entity_identifiers": [
            {"key": "10000000001", "name": "Channel Name"},
            {"key": "20000000002", "name": "Channel Name"},
        ],
        "shipping_zones": ["AU_FREE"],
    }
    product_id = upsert(client, first)["id"]
    body = get(client, f"/api/pim/products/{product_id}", schema="product")
    assert body["brand"]["name"] == "MOTUL"
    assert body["product_categories"][0]["category_set"]["name"] == "default"
    assert body["product_categories"][0]["name"] == "Engine Oil"
    assert [i["key"] for i in body["entity_identifiers"]] == ["10000000001", "20000000002"]
    assert body["shipping_zones"] == [{"name": "AU_FREE"}]
    brand_id = body["brand"]["id"]
    other = upsert(client, {"code": "p2", "brand": {"id": brand_id}})["id"]
    assert get(client, f"/api/pim/products/{other}", schema="product")["brand"]["id"] == brand_id


def test_the_three_level_style_colour_size_sample(client):
    root_id = upsert(client, JACKET)["id"]
    [root] = get(client, "/api/pim/products")["entries"]
    assert root["id"] == root_id
    assert sorted(c["code"] for c in root["children"]) == ["jacket-blue", "jacket-red"]
    assert all(len(c["children"]) == 1 for c in root["children"])
    flat = get(client, "/api/pim/products?root_products_only=false")
    assert flat["total_entries"] == 5
    classes = get(
        client,
        f"/api/pim/products/{root_id}?response_associated_fields=product_class",
        schema="product",
    )
    assert classes["product_class"]["name"] == "Style"


def test_variations_from_the_parent_and_from_the_child(client):
    parent = upsert(client, {"code": "ABC"})["id"]
    black = upsert(client, {"code": "ABC-Black"})["id"]
    white = upsert(client, {"code": "ABC-White"})["id"]
    upsert(
        client,
        {
            "code": "ABC",
            "product_variations": [{"child_id": white}, {"child_product_code": "ABC-Black"}],
        },
    )
    links = get(
        client,
        f"/api/pim/products/{parent}?response_associated_fields=child_product_variations",
        schema="product",
    )
    assert [link["id"] for link in links["child_product_variations"]] == [black, white]
    other = upsert(client, {"code": "XYZ"})["id"]
    upsert(client, {"code": "ABC-Black", "parent_variations": [{"parent_id": other}]})
    up = get(
        client,
        f"/api/pim/products/{black}?response_associated_fields=parent_product_variations",
        schema="product",
    )
    assert [link["id"] for link in up["parent_product_variations"]] == [other]


def test_a_variation_cycle_is_422_and_changes_nothing(client):
    upsert(client, JACKET)
    body = upsert(
        client,
        {"code": "jacket-red-sm", "product_variations": [{"child_product_code": "jacket"}]},
        status=422,
    )
    assert body
    body = upsert(client, {"code": "jacket-red", "variants": {"j": {"code": "jacket"}}}, status=422)
    assert get(client, "/api/pim/products")["entries"][0]["code"] == "jacket"


def test_kits_from_both_ends(client):
    upsert(client, {"code": "sku-6"})
    member = upsert(client, {"code": "sku-12"})["id"]
    kit = upsert(
        client, {"code": "kit-3", "kit_members": [{"child_product_code": "sku-6", "qty": 1}]}
    )["id"]
    upsert(client, {"code": "sku-12", "parent_kits": [{"parent_product_code": "kit-3", "qty": 2}]})
    body = get(
        client,
        f"/api/pim/products/{kit}?response_associated_fields=child_kit_members&response_product_fields=class_type",
        schema="product",
    )
    assert [(m["code"], m["qty"]) for m in body["child_kit_members"]] == [
        ("sku-6", 1),
        ("sku-12", 2),
    ]
    assert body["class_type"] == "kit"
    up = get(
        client,
        f"/api/pim/products/{member}?response_associated_fields=parent_product_kits",
        schema="product",
    )
    assert [k["id"] for k in up["parent_product_kits"]] == [kit]


def test_a_kit_member_must_be_bottom_level_and_no_kit(client):
    upsert(client, JACKET)
    upsert(client, {"code": "kit-1", "kit_members": [{"child_product_code": "jacket-red-sm"}]})
    upsert(client, {"code": "kit-2", "kit_members": [{"child_product_code": "jacket"}]}, status=422)
    upsert(client, {"code": "kit-2", "kit_members": [{"child_product_code": "kit-1"}]}, status=422)
    upsert(
        client,
        {"code": "kit-1", "parent_kits": [{"parent_product_code": "jacket-blue-sm"}]},
        status=422,
    )
    upsert(client, {"code": "kit-1", "kit_members": [{"child_product_code": "kit-1"}]}, status=422)
    assert get(client, "/api/pim/products?code=kit-2")["total_entries"] == 0


def test_groups_from_both_ends(client):
    group = upsert(client, {"code": "group-3"})["id"]
    upsert(client, {"code": "sku-6"})
    upsert(client, {"code": "sku-12", "groups": [{"product_code": "group-3"}]})
    upsert(client, {"code": "group-3", "group_members": [{"sku_code": "sku-6", "sort_order": 100}]})
    body = get(
        client,
        f"/api/pim/products/{group}?response_associated_fields=child_group_members",
        schema="product",
    )
    assert [(m["code"], m["sort_order"]) for m in body["child_group_members"]] == [
        ("sku-6", 100),
        ("sku-12", None),
    ]


CHILD_RELATED = {
    "code": "sku-12",
    "child_related_products": [
        {
            "relationship_code": "relationship_1",
            "child_product_code": "child_product_code_1",
            "sort_order": 2,
            "status": "inactive",
        }
    ],
}


def test_related_products_from_both_ends(client):
    upsert(client, {"code": "child_product_code_1"})
    product_id = upsert(client, CHILD_RELATED)["id"]
    related = xml(client.get(f"/api/products/{product_id}/")).findall(
        "related_products/related_product"
    )
    assert len(related) == 1


def test_option_attributes_created_with_their_names_and_used_by_code_or_id(client):
    upsert(
        client,
        {
            "code": "sku-12",
            "product_attributes": {
                "option2": [{"code": "blue", "name": "Blue"}],
                "option4": [{"code": "A", "name": "A"}, {"code": "B", "name": "B"}],
            },
        },
    )
    upsert(
        client,
        {
            "code": "sku-12",
            "product_attributes": {
                "option2": [{"code": "blue"}],
                "option4": [{"code": "B"}, {"code": "A"}],
            },
        },
    )
    body = get(client, "/api/pim/products?code=sku-12")["entries"][0]
    assert body["product_attributes"]["option4"] == {
        "value": ["B", "A"],
        "base_type": "multi_option",
    }
    upsert(
        client, {"code": "sku-12", "product_attributes": {"option2": [{"code": "red"}]}}, status=422
    )


def test_association_modes_upsert_and_reset(client):
    upsert(
        client,
        {
            "code": "sku-12",
            "product_attributes": {"npc_association_1": {"associated_id": [1], "mode": "upsert"}},
        },
    )
    upsert(
        client,
        {"code": "sku-12", "product_attributes": {"npc_association_1": {"associated_id": [2]}}},
    )
    value = get(client, "/api/pim/products?code=sku-12")["entries"][0]["product_attributes"][
        "npc_association_1"
    ]
    assert value["value"]["associated_id"] == [1, 2]
    upsert(
        client,
        {
            "code": "sku-12",
            "product_attributes": {"npc_association_1": {"associated_id": [], "mode": "reset"}},
        },
    )
    value = get(client, "/api/pim/products?code=sku-12")["entries"][0]["product_attributes"][
        "npc_association_1"
    ]
    assert value["value"]["associated_id"] == []


def test_attribute_values_list(client):
    upsert(
        client,
        {
            "code": "product-one",
            "product_attributes": {"description": "Vibrant colour", "gender": "Female"},
        },
    )
    body = get(
        client,
        "/api/pim/products/attributes?attributes[attribute_definition_codes]=description",
        schema="attributes",
    )
    [entry] = body["entries"]
    assert [(a["attribute_definition_code"], a["data"]) for a in entry["attributes"]] == [
        ("description", "Vibrant colour")
    ]
    get(client, "/api/pim/products/attributes", status=422)
    # The response's attributes, when named apart from the ones asked about.
    codes = "attributes[attribute_definition_codes]=description"
    for response_codes, shown in (
        ("gender", [("gender", "Female")]),
        ("gender,description", [("description", "Vibrant colour"), ("gender", "Female")]),
    ):
        query = f"{codes}&attributes[response_attribute_definition_codes]={response_codes}"
        body = get(client, f"/api/pim/products/attributes?{query}", schema="attributes")
        [entry] = body["entries"]
        assert sorted((a["attribute_definition_code"], a["data"]) for a in entry["attributes"]) == (
            shown
        )
    get(
        client,
        "/api/pim/products/attributes?attributes[response_attribute_definition_codes]=gender",
        status=422,
    )
    too_many = ",".join(f"a{n}" for n in range(101))
    get(
        client,
        f"/api/pim/products/attributes?{codes}"
        f"&attributes[response_attribute_definition_codes]={too_many}",
        status=422,
    )


def test_typed_values_are_checked(client):
    upsert(client, {"code": "t", "product_attributes": {"hero": False, "weight_kg": 5}})
    body = upsert(client, {"code": "t", "product_attributes": {"hero": "yes"}}, status=422)
    assert "product.product_attributes.hero" in body
    upsert(client, {"code": "t", "product_attributes": {"weight_kg": "heavy"}}, status=422)
    attrs = get(client, "/api/pim/products?code=t")["entries"][0]["product_attributes"]
    assert attrs == {
        "hero": {"value": False, "base_type": "boolean"},
        "weight_kg": {"value": 5, "base_type": "number"},
    }


def test_a_refused_part_changes_nothing(client):
    upsert(
        client,
        {**FULL, "variants": {"x": {"code": "new-variant", "price_items": [{"amount": -1}]}}},
        status=422,
    )
    assert get(client, "/api/pim/products?root_products_only=false")["total_entries"] == 0


def test_list_filters_and_paging(client):
    for i in range(3):
        upsert(client, {"code": f"p{i}", "name": f"P {i}", "status": "active" if i else "inactive"})
    assert get(client, "/api/pim/products?per_page=2&page=2")["entries"][0]["code"] == "p2"
    assert get(client, "/api/pim/products?per_page=2")["total_pages"] == 2
    assert get(client, "/api/pim/products?status=inactive")["total_entries"] == 1
    assert get(client, "/api/pim/products?name=P%201")["total_entries"] == 1
    assert (
        get(client, "/api/pim/products?created_time_from=2000-01-01T00:00:00Z")["total_entries"]
        == 3
    )
    assert (
        get(client, "/api/pim/products?updated_time_to=2000-01-01T00:00:00")["total_entries"] == 0
    )
    # The "+" of an offset sent unencoded arrives as a space; it is read as the "+" it was.
    assert (
        get(client, "/api/pim/products?created_time_from=2000-01-01T10:00:00+10:00")[
            "total_entries"
        ]
        == 3
    )


def test_response_product_fields(client):
    product_id = upsert(client, MINIMAL)["id"]
    body = get(
        client,
        f"/api/pim/products/{product_id}?response_product_fields=name,status",
        schema="product",
    )
    assert body == {"id": product_id, "code": "code-001", "name": "Name 001", "status": "active"}


def test_version_1_puts_the_product_under_en(app, client):
    from xmlapi.catalog import pim_reads
    from xmlapi.db import session_scope

    product_id = upsert(client, MINIMAL)["id"]
    with session_scope(app.extensions["xmlapi.engine"]) as session:
        pim_reads.set_response_version(session, 1, 1)
    body = get(client, f"/api/pim/products/{product_id}", schema="product")
    assert body["en"]["code"] == "code-001" and "created_at" in body


def test_delete(client):
    product_id = upsert(client, MINIMAL)["id"]
    assert client.delete(f"/api/pim/products/{product_id}").status_code == 204
    get(client, f"/api/pim/products/{product_id}", status=404)


def test_a_product_locked_by_another_session_is_423(app, client):
    product_id = upsert(client, MINIMAL)["id"]
    bob = client_of(app, "bob")
    lock(bob, product_id)
    upsert(client, {"code": "code-001", "name": "changed"}, status=423)
    upsert(client, {"code": "new", "product_variations": [{"child_id": product_id}]}, status=423)
    assert get(client, "/api/pim/products?code=new")["total_entries"] == 0
    upsert(bob, {"code": "code-001", "name": "by the holder"})


HOSTILE = [
    {"code": "x", "price_items": [{"amount": "1e400"}]},
    {"code": "x", "price_items": [{"amount": 10**30}]},
    {"code": "x", "price_items": [{"amount": 1, "from": "0001-01-01T00:00:00+14:00"}]},
    {"code": "x", "price_items": [{"amount": 1, "to": "9999-12-31T23:59:59-14:00"}]},
    {"code": "x", "dimension": {"weight": "NaN"}},
    {"code": "x\u0000y"},
    {"code": "x" * 5000},
    {"code": "x", "status": "deleted"},
    {"code": "x", "inventories": [{"inventory_source": "DC1", "qty": -1}]},
    {"code": "x", "media_items": [{"url": "file:///etc/passwd"}]},
    {"code": "x", "kit_members": [{"child_id": 2**40}]},
    {"code": "x", "categories": [{"id": "1"}]},
    {"code": "x", "unknown_field": 1},
    {"code": "x", "product_attributes": [1]},
    {"id": 2**31 - 1},
    {"code": 5},
]


@pytest.mark.parametrize("product", HOSTILE)
def test_hostile_input_is_a_4xx_json_answer(client, product):
    response = client.post("/api/pim/products", json={"product": product})
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    check("error", response.get_json())


def test_deep_nesting_and_bad_documents_are_4xx(client):
    deep: dict = {"code": "d0"}
    node = deep
    for i in range(1, 40):
        node["variants"] = {f"d{i}": {"code": f"d{i}"}}
        node = node["variants"][f"d{i}"]
    response = client.post("/api/pim/products", json={"product": deep})
    assert response.status_code == 400
    assert (
        client.post("/api/pim/products", data="[1]", content_type="application/json").status_code
        == 400
    )
    assert (
        client.post("/api/pim/products", data="<x/>", content_type="application/xml").status_code
        == 415
    )
    for query in (
        "per_page=251",
        "page=0",
        "created_time_from=yesterday",
        "created_time_from=0001-01-01T00:00:00%2B14:00",  # before year 1 in UTC
        "updated_time_to=9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
        "root_products_only=maybe",
        "response_associated_fields=secrets",
    ):
        assert client.get(f"/api/pim/products?{query}").status_code == 422


def test_another_organizations_products_are_not_found(app, engine, client):
    from xmlapi.catalog import organizations
    from xmlapi.db import session_scope

    product_id = upsert(client, MINIMAL)["id"]
    with session_scope(engine) as session:
        organization = organizations.create_organization(session, "Other Ltd")
        other = organization.id
    with session_scope(engine) as session:
        from sqlalchemy import select

        from xmlapi.models import User

        alice = session.scalar(select(User).where(User.name == "alice"))
        organizations.set_memberships(session, alice, [other, 1])
    with session_scope(engine) as session:
        token, _row = organizations.create_token(session, "alice", other)
    anonymous = client_of(app, None)
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get(f"/api/pim/products/{product_id}", headers=headers).status_code == 404
    assert anonymous.get("/api/pim/products", headers=headers).get_json()["total_entries"] == 0
    response = anonymous.post(
        "/api/pim/products", json={"product": {"id": product_id, "name": "mine"}}, headers=headers
    )
    assert response.status_code == 404
    response = anonymous.post(
        "/api/pim/products",
        json={"product": {"code": "k", "kit_members": [{"child_id": product_id}]}},
        headers=headers,
    )
    assert response.status_code == 404
    assert anonymous.delete(f"/api/pim/products/{product_id}", headers=headers).status_code == 404
    same_code = anonymous.post("/api/pim/products", json={"product": MINIMAL}, headers=headers)
    assert same_code.status_code == 200 and same_code.get_json()["id"] != product_id


def _tree(roots: int, colours: int = 10, sizes: int = 10) -> list[dict]:
    return [
        {
            "code": f"style-{r}",
            "name": f"Style {r}",
            "variants": {
                f"c{c}": {
                    "code": f"style-{r}-c{c}",
                    "product_attributes": {"colour": f"Colour {c}"},
                    "variants": {
                        f"s{s}": {
                            "code": f"style-{r}-c{c}-s{s}",
                            "product_attributes": {"size": f"Size {s}"},
                        }
                        for s in range(sizes)
                    },
                }
                for c in range(colours)
            },
        }
        for r in range(roots)
    ]


def test_a_tree_of_111_products_in_one_request(client):
    [tree] = _tree(1)
    upsert(client, tree)
    page = get(client, "/api/pim/products")
    assert page["total_entries"] == 1
    assert len(page["entries"][0]["children"]) == 10
    assert sum(len(c["children"]) for c in page["entries"][0]["children"]) == 100
    assert (
        get(client, "/api/pim/products?root_products_only=false&per_page=250")["total_entries"]
        == 111
    )


def test_the_locks_of_a_tree_are_checked_in_a_constant_number_of_statements(app, client):
    engine = app.extensions["xmlapi.engine"]
    small, large = _tree(1, 2, 2)[0], _tree(1, 6, 6)[0]
    large["code"] = "style-large"
    counts = [
        count_statements(engine, lambda t=tree: upsert(client, t), touching="locks")
        for tree in (small, large, small, large)  # made, then changed
    ]
    assert counts[0] == counts[1] and counts[2] == counts[3]
    assert max(counts) <= 2


def test_listing_trees_takes_a_constant_number_of_statements(app, client):
    engine = app.extensions["xmlapi.engine"]
    trees = _tree(10, 3, 3)
    for r, tree in enumerate(trees):
        tree["catalogs"] = [{"name": f"Catalog {r}"}]
        tree["virtual_products"] = {f"v{r}": {"name": "V", "status": "active"}}
        tree["product_attributes"] = {"npc": {"associated_code": [f"e{r}"]}}
        tree["child_related_products"] = [{"child_product_code": "style-0-c0", "status": "active"}]
    upsert(client, trees[0])
    selected = (
        "/api/pim/products?response_product_fields=class_type&response_associated_fields="
        "catalogs,association_attribute_values,virtual_products,child_related_products,"
        "child_kit_members"
    )
    counts = []
    for url in ("/api/pim/products", selected):
        client.get(url)  # the session is open, caches warm
        counts.append(count_statements(engine, lambda u=url: client.get(u)))
    for tree in trees[1:]:
        upsert(client, tree)
    for url, one in zip(("/api/pim/products", selected), counts, strict=True):
        assert count_statements(engine, lambda u=url: client.get(u)) == one


def test_our_photos_are_media_items_with_our_image_urls(client):
    from tests.images import jpeg

    product_id = upsert(client, {**MINIMAL, "media_items": [{"url": "http://example.com/a.jpg"}]})[
        "id"
    ]
    lock(client, product_id)
    response = client.post(
        f"/api/products/{product_id}/add_product_photo/",
        data=jpeg(),
        headers={"Content-Type": "image/jpeg"},
    )
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    media = get(client, f"/api/pim/products/{product_id}", schema="product")["media_items"]
    assert media[0]["url"].startswith(f"/api/products/{product_id}/product_photos/")
    assert media[0]["is_uploaded"] is True
    assert media[1]["url"] == "http://example.com/a.jpg" and media[1]["is_uploaded"] is False
    assert client.get(media[0]["url"]).status_code == 200


def test_pim_settings_command_sets_the_version_and_required_attributes(
    app, client, database_url, tmp_path
):
    from click.testing import CliRunner

    from xmlapi.cli import main

    product_id = upsert(
        client, {**MINIMAL, "product_attributes": {"gender": "Male", "fabric": ""}}
    )["id"]
    env = {"XMLAPI_DATABASE_URL": database_url, "XMLAPI_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(
        main, ["pim-settings", "1", "--require", "fabric", "--require", "gender"], env=env
    )
    assert result.exit_code == 0, result.output
    body = get(client, f"/api/pim/products/{product_id}", schema="product")
    assert body["incomplete_fields"]["missing_attributes"] == ["fabric"]
    result = CliRunner().invoke(main, ["pim-settings", "1", "--response-version", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert get(client, "/api/pim/products")["entries"][0]["en"]["id"] == product_id
    result = CliRunner().invoke(main, ["pim-settings", "1", "--require", "nothing"], env=env)
    assert result.exit_code != 0 and "nothing" in result.output


def test_a_complete_product(client):
    product = {
        **MINIMAL,
        "categories": [{"path": "A/B"}],
        "price_items": [
            {"amount": "9.99", "from": "2024-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}
        ],
        "media_items": [{"url": "https://example.com/x.png", "is_primary": True}],
        "dimension": {"weight": 5, "length": "1.25"},
        "packed_dimension": {"weight": 6},
        "discontinued": True,
    }
    product_id = upsert(client, product)["id"]
    body = get(client, f"/api/pim/products/{product_id}", schema="product")
    assert body["is_complete"] is True
    assert body["product_categories"][0]["name"] == "B"
    assert body["price_items"][0]["amount"] == 9.99  # a JSON number, as the spec shows
    assert body["price_items"][0]["from"].startswith("2024-01-01T00:00:00")
    assert body["dimension"] == {"length": 1.25, "width": None, "height": None, "weight": 5}
    assert body["packed_dimension"]["weight"] == 6
    assert body["discontinued"] is True
    again = upsert(
        client,
        {"code": "code-001", "categories": [{"id": body["product_categories"][0]["category_id"]}]},
    )
    assert again["id"] == product_id
    upsert(
        client,
        {
            "code": "code-001",
            "price_items": [{"amount": 1, "from": "2025-01-01", "to": "2024-01-01"}],
        },
        status=422,
    )
    upsert(
        client,
        {
            "code": "code-001",
            "categories": [{"path": "A", "is_primary": True}, {"path": "B", "is_primary": True}],
        },
        status=422,
    )


def test_identifiers_belong_to_one_product(client):
    upsert(client, {"code": "a", "entity_identifiers": [{"name": "MPN", "key": "1"}]})
    body = upsert(
        client, {"code": "b", "entity_identifiers": [{"name": "MPN", "key": "1"}]}, status=422
    )
    assert "product.entity_identifiers.0.key" in body
    upsert(client, {"identifier_name": "MPN"}, status=422)


def test_option_ids_dates_and_json_values(client):
    upsert(
        client,
        {
            "code": "o",
            "product_attributes": {"opt": {"code": "x", "name": "X"}, "spec": {"a": [1, "2.5"]}},
        },
    )
    detail = get(client, "/api/pim/products?code=o&response_associated_fields=attribute_values")[
        "entries"
    ][0]
    assert {a["attribute_definition_code"]: a["data"] for a in detail["attribute_values"]} == {
        "opt": "x",
        "spec": {"a": [1, "2.5"]},
    }
    upsert(client, {"code": "o", "product_attributes": {"opt": [{"code": "x"}, {"code": "x"}]}})
    upsert(client, {"code": "o", "product_attributes": {"opt": 999999}}, status=422)
    upsert(client, {"code": "o", "product_attributes": {"opt": []}}, status=422)


def test_an_oversized_body_is_413(client, app):
    huge = "x" * (app.extensions["xmlapi.settings"].max_body_bytes + 10)
    response = client.post("/api/pim/products", data=huge, content_type="application/json")
    assert response.status_code == 413
    check("error", response.get_json())


def test_a_read_only_user_cannot_upsert(app):
    reader = client_of(app, "reader")
    response = reader.post("/api/pim/products", json={"product": MINIMAL})
    assert response.status_code == 403
    assert reader.get("/api/pim/products").status_code == 200


def test_a_selection_of_every_part(client):
    product_id = upsert(client, FULL)["id"]
    parts = ",".join(
        [
            "brand",
            "dimension",
            "packed_dimension",
            "product_categories",
            "shipping_zones",
            "price_items",
            "inventories",
            "media_items",
            "entity_identifiers",
            "parent_product_groups",
            "product_class",
        ]
    )
    body = get(
        client,
        f"/api/pim/products/{product_id}?response_associated_fields={parts}&response_product_fields=name,status,class_type",
        schema="product",
    )
    assert body["class_type"] == "variation"
    assert body["price_items"][0]["amount"] == 100
    assert body["parent_product_groups"] == []


RULES = [
    ({"code": "a", "variants": {"x": {"code": "a"}}}, 422),
    ({"code": "a", "kit_members": [{"child_product_code": "nope"}]}, 422),
    ({"name": "no code"}, 422),
    ({"code": "a", "brand": {"id": 99}}, 422),
    ({"code": "a", "brand": {}}, 422),
    ({"code": "a", "categories": [{"id": 99}]}, 422),
    ({"code": "a", "kit_members": [{"child_product_code": "b", "qty": 0}]}, 422),
    ({"code": "a", "product_attributes": {"born": "2024-02-30"}}, 422),
    (
        {
            "code": "a",
            "product_attributes": {"opts": [{"code": str(i), "name": "n"} for i in range(1001)]},
        },
        422,
    ),
    ({"code": "a", "product_attributes": {str(i): i for i in range(501)}}, 422),
    ({"code": "a", "product_attributes": {"spec": {"x": "y" * 70000}}}, 422),
    ({"code": "a", "parent_related_products": [{"parent_product_code": "a"}]}, 422),
]


@pytest.mark.parametrize(("product", "status"), RULES)
def test_broken_rules_are_refused_whole(client, product, status):
    upsert(client, {"code": "b"})
    upsert(client, product, status=status)
    assert get(client, "/api/pim/products?code=a")["total_entries"] == 0


def test_kits_and_groups_do_not_nest(client):
    for code in ("k1", "k2", "m", "g1", "g2", "x"):
        upsert(client, {"code": code})
    upsert(client, {"code": "k1", "kit_members": [{"child_product_code": "m"}]})
    upsert(client, {"code": "k2", "kit_members": [{"child_product_code": "m"}]})
    upsert(client, {"code": "m", "kit_members": [{"child_product_code": "x"}]}, status=422)
    upsert(client, {"code": "g1", "group_members": [{"sku_code": "g2"}]})
    upsert(client, {"code": "g2", "group_members": [{"sku_code": "x"}]}, status=422)
    upsert(client, {"code": "x", "group_members": [{"sku_code": "g1"}]}, status=422)


def test_a_root_with_variants_moves_under_another_root_with_them(client):
    upsert(client, {"code": "old", "variants": {"v": {"code": "old-v"}}})
    upsert(client, {"code": "new", "variants": {"o": {"code": "old"}}})
    [root] = get(client, "/api/pim/products")["entries"]
    assert root["code"] == "new"
    assert root["children"][0]["children"][0]["code"] == "old-v"


def test_dates_family_renames_by_id_and_stock_details(client):
    product_id = upsert(
        client,
        {
            "code": "d",
            "product_family_code": "F1",
            "product_attributes": {"born": "2024-02-03"},
            "inventories": [
                {
                    "inventory_source": "DC2",
                    "sku": "D-1",
                    "unit_cost": "2.5",
                    "out_of_stock_threshold": 1,
                }
            ],
        },
    )["id"]
    upsert(client, {"id": product_id, "code": "d2"})
    body = get(client, f"/api/pim/products/{product_id}", schema="product")
    assert body["code"] == "d2"
    assert body["product_attributes"]["born"] == {"value": "2024-02-03", "base_type": "date"}
    assert body["inventories"][0]["sku"] == "D-1" and body["inventories"][0]["unit_cost"] == 2.5
    assert xml(client.get(f"/api/products/{product_id}/")).findtext("family") == "F1"
    assert client.delete("/api/pim/products/999999").status_code == 404


def test_the_default_price_follows_the_xml_sell_price(client):
    product_id = upsert(
        client,
        {**MINIMAL, "price_items": [{"amount": 10}, {"price_book_name": "Wholesale", "amount": 7}]},
    )["id"]
    lock(client, product_id)
    response = client.put(
        f"/api/products/{product_id}/", data=b"<product><sell_price>12.00</sell_price></product>"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    client.open(f"/api/products/{product_id}/", method="UNLOCK")
    prices = get(client, f"/api/pim/products/{product_id}", schema="product")["price_items"]
    assert {p["price_book"]["name"]: p["amount"] for p in prices} == {"Default": 12, "Wholesale": 7}


def test_the_schemas_are_served(client):
    listed = client.get("/api/pim/schemas/").get_json()["schemas"]
    assert {s["name"] for s in listed} >= {"product.json", "products.json", "upserted.json"}
    response = client.get("/api/pim/schemas/product.json")
    assert response.status_code == 200 and response.mimetype == "application/schema+json"
    assert response.get_json()["$id"] == "pim/product.json"
    missing = client.get("/api/pim/schemas/..%2Fsecret")
    assert missing.status_code == 404
    check("error", missing.get_json())


def test_the_class_product_sample_and_parent_related_products(client):
    product_id = upsert(
        client,
        {
            "code": "sku-12",
            "name": "Product ABC",
            "status": "inactive",
            "product_class_name": "Class ABC",
        },
    )["id"]
    chosen = get(
        client,
        f"/api/pim/products/{product_id}?response_associated_fields=product_class&response_product_fields=status",
        schema="product",
    )
    assert chosen == {
        "id": product_id,
        "code": "sku-12",
        "status": "inactive",
        "product_class": chosen["product_class"],
    }
    assert chosen["product_class"]["name"] == "Class ABC"
    parent = upsert(client, {"code": "child_product_code_1"})["id"]
    upsert(
        client,
        {
            "code": "sku-12",
            "parent_related_products": [
                {
                    "relationship_code": "relationship_1",
                    "parent_product_code": "child_product_code_1",
                    "sort_order": 2,
                    "status": "inactive",
                }
            ],
        },
    )
    related = xml(client.get(f"/api/products/{parent}/")).findall(
        "related_products/related_product"
    )
    assert [r.find("product").get("id") for r in related] == [str(product_id)]


def test_the_option_values_sample_by_ids_and_codes(app, client):
    from sqlalchemy import select

    from xmlapi.db import session_scope
    from xmlapi.models.pim import PimAttributeOption

    upsert(
        client,
        {
            "code": "sku-12",
            "product_attributes": {
                "option1": {"code": "one", "name": "One"},
                "option2": [{"code": "blue", "name": "Blue"}],
                "option3": [{"code": "four", "name": "4"}, {"code": "five", "name": "5"}],
                "option4": [{"code": "A", "name": "A"}, {"code": "B", "name": "B"}],
            },
        },
    )
    with session_scope(app.extensions["xmlapi.engine"]) as session:
        ids = {o.code: o.id for o in session.scalars(select(PimAttributeOption))}
    sample = {
        "option1": ids["one"],
        "option2": [{"code": "blue"}],
        "option3": [ids["four"], ids["five"]],
        "option4": [{"code": "A"}, {"code": "B"}],
    }
    upsert(client, {"code": "sku-12", "product_attributes": sample})
    values = get(client, "/api/pim/products?code=sku-12")["entries"][0]["product_attributes"]
    assert values["option1"] == {"value": "one", "base_type": "single_option"}
    assert values["option3"] == {"value": ["four", "five"], "base_type": "multi_option"}


def _codes(entry: dict) -> dict:
    return {
        entry["code"]: sorted(_codes(c) for c in entry["children"]) if entry["children"] else []
    }


def test_deleting_a_level_moves_its_variants_up(client):
    upsert(client, JACKET)
    red = get(client, "/api/pim/products?code=jacket-red&root_products_only=false")["entries"][0][
        "id"
    ]
    assert client.delete(f"/api/pim/products/{red}").status_code == 204
    [root] = get(client, "/api/pim/products")["entries"]
    assert sorted(c["code"] for c in root["children"]) == ["jacket-blue", "jacket-red-sm"]


def test_deleting_a_root_makes_its_children_roots(client):
    root_id = upsert(client, JACKET)["id"]
    assert client.delete(f"/api/pim/products/{root_id}").status_code == 204
    roots = get(client, "/api/pim/products")["entries"]
    assert sorted((r["code"], [c["code"] for c in r["children"]]) for r in roots) == [
        ("jacket-blue", ["jacket-blue-sm"]),
        ("jacket-red", ["jacket-red-sm"]),
    ]


def test_a_level_moved_to_another_tree_brings_its_variants(client):
    upsert(client, JACKET)
    upsert(client, {"code": "coat", "variants": {"r": {"code": "jacket-red"}}})
    roots = {r["code"]: r for r in get(client, "/api/pim/products")["entries"]}
    assert [c["code"] for c in roots["jacket"]["children"]] == ["jacket-blue"]
    [red] = roots["coat"]["children"]
    assert [c["code"] for c in red["children"]] == ["jacket-red-sm"]
    assert get(client, "/api/pim/products?root_products_only=false")["total_entries"] == 6


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("45", 45),
        ("5.2500", 5.25),
        ("9.99", 9.99),
        ("-0.0001", -0.0001),
        # More digits than a double carries back exactly: the exact text.
        ("12345678901234.5678", "12345678901234.5678"),
    ],
)
def test_numbers_are_json_numbers_unless_one_would_change_them(stored, shown):
    from decimal import Decimal

    from xmlapi.faces.pim.format import number

    assert number(Decimal(stored)) == shown
    assert type(number(Decimal(stored))) is type(shown)
