"""Incoming documents as typed, checked values (marshmallow).

The XSD has already fixed the shape of a document; these schemas turn its text into
Decimals, booleans and ids, enforce ranges, and map the contract's nested elements onto
the flat change sets the catalog takes (``sells/sell`` -> ``sell``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_UP
from typing import Any

from lxml import etree
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from xmlapi.catalog.inventory import LEVELS
from xmlapi.catalog.reference import Kind
from xmlapi.catalog.vocabulary import WRITABLE_FLAGS
from xmlapi.faces.legacy.xml.parse import element_to_dict
from xmlapi.models.types import COST, MEASURE, MONEY, PERCENT, QUANTITY, RATE, ExactDecimal


class PayloadError(ValueError):
    """A document's values are not what its fields take; ``fields`` says which and why."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("Some fields have invalid values.")
        self.fields = fields


# Fields ---------------------------------------------------------------------------


class ColumnDecimal(fields.Decimal):
    """A decimal as its column stores it: rounded half up to the column's scale, then
    refused unless it fits the column's precision (so the echo is the stored value)."""

    def __init__(self, column_type: ExactDecimal, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        super().__init__(allow_nan=False, **kwargs)
        self.column_type = column_type

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if number is None:
            return None
        column = self.column_type
        too_large = ValidationError(
            f"Must be below {column.largest} in size once rounded to {column.scale} decimals."
        )
        if number.adjusted() >= column.precision - column.scale:
            raise too_large  # checked first: quantizing a huge number would itself fail
        rounded = number.quantize(column.quantum, rounding=ROUND_HALF_UP)
        if abs(rounded) >= column.largest:
            raise too_large
        return rounded


def Amount(column_type: ExactDecimal, **kwargs: Any) -> ColumnDecimal:
    """A decimal that fits ``column_type`` once rounded half up to its scale."""
    return ColumnDecimal(column_type, **kwargs)


# Integer columns (ids, statuses, sort orders, reorder types) are 32-bit on PostgreSQL.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def WholeNumber(minimum: int = INT_MIN, **kwargs: Any) -> fields.Integer:
    """An integer that fits a 32-bit column."""
    return fields.Integer(strict=False, validate=validate.Range(min=minimum, max=INT_MAX), **kwargs)


# XML 1.0 can carry these characters and no others; text is stored only if it can be
# rendered back.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_writable(value: str | None) -> None:
    if value is not None and _NOT_XML.search(value):
        raise ValidationError("Contains a character XML cannot carry.")


def Text(max_length: int = 255, **kwargs: Any) -> fields.String:
    return fields.String(
        allow_none=True,
        validate=[validate.Length(max=max_length), xml_writable],
        **kwargs,
    )


class Reference(fields.Field):
    """``<name id="3"/>`` -> 3; an empty ``<name/>`` -> None (clears the reference)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        if not isinstance(value, dict) or "id" not in value:
            raise ValidationError("Expected an id attribute.")
        try:
            ident = int(value["id"])
        except ValueError:
            raise ValidationError("Not a valid id.") from None
        if not 1 <= ident <= INT_MAX:
            raise ValidationError(f"Not a valid id (ids run from 1 to {INT_MAX}).")
        return ident


class OneOrMany(fields.List):
    """A repeated element: one occurrence arrives as a value, several as a list; one
    empty occurrence (``<keyword/>``) as None, read as no value at all."""

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is None:  # checked before _deserialize, as null, otherwise
            return []
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            value = [value]
        return super()._deserialize(value, attr, data, **kwargs)


class _Flag(fields.Boolean):
    """A yes/no as the XSD's boolean takes it: true/false/1/0 in any case, spaces around."""

    truthy = {"true", "1"}
    falsy = {"false", "0"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip().lower()
        return super()._deserialize(value, attr, data, **kwargs)


def Flag(**kwargs: Any) -> fields.Boolean:
    return _Flag(**kwargs)


class Document(Schema):
    """Base of request documents: unknown elements were already refused by the XSD."""

    class Meta:
        unknown = EXCLUDE


def load(
    schema: Schema, element: etree._Element, stored: etree._Element | None = None
) -> dict[str, Any]:
    """Load an element's children through ``schema``; raises PayloadError.

    With ``stored`` (the writable part of the current render, for a round trip; see
    ``xml.roundtrip``) the values sent back unchanged are left out: a change set
    carries what the client changed, so an unchanged supplier does not pin it and an
    unchanged ``sell_price`` does not undo a changed ``sells/sell``.
    """
    try:
        data = schema.load(element_to_dict(element))
    except ValidationError as exc:
        raise PayloadError(dict(_flatten(exc.messages))) from None
    if stored is None:
        return data
    try:
        current = schema.load(element_to_dict(stored))
    except ValidationError:
        return data  # a stored value outside today's ranges: keep everything sent
    return {
        key: value for key, value in data.items() if key not in current or current[key] != value
    }


def _flatten(messages: Any, prefix: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, f"{prefix}/{key}" if prefix else str(key))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        yield prefix, " ".join(messages)
    else:
        yield prefix, str(messages)


# Products -------------------------------------------------------------------------


FlagsSchema = Document.from_dict({flag: Flag() for flag in WRITABLE_FLAGS}, name="FlagsSchema")


class SellsSchema(Document):
    sell = Amount(MONEY)
    sell_tax_inclusive = Amount(MONEY)
    sell_web = Amount(MONEY)


class GlProductSchema(Document):
    gl_asset = Text(data_key="asset")
    gl_cogs_expense = Text(data_key="cogs_expense")
    gl_income = Text(data_key="income")


class ProductInfoSchema(Document):
    color = Text()
    height = Amount(MEASURE)
    length = Amount(MEASURE)
    size = Text()
    weight = Amount(MEASURE)
    width = Amount(MEASURE)


class ReorderSchema(Document):
    reorder_amount = Amount(QUANTITY, data_key="amount")
    reorder_calc = Amount(QUANTITY, data_key="calc")
    reorder_point = Amount(QUANTITY, data_key="point")
    reorder_type = WholeNumber(allow_none=True, data_key="type")


class WebSchema(Document):
    web_inventory = Text(data_key="inventory")


class KeywordsSchema(Document):
    keyword = OneOrMany(Text())


class CategorySchema(Document):
    category = Reference(allow_none=True)


class CategoriesSchema(Document):
    pos_category_id = fields.Nested(CategorySchema, data_key="pos", allow_none=True)
    web_category_id = fields.Nested(CategorySchema, data_key="web", allow_none=True)


class MasterSchema(Document):
    product = Reference(allow_none=True)


class RelatedProductSchema(Document):
    related_id = Reference(data_key="product", required=True)
    quantity = Amount(QUANTITY)
    auto_add = Flag(data_key="auto-add")


class RelatedProductsSchema(Document):
    related_product = OneOrMany(fields.Nested(RelatedProductSchema))


# Nested groups whose fields land flat in the change set.
_FLATTENED = ("flags", "sells", "gl_product", "product_info", "reorder", "web")


class ProductSchema(Document):
    """A product document (POST and PUT) as a flat change set for the catalog."""

    code = Text(1023)
    sell_price = Amount(MONEY)
    class_id = Reference(data_key="class", allow_none=True)
    currency_id = Reference(data_key="currency", allow_none=True)
    supplier_id = Reference(data_key="supplier", allow_none=True)
    supplier_code = Text()
    flags = fields.Nested(FlagsSchema, allow_none=True)
    description = Text(4096)
    short_description = Text(4096)
    long_web_description = Text(65535)
    family = Text()
    sells = fields.Nested(SellsSchema, allow_none=True)
    tax_exemption_id = Reference(data_key="tax_exemption", allow_none=True)
    master_product = fields.Nested(MasterSchema, allow_none=True)
    code_suffix = fields.String(allow_none=True)
    description_suffix = fields.String(allow_none=True)
    product_color_id = Reference(data_key="product_color", allow_none=True)
    product_size_id = Reference(data_key="product_size", allow_none=True)
    manufacturer_part_number = Text()
    manufacturer_pricing_option_code = Text()
    gl_product = fields.Nested(GlProductSchema, allow_none=True)
    product_id = Text()
    minimum_margin = Amount(PERCENT)
    product_info = fields.Nested(ProductInfoSchema, allow_none=True)
    reorder = fields.Nested(ReorderSchema, allow_none=True)
    upc = Text()
    web = fields.Nested(WebSchema, allow_none=True)
    keywords = fields.Nested(KeywordsSchema, allow_none=True)
    multi_store_label = Text()
    multi_store_master_label = Text()
    categories = fields.Nested(CategoriesSchema, allow_none=True)
    related_products = fields.Nested(RelatedProductsSchema, allow_none=True)

    @post_load
    def flatten(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        # Pop every group before merging any: flags/web and the web group share a name.
        groups = [data.pop(name, None) or {} for name in _FLATTENED]
        for group in groups:
            data.update(group)
        if "master_product" in data:
            data["master_id"] = (data.pop("master_product") or {}).get("product")
        if "keywords" in data:
            data["keywords"] = (data.pop("keywords") or {}).get("keyword", [])
        if "categories" in data:
            for attribute, value in (data.pop("categories") or {}).items():
                data[attribute] = (value or {}).get("category")
        if "related_products" in data:
            data["related"] = (data.pop("related_products") or {}).get("related_product", [])
        return data


PRODUCT_SCHEMA = ProductSchema()


def load_product(element: etree._Element, stored: etree._Element | None = None) -> dict[str, Any]:
    return load(PRODUCT_SCHEMA, element, stored)


# Costs, serial numbers, stock -------------------------------------------------------


class CostSchema(Document):
    """A supplier cost document (POST and PUT); what is mandatory the catalog checks."""

    raw = Amount(COST)
    supplier_id = Reference(data_key="supplier", allow_none=True)
    supplier_product_code = Text()
    default = Flag()


class SerialNumberSchema(Document):
    serial = Text()
    status = WholeNumber(minimum=0)
    note = Text(4096)
    cost = Amount(COST)
    warehouse_id = Reference(data_key="warehouse", allow_none=True)


InventorySchema = Document.from_dict({name: Amount(QUANTITY) for name in LEVELS})

COST_SCHEMA = CostSchema()
SERIAL_NUMBER_SCHEMA = SerialNumberSchema()
INVENTORY_SCHEMA = InventorySchema()


def load_cost(element: etree._Element, stored: etree._Element | None = None) -> dict[str, Any]:
    return load(COST_SCHEMA, element, stored)


def load_serial_number(
    element: etree._Element, stored: etree._Element | None = None
) -> dict[str, Any]:
    return load(SERIAL_NUMBER_SCHEMA, element, stored)


def load_inventory(element: etree._Element, stored: etree._Element | None = None) -> dict[str, Any]:
    return load(INVENTORY_SCHEMA, element, stored)


# Reference data -------------------------------------------------------------------


def _reference_field(field) -> fields.Field:
    if field.type == "ref":
        return Reference(allow_none=True)
    if field.type == "decimal":
        return Amount(RATE, allow_none=False)
    return Text(field.max_length)


_REFERENCE_SCHEMAS: dict[str, Schema] = {}


def reference_schema(kind: Kind) -> Schema:
    """A schema built from the kind's fields (made once per kind)."""
    if kind.plural not in _REFERENCE_SCHEMAS:
        declared = {f.name: _reference_field(f) for f in kind.fields}
        _REFERENCE_SCHEMAS[kind.plural] = Document.from_dict(declared)()
    return _REFERENCE_SCHEMAS[kind.plural]


def load_reference(
    kind: Kind, element: etree._Element, stored: etree._Element | None = None
) -> dict[str, Any]:
    return load(reference_schema(kind), element, stored)


# Photos ---------------------------------------------------------------------------


class ProductPhotoSchema(Document):
    sort_order = WholeNumber()


PRODUCT_PHOTO_SCHEMA = ProductPhotoSchema()


def load_product_photo(
    element: etree._Element, stored: etree._Element | None = None
) -> dict[str, Any]:
    return load(PRODUCT_PHOTO_SCHEMA, element, stored)
