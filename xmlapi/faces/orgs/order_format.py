"""Orders, boxes and box items as the organization face writes them: read-model values
-> documents. An item is written as a product's fields are (``format.fields``), with
its own quantity and its custom fields' encodings."""

from __future__ import annotations

from typing import Any

from xmlapi.catalog.item_fields import ItemCustomField
from xmlapi.catalog.orders import BoxView, ItemView, OrderView
from xmlapi.faces.orgs import format
from xmlapi.faces.orgs.endpoints import PREFIX


def order_url(organization_id: int, order_id: int) -> str:
    return f"{PREFIX}/orgs/{organization_id}/orders/{order_id}/"


def box_url(organization_id: int, order_id: int, box_id: int) -> str:
    return f"{order_url(organization_id, order_id)}boxes/{box_id}/"


def item_url(item: ItemView) -> str:
    return f"{box_url(item.organization_id, item.order_id, item.box_id)}items/{item.id}/"


def order(value: OrderView) -> dict[str, Any]:
    url = order_url(value.organization_id, value.id)
    return {
        "number": value.number,
        "boxes": f"{url}boxes/",
        "created_at": format.instant(value.created_at),
        "updated_at": format.instant(value.updated_at),
        "url": url,
    }


def box(value: BoxView) -> dict[str, Any]:
    url = box_url(value.organization_id, value.order_id, value.id)
    return {
        "order": order_url(value.organization_id, value.order_id),
        "items": f"{url}items/",
        "created_at": format.instant(value.created_at),
        "updated_at": format.instant(value.updated_at),
        "url": url,
    }


def item(value: ItemView) -> dict[str, Any]:
    """An item document (GET one, the answer to POST and PATCH, a list's result)."""
    document = format.fields(value.fields, None)
    document["quantity"] = value.quantity
    document["custom_fields"] = {name: _custom_field(field) for name, field in value.custom_fields}
    document["created_at"] = format.instant(value.created_at)
    document["updated_at"] = format.instant(value.updated_at)
    document["url"] = item_url(value)
    return document


def _custom_field(field: ItemCustomField) -> dict[str, str]:
    """As the spec lists them: the value, and the type and encoding when there are."""
    document = {"value": field.value}
    if field.type is not None:
        document["type"] = field.type
    if field.encoding is not None:
        document["encoding"] = field.encoding
    return document


def custom_field(name: str, field: ItemCustomField) -> dict[str, Any]:
    """One custom field whole (``…/custom-fields/<name>/``)."""
    return {"name": name, "value": field.value, "type": field.type, "encoding": field.encoding}
