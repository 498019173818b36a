"""/api/v2/orgs/<org>/orders/<o>/boxes/<b>/items/ and .../items/<pk>/ (the box items
spec), and .../items/<pk>/custom-fields/<name>/. An item's document is a product's
fields plus ``quantity`` (required on POST); POSTed with a ``code`` and no other product
field, the item is filled from the organization's product of that code."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from marshmallow import ValidationError, fields

from xmlapi.catalog import orders
from xmlapi.catalog.item_fields import (
    CUSTOM_FIELDS_MAX,
    CUSTOM_VALUE_LENGTH,
    ENCODING_LENGTH,
    ItemCustomField,
)
from xmlapi.db import get_session
from xmlapi.faces.orgs import order_format
from xmlapi.faces.orgs.fields import (
    CustomFields,
    CustomFieldValue,
    ProductFieldsSchema,
    Text,
)
from xmlapi.faces.orgs.paging import list_document, paging
from xmlapi.http.common import pricing
from xmlapi.http.jsonio import json_answer, read_object
from xmlapi.http.scope import current_scope

bp = Blueprint("orgs_items", __name__)

ITEMS = "/orgs/<int:org_id>/orders/<int:order_id>/boxes/<int:box_id>/items/"
ITEM = ITEMS + "<int:item_id>/"
CUSTOM_FIELD = ITEM + "custom-fields/<path:field_name>/"


class WholeNumber(fields.Field):
    """A JSON integer (not a string, a boolean or a fraction); the catalog knows its
    range."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Must be a whole number.")
        return value


class ItemCustomFieldValue(CustomFieldValue):
    value = Text(CUSTOM_VALUE_LENGTH, required=True, allow_none=False)
    encoding = Text(ENCODING_LENGTH)


class ItemCustomFields(CustomFields):
    """``{"name": {"value": "...", "type"?: "...", "encoding"?: "..."}}``."""

    value_schema = ItemCustomFieldValue
    most = CUSTOM_FIELDS_MAX

    @staticmethod
    def make(typed: dict) -> ItemCustomField:
        return ItemCustomField(typed["value"], typed.get("type"), typed.get("encoding"))


class ItemSchema(ProductFieldsSchema):
    """The writable fields of a box item: a product's, with its own quantity."""

    quantity = WholeNumber(allow_none=True)
    custom_fields = ItemCustomFields(allow_none=True)


def load_item(document: dict[str, Any]) -> dict[str, Any]:
    """The change set an item document carries; raises ValidationError."""
    return ItemSchema().load(document)


@bp.get(ITEMS, endpoint="list")
def list_items(org_id: int, order_id: int, box_id: int) -> Response:
    paged = paging()
    found = orders.list_items(get_session(), current_scope(), order_id, box_id, paged)
    return json_answer(list_document(found, paged, order_format.item))


@bp.post(ITEMS, endpoint="create")
def create(org_id: int, order_id: int, box_id: int) -> Response:
    values = load_item(read_object())
    item = orders.create_item(get_session(), current_scope(), order_id, box_id, values, pricing())
    return json_answer(order_format.item(item), 201, {"Location": order_format.item_url(item)})


@bp.get(ITEM, endpoint="detail")
def detail(org_id: int, order_id: int, box_id: int, item_id: int) -> Response:
    item = orders.get_item(get_session(), current_scope(), order_id, box_id, item_id)
    return json_answer(order_format.item(item))


@bp.patch(ITEM, endpoint="update")
def update(org_id: int, order_id: int, box_id: int, item_id: int) -> Response:
    changes = load_item(read_object())
    item = orders.update_item(get_session(), current_scope(), order_id, box_id, item_id, changes)
    return json_answer(order_format.item(item))


@bp.delete(ITEM, endpoint="delete")
def delete(org_id: int, order_id: int, box_id: int, item_id: int) -> Response:
    orders.delete_item(get_session(), current_scope(), order_id, box_id, item_id)
    return Response(status=204)


@bp.get(CUSTOM_FIELD, endpoint="custom_field")
def custom_field(
    org_id: int, order_id: int, box_id: int, item_id: int, field_name: str
) -> Response:
    field = orders.get_custom_field(
        get_session(), current_scope(), order_id, box_id, item_id, field_name
    )
    return json_answer(order_format.custom_field(field_name, field))
