"""The PIM product fields beyond the first round, through HTTP: catalogs, kit_skus,
kit_create_mode (empty and cloned kits), virtual products, association attribute values,
related products' relationship and status, locale; hostile values of each, and failed
writes that change nothing. Every answer is checked against its JSON Schema."""

from __future__ import annotations

import pytest

from tests.conftest import client_of
from tests.helpers import document, lock, xml
from tests.pim_helpers import get, upsert
from tests.test_pim import CHILD_RELATED, MINIMAL


def _detail(client, product_id: int, parts: str = "", fields: str = "") -> dict:
    query = []
    if parts:
        query.append(f"response_associated_fields={parts}")
    if fields:
        query.append(f"response_product_fields={fields}")
    suffix = f"?{'&'.join(query)}" if query else ""
    return get(client, f"/api/pim/products/{product_id}{suffix}", schema="product")


def _id_of(client, code: str) -> int:
    [entry] = get(client, f"/api/pim/products?code={code}&root_products_only=false")["entries"]
    return entry["id"]


def _count(client) -> int:
    return get(client, "/api/pim/products?root_products_only=false")["total_entries"]


# Catalogs --------------------------------------------------------------------------------


def test_catalogs_are_linked_by_name_then_by_id_and_answered(client):
    product_id = upsert(client, {**MINIMAL, "catalogs": [{"name": "Catalog Name"}]})["id"]
    body = _detail(client, product_id)
    [catalog] = body["catalogs"]
    assert catalog["name"] == "Catalog Name" and isinstance(catalog["id"], int)
    upsert(client, {"code": "code-001", "catalogs": [{"id": catalog["id"]}, {"name": "Second"}]})
    names = [c["name"] for c in _detail(client, product_id)["catalogs"]]
    assert names == ["Catalog Name", "Second"]
    chosen = _detail(client, product_id, parts="catalogs")
    assert chosen == {"id": product_id, "code": "code-001", "catalogs": chosen["catalogs"]}
    assert [c["name"] for c in chosen["catalogs"]] == names


def test_a_catalog_is_linked_once_and_links_are_kept(client):
    product_id = upsert(client, {**MINIMAL, "catalogs": [{"name": "A"}, {"name": "A"}]})["id"]
    upsert(client, {"code": "code-001", "catalogs": [{"name": "B"}]})
    assert [c["name"] for c in _detail(client, product_id)["catalogs"]] == ["A", "B"]


@pytest.mark.parametrize(
    ("catalogs", "field"),
    [
        ([{"id": 999999}], "product.catalogs.0.id"),
        ([{"id": "1"}], "product.catalogs.0.id"),
        ([{"id": 2**63}], "product.catalogs.0.id"),
        ([{}], "product.catalogs.0.name"),
        ([{"name": ""}], "product.catalogs.0.name"),
        ([{"name": "x" * 256}], "product.catalogs.0.name"),
        ([{"name": "a\u0000b"}], "product.catalogs.0.name"),
        (["Catalog Name"], "product.catalogs.0"),
        ({"name": "A"}, "product.catalogs"),
    ],
)
def test_hostile_catalogs_are_422_and_change_nothing(client, catalogs, field):
    body = upsert(client, {**MINIMAL, "catalogs": catalogs}, status=422)
    assert field in body
    assert _count(client) == 0


def test_a_catalog_id_and_another_name_is_422(client):
    product_id = upsert(client, {**MINIMAL, "catalogs": [{"name": "A"}]})["id"]
    catalog_id = _detail(client, product_id)["catalogs"][0]["id"]
    body = upsert(
        client, {"code": "code-001", "catalogs": [{"id": catalog_id, "name": "B"}]}, status=422
    )
    assert "product.catalogs.0.name" in body


# Kit skus and kits ------------------------------------------------------------------------


def test_kit_skus_name_members_by_code_with_their_qty(client):
    upsert(client, {"code": "sku-6"})
    upsert(client, {"code": "sku-12"})
    kit = upsert(
        client,
        {
            "code": "kit-3",
            "kit_skus": [{"product_code": "sku-6", "qty": 2}, {"product_code": "sku-12", "qty": 1}],
        },
    )["id"]
    upsert(client, {"code": "kit-3", "kit_skus": [{"product_code": "sku-6", "qty": "3.5"}]})
    body = _detail(client, kit, parts="child_kit_members", fields="class_type")
    assert [(m["code"], m["qty"]) for m in body["child_kit_members"]] == [
        ("sku-6", 3.5),
        ("sku-12", 1),
    ]
    assert body["class_type"] == "kit"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"product_code": "sku-6"}, "product.kit_skus.0.qty"),
        ({"qty": 1}, "product.kit_skus.0.product_code"),
        ({"product_id": 1, "qty": 1}, "product.kit_skus.0.product_code"),
        ({"product_code": "nope", "qty": 1}, "product.kit_skus.0"),
        ({"product_code": "sku-6", "qty": 0}, "product.kit_skus.0.qty"),
        ({"product_code": "sku-6", "qty": -2}, "product.kit_skus.0.qty"),
        ({"product_code": "sku-6", "qty": 10**30}, "product.kit_skus.0.qty"),
        ({"product_code": "sku-6", "qty": "many"}, "product.kit_skus.0.qty"),
        ({"product_code": "sku-6", "qty": True}, "product.kit_skus.0.qty"),
        ({"product_code": 6, "qty": 1}, "product.kit_skus.0.product_code"),
        ({"product_code": "kit-3", "qty": 1}, "product.kit_skus.0"),
    ],
)
def test_hostile_kit_skus_are_422_and_change_nothing(client, entry, field):
    upsert(client, {"code": "sku-6"})
    body = upsert(client, {"code": "kit-3", "name": "Kit", "kit_skus": [entry]}, status=422)
    assert field in body
    assert _count(client) == 1


def test_a_kit_sku_must_be_bottom_level_and_no_kit(client):
    upsert(client, {"code": "top", "variants": {"v": {"code": "top-v"}}})
    upsert(client, {"code": "kit-1", "kit_skus": [{"product_code": "top-v", "qty": 1}]})
    body = upsert(
        client, {"code": "kit-2", "kit_skus": [{"product_code": "top", "qty": 1}]}, status=422
    )
    assert "product.kit_skus.0" in body
    body = upsert(
        client, {"code": "kit-2", "kit_skus": [{"product_code": "kit-1", "qty": 1}]}, status=422
    )
    assert "product.kit_skus.0" in body
    assert get(client, "/api/pim/products?code=kit-2")["total_entries"] == 0


def test_an_empty_kit_is_a_kit_in_its_attribute_set(client):
    kit = upsert(
        client,
        {
            "code": "kit-1",
            "name": "Party kit",
            "attribute_set": "Kits",
            "kit_create_mode": "Empty kit",
        },
    )["id"]
    body = _detail(client, kit, fields="class_type,name")
    assert body["class_type"] == "kit" and body["name"] == "Party kit"
    assert _detail(client, kit)["attribute_set"]["name"] == "Kits"
    upsert(client, {"code": "sku"})
    body = upsert(
        client, {"code": "other", "kit_skus": [{"product_code": "kit-1", "qty": 1}]}, status=422
    )
    assert "product.kit_skus.0" in body


def _sku(client) -> int:
    return upsert(
        client,
        {
            "code": "sku-1",
            "name": "Bottle",
            "status": "inactive",
            "attribute_set": "Drinks",
            "product_type": "product",
            "brand": {"name": "MOTUL"},
            "product_attributes": {"description": "One bottle", "volume": 5},
            "price_items": [{"amount": "9.50"}, {"price_book_name": "Wholesale", "amount": 7}],
            "categories": [{"path": "Oil", "is_primary": True}],
            "catalogs": [{"name": "Summer"}],
            "media_items": [{"url": "https://example.com/bottle.png"}],
            "inventories": [{"inventory_source": "DC1", "qty": 12}],
            "entity_identifiers": [{"name": "MPN", "key": "b-1"}],
            "dimension": {"weight": 2},
        },
    )["id"]


def test_a_kit_cloned_from_a_sku_starts_with_its_data(client):
    sku = _sku(client)
    kit = upsert(
        client,
        {
            "code": "six-pack",
            "name": "Six bottles",
            "kit_create_mode": "Clone from existing SKU",
            "base_sku_code_for_clone": "sku-1",
            "product_attributes": {"volume": 30},
            "kit_skus": [{"product_code": "sku-1", "qty": 6}],
        },
    )["id"]
    body = _detail(client, kit)
    source = _detail(client, sku)
    assert body["name"] == "Six bottles"
    assert body["status"] == "inactive" and body["attribute_set"]["name"] == "Drinks"
    assert body["brand"] == source["brand"]
    assert body["product_attributes"] == {
        "description": {"value": "One bottle", "base_type": "html"},
        "volume": {"value": 30, "base_type": "number"},
    }
    assert {p["price_book"]["name"]: p["amount"] for p in body["price_items"]} == {
        "Default": 9.5,
        "Wholesale": 7,
    }
    assert [c["path"] for c in body["product_categories"]] == ["Oil"]
    assert [c["name"] for c in body["catalogs"]] == ["Summer"]
    assert [m["url"] for m in body["media_items"]] == ["https://example.com/bottle.png"]
    assert body["dimension"]["weight"] == 2
    assert body["inventories"] == [] and body["entity_identifiers"] == []
    assert _detail(client, kit, fields="class_type")["class_type"] == "kit"
    assert source["product_attributes"]["volume"]["value"] == 5


@pytest.mark.parametrize(
    ("product", "field"),
    [
        ({"code": "k", "kit_create_mode": "Full kit"}, "product.kit_create_mode"),
        ({"code": "k", "kit_create_mode": 1}, "product.kit_create_mode"),
        ({"code": "k", "kit_create_mode": "Empty kit"}, "product.kit_create_mode"),
        (
            {"code": "k", "kit_create_mode": "Clone from existing SKU"},
            "product.base_sku_code_for_clone",
        ),
        (
            {"code": "k", "base_sku_code_for_clone": "sku-1", "attribute_set": "A"},
            "product.base_sku_code_for_clone",
        ),
        (
            {
                "code": "k",
                "kit_create_mode": "Empty kit",
                "attribute_set": "A",
                "base_sku_code_for_clone": "sku-1",
            },
            "product.base_sku_code_for_clone",
        ),
        (
            {
                "code": "k",
                "kit_create_mode": "Clone from existing SKU",
                "base_sku_code_for_clone": "nope",
            },
            "product.base_sku_code_for_clone",
        ),
        (
            {
                "code": "k",
                "kit_create_mode": "Clone from existing SKU",
                "base_sku_code_for_clone": "k",
            },
            "product.base_sku_code_for_clone",
        ),
        (
            {
                "code": "k",
                "kit_create_mode": "Clone from existing SKU",
                "base_sku_code_for_clone": "x" * 2000,
            },
            "product.base_sku_code_for_clone",
        ),
        (
            {"code": "sku-1", "kit_create_mode": "Empty kit", "attribute_set": "A"},
            "product.kit_create_mode",
        ),
        (
            {
                "code": "k",
                "kit_create_mode": "Empty kit",
                "attribute_set": "A",
                "variants": {"v": {"code": "k-v"}},
            },
            "product.kit_create_mode",
        ),
    ],
)
def test_hostile_kit_creations_are_422_and_change_nothing(client, product, field):
    upsert(client, {"code": "sku-1"})
    body = upsert(client, product, status=422)
    assert field in body
    assert _count(client) == 1


def test_a_kit_is_not_cloned_from_a_kit_a_variant_tree_or_a_product_of_this_document(client):
    upsert(client, {"code": "kit-1", "kit_create_mode": "empty kit", "attribute_set": "A"})
    upsert(client, {"code": "top", "variants": {"v": {"code": "top-v"}}})
    clone = {"kit_create_mode": "Clone from existing SKU"}
    for base in ("kit-1", "top"):
        body = upsert(client, {"code": "k", **clone, "base_sku_code_for_clone": base}, status=422)
        assert "product.base_sku_code_for_clone" in body
    same_document = {
        "code": "new-root",
        "variants": {"k": {"code": "k", **clone, "base_sku_code_for_clone": "new-root"}},
    }
    body = upsert(client, same_document, status=422)
    assert "product.variants.k.base_sku_code_for_clone" in body
    assert _count(client) == 3


# Virtual products --------------------------------------------------------------------------


VIRTUALS = {
    "vp-red": {
        "code": "vp-red",
        "name": "Red edition",
        "status": "active",
        "attributes": {"colour_name": "Red", "hero": True},
    },
    "vp-blue": {"name": "Blue edition", "status": "inactive"},
}


def test_virtual_products_are_created_changed_and_answered(client):
    product_id = upsert(client, {**MINIMAL, "virtual_products": VIRTUALS})["id"]
    body = _detail(client, product_id)
    assert [(v["code"], v["name"], v["status"]) for v in body["virtual_products"]] == [
        ("vp-blue", "Blue edition", "inactive"),
        ("vp-red", "Red edition", "active"),
    ]
    assert body["virtual_products"][0]["attributes"] == {}
    assert body["virtual_products"][1]["attributes"] == {
        "colour_name": {"value": "Red", "base_type": "string"},
        "hero": {"value": True, "base_type": "boolean"},
    }
    upsert(
        client,
        {
            "code": "code-001",
            "virtual_products": {"x": {"code": "vp-red", "attributes": {"hero": False}}},
        },
    )
    chosen = _detail(client, product_id, parts="virtual_products")
    red = chosen["virtual_products"][1]
    assert red["name"] == "Red edition"
    assert red["attributes"]["hero"]["value"] is False
    assert red["attributes"]["colour_name"]["value"] == "Red"


@pytest.mark.parametrize(
    ("virtuals", "field"),
    [
        ({"v": {"name": "no status"}}, "product.virtual_products.v.status"),
        ({"v": {"status": "active"}}, "product.virtual_products.v.name"),
        ({"v": {"name": "n", "status": "gone"}}, "product.virtual_products.v.status"),
        ({"v": {"name": 5, "status": "active"}}, "product.virtual_products.v.name"),
        ({"v": {"name": "n", "status": "active", "price": 1}}, "product.virtual_products.v.price"),
        (
            {"v": {"name": "n", "status": "active", "attributes": [1]}},
            "product.virtual_products.v.attributes",
        ),
        (
            {"v": {"name": "n", "status": "active", "attributes": {"hero": "yes"}}},
            "product.virtual_products.v.attributes.hero",
        ),
        (
            {"a": {"code": "same", "name": "n", "status": "active"}, "same": {}},
            "product.virtual_products.same.code",
        ),
        ({"v": "vp"}, "product.virtual_products.v"),
        (["vp"], "product.virtual_products"),
        (
            {"v": {"code": "x" * 1024, "name": "n", "status": "active"}},
            "product.virtual_products.v.code",
        ),
        ({"taken": {"name": "n", "status": "active"}}, "product.virtual_products.taken.code"),
    ],
)
def test_hostile_virtual_products_are_422_and_change_nothing(client, virtuals, field):
    upsert(client, {"code": "other", "product_attributes": {"hero": True}})
    upsert(
        client, {"code": "other", "virtual_products": {"taken": {"name": "T", "status": "active"}}}
    )
    body = upsert(client, {**MINIMAL, "virtual_products": virtuals}, status=422)
    assert field in body
    assert _count(client) == 1


# Association attribute values ----------------------------------------------------------------


def test_association_attribute_values_are_answered_apart(client):
    product_id = upsert(
        client,
        {
            **MINIMAL,
            "product_attributes": {
                "description": "d",
                "npc_association_1": {"associated_code": "npc_entity_1"},
                "npc_association_2": {"associated_id": [1, 2]},
            },
        },
    )["id"]
    body = _detail(client, product_id, parts="attribute_values,association_attribute_values")
    assert [a["attribute_definition_code"] for a in body["attribute_values"]] == ["description"]
    found = [
        (a["attribute_definition_code"], a.get("associated_code"), a.get("associated_id"))
        for a in body["association_attribute_values"]
    ]
    assert found == [
        ("npc_association_1", "npc_entity_1", None),
        ("npc_association_2", None, 1),
        ("npc_association_2", None, 2),
    ]
    assert {a["associated_type"] for a in body["association_attribute_values"]} == {"NpcEntity"}


# Related products ------------------------------------------------------------------------------


def test_related_products_keep_their_relationship_and_status(client):
    child = upsert(client, {"code": "child_product_code_1"})["id"]
    other = upsert(client, {"code": "other"})["id"]
    product_id = upsert(client, CHILD_RELATED)["id"]
    [link] = _detail(client, product_id, parts="child_related_products")["child_related_products"]
    assert (link["id"], link["sort_order"], link["status"]) == (child, 2, "inactive")
    assert link["relationship_code"] == "relationship_1"
    relationship_id = link["relationship_id"]
    upsert(
        client,
        {
            "code": "sku-12",
            "parent_related_products": [
                {
                    "relationship_id": relationship_id,
                    "parent_product_id": other,
                    "sort_order": 1,
                    "status": "active",
                }
            ],
        },
    )
    [up] = _detail(client, other, parts="child_related_products")["child_related_products"]
    assert (up["id"], up["relationship_id"], up["status"]) == (
        product_id,
        relationship_id,
        "active",
    )
    [down] = _detail(client, product_id, parts="parent_related_products")["parent_related_products"]
    assert down["id"] == other and down["relationship_code"] == "relationship_1"


def test_an_xml_put_of_the_related_products_keeps_their_relationship_and_status(client):
    # The XML face neither shows nor sends them: rewriting the list there must not lose
    # what the PIM face said of a relation it keeps; a relation it drops goes.
    child = upsert(client, {"code": "child_product_code_1"})["id"]
    other = upsert(client, {"code": "other"})["id"]
    product_id = upsert(client, CHILD_RELATED)["id"]
    lock(client, product_id)
    related = [{"product": {"@id": child}, "quantity": "3"}, {"product": {"@id": other}}]
    body = document("product", {"related_products": {"related_product": related}})
    response = client.put(f"/api/products/{product_id}/", data=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    links = _detail(client, product_id, parts="child_related_products")["child_related_products"]
    by_id = {link["id"]: link for link in links}
    assert (by_id[child]["relationship_code"], by_id[child]["status"]) == (
        "relationship_1",
        "inactive",
    )
    assert by_id[other]["status"] is None
    assert xml(response).find("related_products/related_product/quantity").text == "3.0000000"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"relationship_id": 999999}, "product.child_related_products.0.relationship_id"),
        ({"relationship_id": "1"}, "product.child_related_products.0.relationship_id"),
        ({"relationship_id": 2**40}, "product.child_related_products.0.relationship_id"),
        ({"relationship_code": ""}, "product.child_related_products.0.relationship_code"),
        ({"relationship_code": ["r"]}, "product.child_related_products.0.relationship_code"),
        ({"status": "deleted"}, "product.child_related_products.0.status"),
        ({"status": True}, "product.child_related_products.0.status"),
        ({"sort_order": 2**40}, "product.child_related_products.0.sort_order"),
    ],
)
def test_hostile_related_products_are_422_and_change_nothing(client, entry, field):
    upsert(client, {"code": "child"})
    body = upsert(
        client,
        {"code": "sku-12", "child_related_products": [{"child_product_code": "child", **entry}]},
        status=422,
    )
    assert field in body
    assert _count(client) == 1


# Locale ----------------------------------------------------------------------------------------


def test_the_locale_is_stored_and_keys_the_version_1_answer(app, client):
    from xmlapi.catalog import pim_reads
    from xmlapi.db import session_scope

    french = upsert(client, {**MINIMAL, "locale": "fr"})["id"]
    plain = upsert(client, {**MINIMAL, "code": "plain"})["id"]
    assert "locale" not in _detail(client, french)
    with session_scope(app.extensions["xmlapi.engine"]) as session:
        pim_reads.set_response_version(session, 1, 1)
    assert _detail(client, french)["fr"]["code"] == "code-001"
    assert _detail(client, plain)["en"]["code"] == "plain"
    upsert(client, {"code": "code-001", "locale": "en-AU"})
    assert _detail(client, french)["en-AU"]["id"] == french


@pytest.mark.parametrize(
    "locale", ["", "english", "EN", "e", "en-", "x" * 40, 5, ["en"], "en us", "en\u0000"]
)
def test_a_hostile_locale_is_422(client, locale):
    body = upsert(client, {**MINIMAL, "locale": locale}, status=422)
    assert "product.locale" in body
    assert _count(client) == 0


# Locks and one transaction ----------------------------------------------------------------------


def test_the_new_fields_honour_the_xml_locks(app, client):
    upsert(client, {"code": "sku-6"})
    kit = upsert(client, {"code": "kit-3"})["id"]
    bob = client_of(app, "bob")
    lock(bob, kit)
    for change in (
        {"catalogs": [{"name": "A"}]},
        {"kit_skus": [{"product_code": "sku-6", "qty": 1}]},
        {"virtual_products": {"v": {"name": "n", "status": "active"}}},
        {"locale": "fr"},
    ):
        upsert(client, {"code": "kit-3", **change}, status=423)
    body = _detail(client, kit)
    assert body["catalogs"] == [] and body["virtual_products"] == []
    upsert(bob, {"code": "kit-3", "catalogs": [{"name": "A"}]})
    assert [c["name"] for c in _detail(client, kit)["catalogs"]] == ["A"]


@pytest.mark.parametrize(
    ("whole", "link"),
    [
        ("kit-3", {"parent_kits": [{"parent_product_code": "kit-3", "qty": 1}]}),
        ("group-3", {"groups": [{"product_code": "group-3"}]}),
    ],
)
def test_a_kit_or_group_gaining_a_member_from_the_members_side_needs_its_lock(
    app, client, whole, link
):
    upsert(client, {"code": "sku-1"})
    upsert(client, {"code": "sku-6"})
    member = {"kit_skus": [{"product_code": "sku-1", "qty": 1}]} if whole == "kit-3" else {}
    whole_id = upsert(client, {"code": whole, **member})["id"]  # a kit already
    before = get(client, f"/api/pim/products/{whole_id}", schema="product")["updated_at"]
    bob = client_of(app, "bob")
    lock(bob, whole_id)
    upsert(client, {"code": "sku-6", **link}, status=423)
    upsert(bob, {"code": "sku-6", **link})
    assert get(client, f"/api/pim/products/{whole_id}", schema="product")["updated_at"] > before


def test_a_failed_write_of_every_new_field_changes_nothing(client):
    _sku(client)
    document = {
        "code": "kit",
        "kit_create_mode": "Clone from existing SKU",
        "base_sku_code_for_clone": "sku-1",
        "catalogs": [{"name": "New"}],
        "locale": "fr",
        "virtual_products": {"v": {"name": "V", "status": "active"}},
        "kit_skus": [{"product_code": "sku-1", "qty": 2}],
        "child_related_products": [
            {"child_product_code": "sku-1", "relationship_code": "r", "status": "bogus"}
        ],
    }
    upsert(client, document, status=422)
    assert _count(client) == 1
    sku = _id_of(client, "sku-1")
    assert [c["name"] for c in _detail(client, sku)["catalogs"]] == ["Summer"]
    document["child_related_products"][0]["status"] = "active"
    kit = upsert(client, document)["id"]
    body = _detail(client, kit)
    assert [c["name"] for c in body["catalogs"]] == ["Summer", "New"]
    assert [v["code"] for v in body["virtual_products"]] == ["v"]


def test_a_kit_is_cloned_from_a_product_made_in_xml_without_touching_it(app, client):
    from tests.helpers import create_product

    base = create_product(client, code="XML-1", description="Made in XML")
    etag = client.get(f"/api/products/{base}/").headers["ETag"]
    bob = client_of(app, "bob")
    lock(bob, base)
    kit = upsert(
        client,
        {
            "code": "kit",
            "kit_create_mode": "Clone from existing SKU",
            "base_sku_code_for_clone": "XML-1",
        },
    )["id"]
    assert _detail(client, kit)["name"] == "Made in XML"
    assert client.get(f"/api/products/{base}/").headers["ETag"] == etag


def test_the_product_family_selection(client):
    with_family = upsert(client, {**MINIMAL, "product_family_code": "F1"})["id"]
    without = upsert(client, {"code": "plain"})["id"]
    assert _detail(client, with_family, parts="product_family")["product_family"] == {"code": "F1"}
    assert _detail(client, without, parts="product_family")["product_family"] is None
