"""The legacy face's routes: every one with its flags and description, declared here
and only here. The four flags are the contract's (``spec/products-xml-api.txt``)."""

from __future__ import annotations

from xmlapi.catalog.reference import KINDS
from xmlapi.faces.legacy.uris import REFERENCE_PATHS
from xmlapi.http.endpoints import Endpoint

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
    Endpoint(
        "photos.image",
        "GET",
        PHOTO + "image/",
        "Return the product photo in binary data",
        light=True,
        tokens=True,  # the JSON faces link a product's image here
    ),
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
        light=True,
        tokens=True,  # the JSON faces' image_link
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
        "changes.list",
        "GET",
        "/changes/",
        "The organization's change feed after a cursor: upserts and tombstones in order",
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
    _path = REFERENCE_PATHS[_kind.plural]
    ENDPOINTS += (
        Endpoint(
            f"reference.{_kind.plural}_list",
            "GET",
            f"/{_path}/",
            f"List the {_kind.labels}",
            contract=False,
        ),
        Endpoint(
            f"reference.{_kind.plural}_create",
            "POST",
            f"/{_path}/",
            f"Create a {_label}",
            contract=False,
        ),
        Endpoint(
            f"reference.{_kind.plural}_detail",
            "GET",
            f"/{_path}/(d+)/",
            f"One {_label}",
            contract=False,
        ),
        Endpoint(
            f"reference.{_kind.plural}_update",
            "PUT",
            f"/{_path}/(d+)/",
            f"Update a {_label}",
            contract=False,
        ),
    )
