"""Where the legacy face's resources live, and the URIs that name them.

The URIs of documents (relative to /api/: ``/products/12/``) and of Location headers
(whole: ``/api/products/12/``) are made from the app's route table, so a route that
moves takes its URIs with it. The catalog knows kinds of reference data, not URLs: the
paths of their routes are this face's (``REFERENCE_PATHS``).
"""

from __future__ import annotations

import re

from flask import current_app

PREFIX = "/api"

# Where each kind of reference data lives under /api/, by the kind's plural.
REFERENCE_PATHS = {
    "classes": "setup/classes",
    "currencies": "setup/currencies",
    "suppliers": "suppliers",
    "tax_exemptions": "setup/tax_exemptions",
    "pos_categories": "setup/pos_categories",
    "web_categories": "setup/web_categories",
    "warehouses": "warehouses",
    "product_colors": "setup/product_colors",
    "product_sizes": "setup/product_sizes",
}

_TEMPLATES = "xmlapi.legacy.uri_templates"  # app.extensions key, filled on first use
_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")  # <int:product_id> -> product_id


def product(product_id: int | None) -> str | None:
    """A product's URI (None for no product)."""
    return None if product_id is None else uri("products.detail", product_id=product_id)


def reference(plural: str, ident: int | None) -> str | None:
    """The URI of row ``ident`` of the kind of reference data named ``plural``."""
    return None if ident is None else uri(f"reference.{plural}_detail", ident=ident)


def cost(product_id: int, cost_id: int) -> str:
    return uri("costs.detail", product_id=product_id, cost_id=cost_id)


def serial_number(product_id: int, serial_id: int) -> str:
    return uri("serial_numbers.detail", product_id=product_id, serial_id=serial_id)


def photo(product_id: int, photo_id: int) -> str:
    """A photo under ``product_photos/``, as everything but the product detail links it."""
    return uri("photos.detail", product_id=product_id, photo_id=photo_id)


def image(product_id: int, photo_id: int) -> str:
    """A photo under ``images/``, as the contract's product detail links it."""
    return uri("photos.image_detail", product_id=product_id, photo_id=photo_id)


def location(relative: str) -> str:
    """A Location header's value for a URI relative to /api/."""
    return PREFIX + relative


def uri(endpoint: str, **values: int) -> str:
    """The URI, relative to /api/, of the route of view ``endpoint`` with ``values``."""
    return _templates()[endpoint].format_map(values)


def _templates() -> dict[str, str]:
    """View -> its route as a format string relative to /api/ (``/products/{product_id}/``),
    for every route of the face; made from the route table once per app."""
    extensions = current_app.extensions
    templates = extensions.get(_TEMPLATES)
    if templates is None:
        templates = extensions[_TEMPLATES] = templates_of(current_app.url_map.iter_rules())
    return templates


def templates_of(rules) -> dict[str, str]:
    """Format strings of the face's routes among ``rules`` (werkzeug Rules), by view."""
    templates = {}
    for rule in rules:
        if rule.rule.startswith(PREFIX + "/"):
            templates[rule.endpoint] = _ARGUMENT.sub(r"{\1}", rule.rule[len(PREFIX) :])
    return templates
