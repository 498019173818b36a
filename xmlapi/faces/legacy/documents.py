"""What each legacy endpoint takes and returns, as XSD files served under
/api/schemas/: read from the resource its view belongs to and the files that exist,
so a new endpoint of a known resource is described by itself."""

from __future__ import annotations

import functools

from xmlapi.faces.legacy.xml.render import CONTENT_TYPE
from xmlapi.faces.legacy.xml.schemas import SCHEMAS_DIR, schema_files
from xmlapi.http.endpoints import Endpoint
from xmlapi.http.reference import Documents, Link

# A blueprint's documents: (one item, a list of them).
RESOURCES = {
    "index": ("api", "api"),
    "products": ("product", "products"),
    "costs": ("cost", "cost"),
    "serial_numbers": ("serial_number", "serial_number"),
    "inventory": ("inventory", "inventory"),
    "photos": ("product_photo", "product_photos"),
    "locks": ("lock", "lock"),
    "reference": ("setup", "setup"),
}
_WRITES = {"POST", "PUT"}


def describe(entry: Endpoint) -> Documents:
    """The XSDs of what ``entry`` takes and returns (none when it has no document)."""
    blueprint, _, view = entry.view.partition(".")
    item, listing = RESOURCES.get(blueprint, (None, None))
    if view == "schemas":
        item = listing = "schemas"
    takes = _link("in", item) if entry.method in _WRITES and view != "add" else ()
    returned = listing if view.endswith("list") else item
    returns = () if view.endswith("image") or view == "schema" else _link("out", returned)
    if entry.method == "DELETE" and blueprint != "products":
        returns = ()
    if view.endswith("image"):
        returns = (Link("image bytes (JPEG, PNG, WebP, AVIF) at the Accept header's size"),)
    if view == "add":  # raw photo bytes in
        photo = (Link("photo.jpg"),)
        return Documents(photo, returns, "image/jpeg", ("media.unsupported", "image.too_large"))
    errors = ("query.invalid",) if entry.view == "products.list" else ()
    return Documents(takes, returns, CONTENT_TYPE.split(";")[0] if takes else None, errors)


def _link(direction: str, name: str | None) -> tuple[Link, ...]:
    if name is None:
        return ()
    relative = f"{direction}/{name}.xsd"
    return (Link(relative, f"/api/schemas/{relative}"),) if relative in _known() else ()


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(path.relative_to(SCHEMAS_DIR).as_posix() for path in schema_files())
