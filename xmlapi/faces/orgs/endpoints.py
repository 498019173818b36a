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
