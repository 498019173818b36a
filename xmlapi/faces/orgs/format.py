"""The organization face's formatter: read-model values -> the JSON spec's documents.
It formats and computes nothing (prices, stock, the image all come from the catalog)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from xmlapi.catalog.readmodel import Price, ProductFields, ProductSheet, Source, Weight
from xmlapi.faces.orgs.endpoints import PREFIX

# Where the legacy face serves a photo's image bytes, to the organization's tokens too (a
# photo stands for the image_link when none is set); a path, as the spec's ``url`` is.
PHOTO_IMAGE = "/api/products/{product_id}/images/{photo_id}/image/"


def product(sheet: ProductSheet) -> dict[str, Any]:
    """A product document (GET one, the answer to POST and PATCH, a list's result)."""
    document = fields(sheet.fields, sheet.id)
    document["created_at"] = instant(sheet.created)
    document["updated_at"] = instant(sheet.modified)
    document["source"] = source(sheet.source)
    document["url"] = product_url(sheet.organization_id, sheet.id)
    return document


def page(head: dict[str, Any], results: list[bytes]) -> bytes:
    """A list document: ``head`` (count, next, previous) and the encoded results."""
    encoded = json.dumps(head, separators=(",", ":"))
    return b"".join((encoded[:-1].encode(), b',"results":[', b",".join(results), b"]}"))


def product_url(organization_id: int, product_id: int) -> str:
    return f"{PREFIX}/orgs/{organization_id}/products/{product_id}/"


def fields(values: ProductFields, product_id: int | None) -> dict[str, Any]:
    """The product fields of the spec (a product's, or a box item's copy of them); a
    photo standing for the image is linked under ``product_id``."""
    image_link = values.image_link
    if values.image_photo_id is not None and product_id is not None:
        image_link = PHOTO_IMAGE.format(product_id=product_id, photo_id=values.image_photo_id)
    return {
        "code": values.code,
        "commodity_code": values.commodity_code,
        "custom_fields": {
            name: {"value": field.value} | ({} if field.type is None else {"type": field.type})
            for name, field in values.custom_fields
        },
        "description": values.description,
        "export_type_code": values.export_type_code,
        "image_link": image_link,
        "joint_production": values.joint_production,
        "kind": values.kind,
        "link": values.link,
        "net_cost_begin_date": instant(values.net_cost_begin_date),
        "net_cost_code": values.net_cost_code,
        "net_cost_end_date": instant(values.net_cost_end_date),
        "origin_country_code": values.origin_country_code,
        "part_number": values.part_number,
        "pick_location": values.pick_location,
        "preference_criteria_code": values.preference_criteria_code,
        "producer_info_code": values.producer_info_code,
        "quantity": number(values.quantity),
        "scheduleb_commodity_code": values.scheduleb_commodity_code,
        "unit_price": price(values.unit_price),
        "unit_weight": weight(values.unit_weight),
        "ups": values.ups,
        "ean": values.ean,
        "isbn": values.isbn,
    }


def source(value: Source) -> dict[str, Any]:
    return {
        "account": value.account,
        "channel": value.channel,
        "id": value.id,
        "name": value.name,
        "retrieved_at": instant(value.retrieved_at),
        "updated_at": instant(value.updated_at),
    }


def instant(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, microseconds when there are any."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def price(value: Price | None) -> str | None:
    """``"88.00 USD"``; the amount alone when the product has no currency."""
    if value is None:
        return None
    amount = f"{value.amount:.2f}"
    return amount if value.currency is None else f"{amount} {value.currency}"


def weight(value: Weight | None) -> str | None:
    """``"180.0000 g"``."""
    return None if value is None else f"{value.amount:.4f} {value.unit}"


def number(value: Decimal) -> int | float | str:
    """A quantity as a JSON number: whole ones as integers; a fraction as a number
    whose shortest text is the exact decimal (Python's float repr), else as its exact
    digits in a string (more than 15 significant digits; no JSON parser keeps those)."""
    if value == value.to_integral_value():
        return int(value)
    approximate = float(value)
    return approximate if Decimal(repr(approximate)) == value else str(value)
