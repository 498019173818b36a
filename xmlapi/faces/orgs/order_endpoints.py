"""The organization face's routes for orders, their boxes and box items
(spec/box-items-json-api.txt), relative to /api/v2; the face adds them to its table.
Bearer tokens authenticate every one; the URL's organization must be the caller's."""

from __future__ import annotations

from xmlapi.faces.orgs.endpoints import PREFIX
from xmlapi.http.endpoints import Endpoint

ORDERS = "/orgs/(d+)/orders/"
ORDER = ORDERS + "(d+)/"
BOXES = ORDER + "boxes/"
BOX = BOXES + "(d+)/"
ITEMS = BOX + "items/"
ITEM = ITEMS + "(d+)/"
CUSTOM_FIELD = ITEM + "custom-fields/(path)/"


def _entry(view: str, method: str, path: str, description: str) -> Endpoint:
    return Endpoint(view, method, path, description, contract=False, tokens=True, prefix=PREFIX)


ORDER_ENDPOINTS: tuple[Endpoint, ...] = (
    _entry("orgs_orders.list", "GET", ORDERS, "The organization's orders, a page at a time"),
    _entry("orgs_orders.create", "POST", ORDERS, "Create an order with its number"),
    _entry("orgs_orders.detail", "GET", ORDER, "One order"),
    _entry("orgs_orders.delete", "DELETE", ORDER, "Delete an order, its boxes and their items"),
    _entry("orgs_orders.boxes", "GET", BOXES, "The order's boxes, a page at a time"),
    _entry("orgs_orders.create_box", "POST", BOXES, "Add a box to the order"),
    _entry("orgs_orders.box", "GET", BOX, "One box"),
    _entry("orgs_orders.delete_box", "DELETE", BOX, "Delete a box and its items"),
    _entry("orgs_items.list", "GET", ITEMS, "The box's items, a page at a time"),
    _entry("orgs_items.create", "POST", ITEMS, "Pack an item (a code alone copies the product)"),
    _entry("orgs_items.detail", "GET", ITEM, "One item"),
    _entry("orgs_items.update", "PATCH", ITEM, "Change an item"),
    _entry("orgs_items.delete", "DELETE", ITEM, "Delete an item"),
    _entry("orgs_items.custom_field", "GET", CUSTOM_FIELD, "One custom field of an item, whole"),
)
