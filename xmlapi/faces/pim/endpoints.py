"""The PIM face's routes, each with its policies; bearer tokens authenticate them all."""

from __future__ import annotations

from xmlapi.http.endpoints import Endpoint

PREFIX = "/api/pim"


def _entry(view: str, method: str, path: str, description: str) -> Endpoint:
    return Endpoint(view, method, path, description, contract=False, tokens=True, prefix=PREFIX)


ENDPOINTS: tuple[Endpoint, ...] = (
    _entry("pim_products.list", "GET", "/products", "List products with their variant trees"),
    _entry(
        "pim_products.upsert",
        "POST",
        "/products",
        "Create or update a product by id, code or identifier",
    ),
    _entry("pim_products.attributes", "GET", "/products/attributes", "Products' attribute values"),
    _entry("pim_products.detail", "GET", "/products/(d+)", "One product with its variant tree"),
    _entry("pim_products.delete", "DELETE", "/products/(d+)", "Delete a product"),
    _entry("pim_schemas.list", "GET", "/schemas/", "The JSON Schema of every answer"),
    _entry("pim_schemas.detail", "GET", "/schemas/(path)", "One JSON Schema"),
)


# What each route returns (JSON Schema files served under /api/pim/schemas/), for the
# reference page (http/reference.py). The upsert's request has no schema of its own.
DOCUMENTS = {
    "pim_products.list": (None, "products.json"),
    "pim_products.upsert": (None, "upserted.json"),
    "pim_products.attributes": (None, "attributes.json"),
    "pim_products.detail": (None, "product.json"),
}
