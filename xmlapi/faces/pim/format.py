"""The PIM face's JSON: read-model objects written in the spec's shapes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from xmlapi.catalog.pim_reads import Link, Page, PimProductView
from xmlapi.faces.pim.query import associated_fields, product_fields

LANGUAGE = "en"  # the language of a product sent without a locale
ASSOCIATION = "association"
ASSOCIATED_TYPE = "NpcEntity"  # what an association attribute names: entities outside the catalog
PHOTO_URL = "/api/products/{product_id}/product_photos/{photo_id}/image/"


def number(value: Decimal | None) -> int | float | str | None:
    """A JSON number, as the spec shows amounts and weights (45, 5.25); as its exact
    decimal text only when a JSON number would not carry it back exactly (more digits
    than a double holds)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    exact = value.normalize()
    as_float = float(exact)
    return as_float if Decimal(repr(as_float)) == exact else str(exact)


def time(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="milliseconds")


def page(result: Page, args: Mapping[str, str], version: int, roots_only: bool) -> dict[str, Any]:
    document = {
        "page": result.page,
        "per_page": result.per_page,
        "total_pages": result.total_pages,
        "total_entries": result.total_entries,
        "entries": [
            product(view, args, version, parents=not roots_only) for view in result.entries
        ],
    }
    if result.cursor is not None:
        document["next_after"] = str(result.cursor)
    return document


def product(
    view: PimProductView, args: Mapping[str, str], version: int, *, parents: bool = False
) -> dict[str, Any]:
    """One product: the full shape, or (with a selection) its id, code and what was named."""
    chosen_fields, chosen_parts = product_fields(args), associated_fields(args)
    if chosen_fields is not None or chosen_parts is not None:
        return _selected(view, chosen_fields or frozenset(), chosen_parts or frozenset())
    body = _full(view, parents)
    if version == 1:
        created, updated = body.pop("created_at"), body.pop("updated_at")
        return {view.locale or LANGUAGE: body, "created_at": created, "updated_at": updated}
    return body


def _full(view: PimProductView, parents: bool) -> dict[str, Any]:
    body = _summary(view)
    body.update(
        {
            "is_complete": view.completeness["is_complete"] if view.completeness else None,
            "incomplete_fields": _incomplete(view.completeness),
            "shipping_options": [],
            "attribute_set": _pair(view.attribute_set),
            "product_categories": view.categories,
            "catalogs": view.catalogs,
            "shipping_zones": [{"name": name} for name in view.shipping_zones],
            "media_items": _media(view),
            "inventories": [_inventory(item) for item in view.inventories],
            "price_items": [_price(item) for item in view.price_items],
            "brand": view.brand,
            "dimension": _dimension(view.dimension),
            "packed_dimension": _dimension(view.packed_dimension),
            "entity_identifiers": view.identifiers,
            "virtual_products": _virtual_products(view),
            "created_at": time(view.created),
            "updated_at": time(view.updated),
        }
    )
    if parents:
        body["parent_products"] = _parents(view.parent)
    body["children"] = [_child(child) for child in view.children]
    return body


def _summary(view: PimProductView) -> dict[str, Any]:
    return {
        "id": view.id,
        "product_type": view.product_type,
        "code": view.code,
        "status": view.status,
        "product_attributes": {
            a["code"]: {"value": _value(a), "base_type": a["base_type"]} for a in view.attributes
        },
        "name": view.name,
        "discontinued": view.discontinued,
    }


def _child(view: PimProductView) -> dict[str, Any]:
    body = _summary(view)
    body["children"] = [_child(child) for child in view.children]
    return body


def _parents(view: PimProductView | None) -> dict[str, Any]:
    if view is None:
        return {}
    return {"id": view.id, "code": view.code, "parent_products": _parents(view.parent)}


def _virtual_products(view: PimProductView) -> list[dict[str, Any]]:
    return [
        {
            **virtual,
            "attributes": {
                code: {"value": _value(a), "base_type": a["base_type"]}
                for code, a in virtual["attributes"].items()
            },
        }
        for virtual in view.virtual_products
    ]


def _value(attribute: Mapping[str, Any]) -> Any:
    data = attribute["data"]
    return number(data) if isinstance(data, Decimal) else data


def _incomplete(completeness: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if completeness is None:
        return None
    return {
        k: completeness[k]
        for k in ("missing_image", "missing_category", "missing_price", "missing_attributes")
    }


def _pair(pair: tuple[int, str] | None) -> dict[str, Any] | None:
    return None if pair is None else {"id": pair[0], "name": pair[1]}


def _media(view: PimProductView) -> list[dict[str, Any]]:
    own = [
        {
            "id": None,
            "media_item_type": "ImageMediaItem",
            "url": PHOTO_URL.format(product_id=view.id, photo_id=photo_id),
            "description": "",
            "sort_order": position,
            "is_primary": position == 0 and not any(m["is_primary"] for m in view.media_items),
            "is_uploaded": True,
            "tag_list": [],
            "position": position + 1,
        }
        for position, photo_id in enumerate(view.photos)
    ]
    linked = [
        {**item, "is_uploaded": False, "position": len(own) + i + 1}
        for i, item in enumerate(view.media_items)
    ]
    return own + linked


def _inventory(item: Mapping[str, Any]) -> dict[str, Any]:
    body = dict(item)
    for name in ("qty", "available_qty", "out_of_stock_threshold", "unit_cost"):
        body[name] = number(body[name])
    body["support_shipping"] = True
    return body


def _price(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "amount": number(item["amount"]),
        "enabled?": True,
        "price_book": item["price_book"],
        "from": time(item["from"]),
        "to": time(item["to"]),
    }


def _dimension(dimension: Mapping[str, Decimal | None] | None) -> dict[str, Any] | None:
    if dimension is None:
        return None
    return {name: number(value) for name, value in dimension.items()}


def _selected(
    view: PimProductView, fields: frozenset[str], parts: frozenset[str]
) -> dict[str, Any]:
    body: dict[str, Any] = {"id": view.id, "code": view.code}
    if "name" in fields:
        body["name"] = view.name
    if "status" in fields:
        body["status"] = view.status
    if "class_type" in fields:
        body["class_type"] = _class_type(view)
    simple = {
        "product_class": lambda: _pair(view.class_name),
        "product_family": lambda: {"code": view.family} if view.family else None,
        "brand": lambda: view.brand,
        "attribute_values": lambda: [
            _attribute_value(a) for a in view.attributes if a["base_type"] != ASSOCIATION
        ],
        "association_attribute_values": lambda: _association_values(view),
        "dimension": lambda: _dimension(view.dimension),
        "packed_dimension": lambda: _dimension(view.packed_dimension),
        "product_categories": lambda: view.categories,
        "catalogs": lambda: view.catalogs,
        "shipping_zones": lambda: [{"name": name} for name in view.shipping_zones],
        "price_items": lambda: [_price(item) for item in view.price_items],
        "inventories": lambda: [_inventory(item) for item in view.inventories],
        "media_items": lambda: _media(view),
        "entity_identifiers": lambda: view.identifiers,
        "virtual_products": lambda: _virtual_products(view),
    }
    for part in sorted(parts):
        if part in simple:
            body[part] = simple[part]()
        else:
            body[part] = [_link(link) for link in view.links.get(part, [])]
    return body


def _class_type(view: PimProductView) -> str:
    if view.is_kit or view.links.get("child_kit_members"):
        return "kit"
    if view.children or view.parent:
        return "variation"
    return "simple"


def _association_values(view: PimProductView) -> list[dict[str, Any]]:
    """One entry per associated entity of every association attribute, by id or code."""
    found = []
    for attribute in view.attributes:
        if attribute["base_type"] != ASSOCIATION:
            continue
        head = {
            "attribute_definition_id": attribute["definition_id"],
            "attribute_definition_code": attribute["code"],
        }
        for key in ("associated_id", "associated_code"):
            for value in attribute["data"].get(key, []):
                found.append({**head, key: value, "associated_type": ASSOCIATED_TYPE})
    return found


def _attribute_value(attribute: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "attribute_definition_id": attribute["definition_id"],
        "attribute_definition_code": attribute["code"],
        "data": _value(attribute),
    }


def _link(link: Link) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": link.id,
        "code": link.code,
        "created_at": time(link.created),
        "updated_at": time(link.updated),
    }
    if link.qty is not None:
        body["qty"] = number(link.qty)
    else:
        body["sort_order"] = link.sort_order
    if link.related:
        relationship = link.relationship or (None, None)
        body.update(
            relationship_id=relationship[0], relationship_code=relationship[1], status=link.status
        )
    return body


def attribute_page(result: Page) -> dict[str, Any]:
    return {
        "page": result.page,
        "per_page": result.per_page,
        "total_pages": result.total_pages,
        "total_entries": result.total_entries,
        "entries": [
            {
                "id": view.id,
                "code": view.code,
                "created_at": time(view.created),
                "updated_at": time(view.updated),
                "attributes": [
                    {
                        "id": a["id"],
                        "created_at": time(a["created"]),
                        "updated_at": time(a["updated"]),
                        "attribute_definition_code": a["code"],
                        "data": _value(a),
                    }
                    for a in view.attributes
                ],
            }
            for view in result.entries
        ],
    }
