"""The endpoint registry: every route's flags and description, declared here and only here.

The four flags are the contract's (``spec/products-xml-api.txt``): ``can_lock`` (LOCK and
UNLOCK work on the URL), ``requires_lock`` (the write needs the product's lock),
``has_etag`` and ``requires_etag``. Enforcement and the reference page read this table;
``check_routes`` refuses to start an app whose route table and this registry disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask

from xmlapi.catalog.reference import KINDS


@dataclass(frozen=True)
class Endpoint:
    view: str
    method: str
    path: str  # in the contract's notation, relative to /api: "/products/(d+)/"
    description: str
    can_lock: bool = False
    requires_lock: bool = False
    has_etag: bool = False
    requires_etag: bool = False
    contract: bool = True  # False: our extension, not in the legacy contract
    read_only_ok: bool = False  # read-only users and apps may call it though it is no GET
    public: bool = False  # no authentication, no rate limit (operators' probes)
    prefix: str = "/api"  # what ``path`` is relative to

    @property
    def flags(self) -> tuple[bool, bool, bool, bool]:
        return (self.can_lock, self.requires_lock, self.has_etag, self.requires_etag)

    @property
    def writes(self) -> bool:
        """Whether read-only users and apps are refused (403)."""
        return self.method not in {"GET", "HEAD", "OPTIONS"} and not self.read_only_ok


PRODUCT = "/products/(d+)/"
PHOTOS = PRODUCT + "product_photos/"
PHOTO = PHOTOS + "(d+)/"
IMAGE = PRODUCT + "images/(d+)/"  # the detail render's own link to a photo
COSTS = "/products/(d+)/costs/"
COST = "/products/(d+)/costs/(d+)/"
SERIALS = "/products/(d+)/serial_numbers/"
SERIAL = "/products/(d+)/serial_numbers/(d+)/"
INVENTORY = "/products/(d+)/inventory/"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "index.index", "GET", "/", "The resources of this API and their flags", contract=False
    ),
    Endpoint("index.schemas", "GET", "/schemas/", "The XSD of every document", contract=False),
    Endpoint("index.schema", "GET", "/schemas/(path)", "One XSD file", contract=False),
    Endpoint("products.list", "GET", "/products/", "List products partially rendered"),
    Endpoint("products.create", "POST", "/products/", "Create a new product"),
    Endpoint("products.detail", "GET", PRODUCT, "Detailed product info", can_lock=True),
    Endpoint(
        "products.update",
        "PUT",
        PRODUCT,
        "Update an existing product",
        can_lock=True,
        requires_lock=True,
    ),
    Endpoint(
        "products.delete",
        "DELETE",
        PRODUCT,
        "Delete a product with its costs, photos and serial numbers",
        can_lock=True,
        requires_lock=True,
        contract=False,
    ),
    Endpoint(
        "locks.lock",
        "LOCK",
        PRODUCT,
        "Lock the product for this session (again: renew the lock)",
        can_lock=True,
        contract=False,
    ),
    Endpoint(
        "locks.unlock",
        "UNLOCK",
        PRODUCT,
        "Release this session's lock",
        can_lock=True,
        contract=False,
    ),
    Endpoint(
        "photos.add",
        "POST",
        PRODUCT + "add_product_photo/",
        "Add a photo for the current product",
        requires_lock=True,
    ),
    Endpoint("photos.list", "GET", PHOTOS, "Return the list of photo details of the product."),
    Endpoint("photos.detail", "GET", PHOTO, "Return the details of a product photo"),
    Endpoint("photos.update", "PUT", PHOTO, "Update a product photo detail", requires_lock=True),
    Endpoint("photos.delete", "DELETE", PHOTO, "Delete a product photo", requires_lock=True),
    Endpoint("photos.image", "GET", PHOTO + "image/", "Return the product photo in binary data"),
    Endpoint(
        "photos.image_detail",
        "GET",
        IMAGE,
        "The details of a product photo, by the detail render's link",
        contract=False,
    ),
    Endpoint(
        "photos.image_update",
        "PUT",
        IMAGE,
        "Update a product photo detail, by the detail render's link",
        requires_lock=True,
        contract=False,
    ),
    Endpoint(
        "photos.image_delete",
        "DELETE",
        IMAGE,
        "Delete a product photo, by the detail render's link",
        requires_lock=True,
        contract=False,
    ),
    Endpoint(
        "photos.image_image",
        "GET",
        IMAGE + "image/",
        "The product photo in binary data, by the detail render's link",
        contract=False,
    ),
    Endpoint(
        "costs.list", "GET", COSTS, "Return the list of supplier costs for a specific product."
    ),
    Endpoint(
        "costs.create",
        "POST",
        COSTS,
        "Create a new cost for a specific product.",
        requires_lock=True,
    ),
    Endpoint(
        "costs.detail", "GET", COST, "Return a specific supplier cost for a specific product."
    ),
    Endpoint(
        "costs.update",
        "PUT",
        COST,
        "Update a specific supplier cost for a specific product.",
        requires_lock=True,
    ),
    Endpoint(
        "costs.delete",
        "DELETE",
        COST,
        "Delete a specific supplier cost for a specific product.",
        requires_lock=True,
    ),
    Endpoint(
        "serial_numbers.list",
        "GET",
        SERIALS,
        "Return the list of serial numbers for this product",
    ),
    Endpoint(
        "serial_numbers.create",
        "POST",
        SERIALS,
        "Add a serial number to a serialized product",
        requires_lock=True,
        contract=False,
    ),
    Endpoint("serial_numbers.detail", "GET", SERIAL, "Detailed info of a product serial number"),
    Endpoint(
        "serial_numbers.update",
        "PUT",
        SERIAL,
        "Update a product serial number",
        requires_lock=True,
        contract=False,
    ),
    Endpoint(
        "serial_numbers.delete",
        "DELETE",
        SERIAL,
        "Delete a product serial number",
        requires_lock=True,
        contract=False,
    ),
    Endpoint("inventory.detail", "GET", INVENTORY, "The product's stock levels", contract=False),
    Endpoint(
        "inventory.update",
        "PUT",
        INVENTORY,
        "Set the product's stock levels (total is derived)",
        requires_lock=True,
        contract=False,
    ),
    Endpoint(
        "sessions.logout",
        "POST",
        "/sessions/current/logout/",
        "End this session and release its locks",
        contract=False,
        read_only_ok=True,
    ),
)

for _kind in KINDS:
    _label = _kind.label
    ENDPOINTS += (
        Endpoint(
            f"setup.{_kind.plural}_list",
            "GET",
            f"/{_kind.path}/",
            f"List the {_label}s",
            contract=False,
        ),
        Endpoint(
            f"setup.{_kind.plural}_create",
            "POST",
            f"/{_kind.path}/",
            f"Create a {_label}",
            contract=False,
        ),
        Endpoint(
            f"setup.{_kind.plural}_detail",
            "GET",
            f"/{_kind.path}/(d+)/",
            f"One {_label}",
            contract=False,
        ),
        Endpoint(
            f"setup.{_kind.plural}_update",
            "PUT",
            f"/{_kind.path}/(d+)/",
            f"Update a {_label}",
            contract=False,
        ),
    )

# The operator's endpoints, outside /api and outside the index of the API.
OPERATOR_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "operating.healthz",
        "GET",
        "/healthz",
        "Liveness: the process answers",
        contract=False,
        public=True,
        prefix="",
    ),
    Endpoint(
        "operating.readyz",
        "GET",
        "/readyz",
        "Readiness: the database, the photo store and Redis (when configured)",
        contract=False,
        public=True,
        prefix="",
    ),
    Endpoint(
        "operating.metrics",
        "GET",
        "/metrics",
        "Prometheus metrics (XMLAPI_METRICS_TOKEN or loopback)",
        contract=False,
        public=True,
        prefix="",
    ),
)

_BY_VIEW = {(e.view, e.method): e for e in ENDPOINTS + OPERATOR_ENDPOINTS}


def lookup(view: str | None, method: str) -> Endpoint | None:
    """The registry entry of a view and method (HEAD counts as GET)."""
    return _BY_VIEW.get((view, "GET" if method == "HEAD" else method))


class RouteTableError(RuntimeError):
    """The app's routes and the registry disagree."""


_CONVERTER = re.compile(r"<int:[a-z_]+>")
_PATH_CONVERTER = re.compile(r"<path:[a-z_]+>")
_IMPLICIT = {"HEAD", "OPTIONS"}


def contract_path(rule: str, prefix: str = "/api") -> str:
    """A Flask rule in the contract's notation: /api/products/<int:x>/ -> /products/(d+)/."""
    path = rule.removeprefix(prefix) or "/"
    return _PATH_CONVERTER.sub("(path)", _CONVERTER.sub("(d+)", path))


def check_routes(app: Flask, prefix: str = "/api") -> None:
    """Raise RouteTableError unless every route and method (API and operator's) is in
    the registry with the same path, and every registry entry has its route."""
    problems, seen = [], set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - _IMPLICIT):
            entry = _BY_VIEW.get((rule.endpoint, method))
            seen.add((rule.endpoint, method))
            if entry is None:
                problems.append(f"{method} {rule.rule} ({rule.endpoint}) has no registry entry")
            elif entry.path != contract_path(rule.rule, prefix if entry.prefix else ""):
                problems.append(f"{method} {rule.rule}: registry says {entry.path}")
    problems += [
        f"{e.method} {e.path} ({e.view}) is registered but has no route"
        for e in ENDPOINTS + OPERATOR_ENDPOINTS
        if (e.view, e.method) not in seen
    ]
    if problems:
        raise RouteTableError("; ".join(problems))
