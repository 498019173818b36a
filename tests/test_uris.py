"""URIs in documents and Location headers come from the route table: each names a
resource the service serves, and a route that moves takes its URIs with it."""

from __future__ import annotations

from werkzeug.routing import Rule

from tests import images
from tests.helpers import create, create_product, document, lock, xml
from tests.test_products import full_document, refs  # noqa: F401 (a fixture)
from xmlapi.catalog.reference import KINDS
from xmlapi.faces.legacy import uris


def linked(root) -> list[tuple[str, str]]:
    """(uri, id) of every element of a document that carries a uri."""
    return [(e.get("uri"), e.get("id")) for e in root.iter() if e.get("uri")]


def follow(client, uri: str, ident: str) -> None:
    """GET the URI as a client does (``/api`` + uri): the resource it names answers."""
    response = client.get(f"/api{uri}")
    assert response.status_code == 200, (uri, response.get_data(as_text=True))
    assert xml(response).get("id") == ident, uri


def a_product_with_everything(client, refs) -> int:  # noqa: F811
    """A child product with every reference, a cost, a serial number and a photo."""
    related = create_product(client, code="RELATED")
    master = create_product(client, code="MASTER")
    document_values = {
        **full_document(refs, related),
        "master_product": {"product": {"@id": master}},
        "product_color": {"@id": refs["color"]},
        "product_size": {"@id": refs["size"]},
        "flags": {"serialized": "true"},
    }
    product_id = create_product(client, **document_values)
    lock(client, product_id)
    base = f"/api/products/{product_id}/"
    cost = {"supplier": {"@id": refs["supplier"]}, "supplier_product_code": "NW-1", "raw": "3.5"}
    response = client.post(f"{base}costs/", data=document("cost", cost))
    assert response.status_code == 201, response.get_data(as_text=True)
    warehouse = create(client, "/api/warehouses/", "warehouse", {"name": "Main"})
    serial = {"serial": "SN-1", "warehouse": {"@id": warehouse}}
    response = client.post(f"{base}serial_numbers/", data=document("serial_number", serial))
    assert response.status_code == 201, response.get_data(as_text=True)
    photo = client.post(f"{base}add_product_photo/", data=images.jpeg())
    assert photo.status_code == 201
    return product_id


def test_every_uri_a_document_carries_is_served(client, refs):  # noqa: F811
    product_id = a_product_with_everything(client, refs)
    base = f"/api/products/{product_id}/"
    documents = [
        xml(client.get(base)),
        xml(client.get("/api/products/")),
        xml(client.get(f"{base}costs/")),
        xml(client.get(f"{base}serial_numbers/")),
        xml(client.get(f"{base}product_photos/")),
        *(xml(client.get(f"/api/{path}/")) for path in uris.REFERENCE_PATHS.values()),
    ]
    followed = {link for root in documents for link in linked(root)}
    for uri, ident in sorted(followed):
        follow(client, uri, ident)
    # Every kind of resource the face links to, reference data of every kind included.
    shapes = {
        uri.rstrip("/").rsplit("/", 1)[0].replace(str(product_id), "X") for uri, _ in followed
    }
    assert {
        "/products",
        "/products/X/costs",
        "/products/X/serial_numbers",
        "/products/X/images",
        "/products/X/product_photos",
        *(f"/{path}" for path in uris.REFERENCE_PATHS.values()),
    } <= shapes


def test_location_headers_name_what_was_created(client, refs):  # noqa: F811
    response = client.post("/api/products/", data=document("product", {"code": "L-1"}))
    created = xml(response)
    assert response.headers["Location"] == f"/api{created.get('uri')}"
    follow(client, created.get("uri"), created.get("id"))


def test_uris_are_made_from_the_routes_as_they_are():
    moved = [
        Rule("/api/items/<int:product_id>/", endpoint="products.detail"),
        Rule("/api/items/<int:product_id>/costs/<int:cost_id>/", endpoint="costs.detail"),
        Rule("/healthz", endpoint="operating.healthz"),  # another face's: not ours
    ]
    assert uris.templates_of(moved) == {
        "products.detail": "/items/{product_id}/",
        "costs.detail": "/items/{product_id}/costs/{cost_id}/",
    }


def test_every_kind_of_reference_data_has_a_place_in_the_face():
    assert set(uris.REFERENCE_PATHS) == {kind.plural for kind in KINDS}
