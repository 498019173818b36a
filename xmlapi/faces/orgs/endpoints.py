"""The organization face's routes (spec/products-json-api-orgs.txt), relative to
/api/v2: every one with its flags and description, declared here and only here. Bearer
tokens authenticate every route; the URL's organization must be the caller's."""

from __future__ import annotations

from xmlapi.http.endpoints import Endpoint

PREFIX = "/api/v2"
PRODUCTS = "/orgs/(d+)/products/"
PRODUCT = PRODUCTS + "(d+)/"


def _entry(view: str, method: str, path: str, description: str, **flags: bool) -> Endpoint:
    return Endpoint(
        view, method, path, description, contract=False, tokens=True, prefix=PREFIX, **flags
    )


ENDPOINTS: tuple[Endpoint, ...] = (
    _entry("orgs_schemas.index", "GET", "/schemas/", "The JSON Schema of every document"),
    _entry("orgs_schemas.schema", "GET", "/schemas/(path)", "One JSON Schema"),
    _entry("orgs_products.list", "GET", PRODUCTS, "The organization's products, a page at a time"),
    _entry("orgs_products.create", "POST", PRODUCTS, "Create a product"),
    _entry("orgs_products.detail", "GET", PRODUCT, "One product", has_etag=True),
    _entry("orgs_products.update", "PATCH", PRODUCT, "Change a product", has_etag=True),
    _entry("orgs_products.delete", "DELETE", PRODUCT, "Delete a product"),
    _entry("orgs_changes.list", "GET", "/orgs/(d+)/changes/", "The change feed after a cursor"),
    _entry("orgs_webhooks.create", "POST", "/orgs/(d+)/webhooks/", "Register a feed receiver"),
    _entry("orgs_webhooks.list", "GET", "/orgs/(d+)/webhooks/", "The feed's receivers"),
)


# What each route takes and returns: (JSON Schema in, JSON Schema out), for the
# reference page (http/reference.py); the files are served under /api/v2/schemas/.
DOCUMENTS = {
    "orgs_schemas.index": (None, "schemas.json"),
    "orgs_products.list": (None, "products.json"),
    "orgs_products.create": ("product.json", "product.json"),
    "orgs_products.detail": (None, "product.json"),
    "orgs_products.update": ("product.json", "product.json"),
    "orgs_orders.list": (None, "orders.json"),
    "orgs_orders.create": ("order.json", "order.json"),
    "orgs_orders.detail": (None, "order.json"),
    "orgs_orders.boxes": (None, "boxes.json"),
    "orgs_orders.create_box": ("box.json", "box.json"),
    "orgs_orders.box": (None, "box.json"),
    "orgs_items.list": (None, "items.json"),
    "orgs_items.create": ("item.json", "item.json"),
    "orgs_items.detail": (None, "item.json"),
    "orgs_items.update": ("item.json", "item.json"),
    "orgs_items.custom_field": (None, "custom_field.json"),
    "orgs_changes.list": (None, "changes.json"),
    "orgs_webhooks.create": ("webhook.json", "webhook.json"),
    "orgs_webhooks.list": (None, "webhooks.json"),
}
