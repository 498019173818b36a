"""Virtual products: other faces of a product, each with its own code (unique among the
organization's virtual products), name, status and attribute values, sent under
``virtual_products`` keyed by code. Upserted: a new one needs its name and status; a
stored one changes what is sent (attribute values are merged by code)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from xmlapi.catalog import pim_input as checked
from xmlapi.catalog.pim_attributes import attribute_values
from xmlapi.catalog.pim_input import ProductInput, invalid
from xmlapi.models import Product
from xmlapi.models.pim import PimVirtualProduct

if TYPE_CHECKING:
    from xmlapi.catalog.pim import _Writer

FIELDS = frozenset({"code", "name", "status", "attributes"})


@dataclass(frozen=True)
class VirtualInput:
    """One virtual product of a document, checked."""

    path: str
    code: str
    name: str | None
    status: str | None
    attributes: dict[str, Any]


def virtual_inputs(node: ProductInput) -> list[VirtualInput]:
    """The node's ``virtual_products``, every value checked but the attribute values
    (their types are the attribute definitions')."""
    path = f"{node.path}.virtual_products"
    entries = checked.mapping(node.fields.get("virtual_products") or {}, path)
    if len(entries) > checked.MAX_ITEMS:
        raise invalid(path, f"At most {checked.MAX_ITEMS} virtual products.")
    found: dict[str, VirtualInput] = {}
    for key, entry in entries.items():
        entry_path = f"{path}.{key[:100]}"
        entry = checked.mapping(entry, entry_path)
        unknown = sorted(set(entry) - FIELDS)
        if unknown:
            raise invalid(f"{entry_path}.{unknown[0][:50]}", "Not a field this service knows.")
        code = checked.text(entry.get("code", key), f"{entry_path}.code", checked.MAX_PRODUCT_CODE)
        if code in found:
            raise invalid(f"{entry_path}.code", f"Also at {found[code].path}.")
        found[code] = VirtualInput(
            entry_path,
            code,
            checked.optional_text(entry.get("name"), f"{entry_path}.name", checked.MAX_NAME),
            None
            if entry.get("status") is None
            else checked.choice(entry["status"], f"{entry_path}.status", checked.STATUSES),
            attribute_values(entry.get("attributes") or {}, f"{entry_path}.attributes"),
        )
    return list(found.values())


def write_virtuals(writer: _Writer, sent: dict[int, list[VirtualInput]]) -> None:
    """Create or change the virtual products sent (node id() -> its virtual products)."""
    codes = {one.code for ones in sent.values() for one in ones}
    if not codes:
        return
    stored = {
        row.code: row
        for row in writer.session.scalars(
            select(PimVirtualProduct).where(
                PimVirtualProduct.organization_id == writer.organization_id,
                PimVirtualProduct.code.in_(codes),
            )
        )
    }
    for node_key, ones in sent.items():
        product = writer.products[node_key]
        for one in ones:
            row = stored.get(one.code) or _new(writer, product, one)
            if row.product_id != product.id:
                raise invalid(f"{one.path}.code", "A virtual product of another product.")
            _apply(writer, row, one)


def _new(writer: _Writer, product: Product, one: VirtualInput) -> PimVirtualProduct:
    for name in ("name", "status"):
        if getattr(one, name) is None:
            raise invalid(f"{one.path}.{name}", "Required to create a virtual product.")
    row = PimVirtualProduct(
        organization_id=writer.organization_id, product_id=product.id, code=one.code
    )
    writer.session.add(row)
    return row


def _apply(writer: _Writer, row: PimVirtualProduct, one: VirtualInput) -> None:
    if one.name is not None:
        row.name = one.name
    if one.status is not None:
        row.status = one.status
    data = json.loads(row.attributes or "{}")
    for code, value in one.attributes.items():
        definition = writer.book.definition(code, value)
        path = f"{one.path}.attributes.{code[:50]}"
        data[code] = writer.book.data(definition, value, path, data.get(code))
    row.attributes = json.dumps(data, sort_keys=True)
