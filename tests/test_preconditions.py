"""Conditional requests and the render cache: a product's ETag changes with every write
that changes its render, and only then."""

from __future__ import annotations

from tests.conftest import client_of
from tests.helpers import count_statements, create, create_locked_product, document, xml


def statements(app, call) -> int:
    return count_statements(app.extensions["xmlapi.engine"], call)


def etag_of(client, product_id) -> str:
    response = client.get(f"/api/products/{product_id}/")
    assert response.status_code == 200
    return response.headers["ETag"]


def test_detail_has_a_strong_etag_and_answers_if_none_match(client):
    product_id = create_locked_product(client, code="E")
    etag = etag_of(client, product_id)
    assert not etag.startswith("W/")
    response = client.get(f"/api/products/{product_id}/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag
    other = client.get(f"/api/products/{product_id}/", headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200


def test_a_repeated_read_is_served_from_the_cache(app, client):
    product_id = create_locked_product(client, code="C")
    first = client.get(f"/api/products/{product_id}/").get_data()
    assert statements(app, lambda: client.get(f"/api/products/{product_id}/")) <= 2
    assert client.get(f"/api/products/{product_id}/").get_data() == first


def test_writes_change_the_etag_and_the_render(client):
    product_id = create_locked_product(client, code="W", family="Before")
    before = etag_of(client, product_id)
    client.put(f"/api/products/{product_id}/", data=document("product", {"family": "After"}))
    assert etag_of(client, product_id) != before
    assert xml(client.get(f"/api/products/{product_id}/")).findtext("family") == "After"


def test_a_change_of_related_products_alone_changes_the_etag(client):
    other = create_locked_product(client, code="O")
    product_id = create_locked_product(client, code="P")
    before = etag_of(client, product_id)
    client.put(
        f"/api/products/{product_id}/",
        data=document(
            "product", {"related_products": {"related_product": [{"product": {"@id": other}}]}}
        ),
    )
    assert etag_of(client, product_id) != before


def test_deleting_a_related_product_refreshes_the_renders_that_showed_it(client):
    other = create_locked_product(client, code="O")
    product_id = create_locked_product(
        client, code="P", related_products={"related_product": [{"product": {"@id": other}}]}
    )
    assert (
        xml(client.get(f"/api/products/{product_id}/")).find("related_products/related_product")
        is not None
    )
    assert client.delete(f"/api/products/{other}/").status_code == 200
    assert (
        xml(client.get(f"/api/products/{product_id}/")).find("related_products/related_product")
        is None
    )


def test_editing_reference_data_refreshes_renders_that_embed_it(client):
    exemption = create(
        client, "/api/setup/tax_exemptions/", "tax_exemption", {"name": "Resale", "code": "R"}
    )
    product_id = create_locked_product(client, code="T", tax_exemption={"@id": exemption})
    before = etag_of(client, product_id)
    client.put(
        f"/api/setup/tax_exemptions/{exemption}/",
        data=document("tax_exemption", {"name": "Wholesale"}),
    )
    assert etag_of(client, product_id) != before
    assert (
        xml(client.get(f"/api/products/{product_id}/")).findtext("tax_exemption/name")
        == "Wholesale"
    )


def test_a_write_in_another_worker_is_seen(app, make_app, client):
    product_id = create_locked_product(client, code="X", family="Before")
    client.get(f"/api/products/{product_id}/")  # now cached in this worker
    client.open(f"/api/products/{product_id}/", method="UNLOCK")
    bob = client_of(make_app(app.extensions["xmlapi.settings"]), "bob")  # another worker
    assert bob.open(f"/api/products/{product_id}/", method="LOCK").status_code == 200
    assert (
        bob.put(
            f"/api/products/{product_id}/", data=document("product", {"family": "After"})
        ).status_code
        == 200
    )
    assert xml(client.get(f"/api/products/{product_id}/")).findtext("family") == "After"


def test_a_repeated_list_page_reuses_its_items_until_one_changes(app, client):
    ids = [create_locked_product(client, code=f"L{i}") for i in range(3)]
    first = client.get("/api/products/").get_data()
    # the session, the count, the page: no rows fetched for items already rendered
    assert statements(app, lambda: client.get("/api/products/").get_data()) == 3
    assert client.get("/api/products/").get_data() == first
    client.put(f"/api/products/{ids[1]}/", data=document("product", {"description": "New"}))
    items = xml(client.get("/api/products/")).findall("product")
    assert [item.findtext("description") for item in items] == ["", "New", ""]


def test_a_stale_if_match_is_a_412_carrying_the_current_etag_and_changes_nothing(client):
    product_id = create_locked_product(client, code="IFM", family="Before")
    stale = etag_of(client, product_id)
    response = client.put(
        f"/api/products/{product_id}/", data=document("product", {"family": "Between"})
    )
    current = response.headers["ETag"]
    for made_up in (stale, '"made-up"', 'W/"' + current.strip('"') + '"'):
        response = client.put(
            f"/api/products/{product_id}/",
            data=document("product", {"family": "Lost"}),
            headers={"If-Match": made_up},
        )
        assert response.status_code == 412
        assert xml(response).get("type") == "precondition.failed"
        assert response.headers["ETag"] == current
    deleted = client.delete(f"/api/products/{product_id}/", headers={"If-Match": stale})
    assert deleted.status_code == 412
    assert xml(client.get(f"/api/products/{product_id}/")).findtext("family") == "Between"


def test_a_current_if_match_lets_the_write_through(client):
    product_id = create_locked_product(client, code="IFOK")
    current = etag_of(client, product_id)
    for family, template in (("One", "{}"), ("Two", '"other", {}'), ("Three", "*")):
        response = client.put(
            f"/api/products/{product_id}/",
            data=document("product", {"family": family}),
            headers={"If-Match": template.format(current)},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        current = response.headers["ETag"]
    assert (
        client.delete(f"/api/products/{product_id}/", headers={"If-Match": current}).status_code
        == 200
    )


def test_a_weak_if_none_match_gets_a_304_too(client):
    product_id = create_locked_product(client, code="WEAK")
    weak = "W/" + etag_of(client, product_id)
    response = client.get(f"/api/products/{product_id}/", headers={"If-None-Match": weak})
    assert response.status_code == 304
