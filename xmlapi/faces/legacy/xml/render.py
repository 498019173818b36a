"""Models to elements, and elements to bytes.

Every response document is built here with lxml; element order follows the contract
(``spec/products-xml-api.txt``). Empty values render as empty elements, references as
``<name uri="/path/ID/" id="ID"/>`` with URIs relative to ``/api/``, made by ``uris``
from the route table.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from lxml import etree

from xmlapi.catalog.readmodel import (
    CostLine,
    FeedPage,
    ListItem,
    Photo,
    ProductDetail,
    ReferenceItem,
    Serial,
    StockLevels,
)
from xmlapi.faces.legacy import uris
from xmlapi.faces.legacy.xml import chars

# lxml writes its declaration with single quotes; some legacy clients look for this
# exact byte string, so it is written as a constant.
PROLOG = b'<?xml version="1.0" encoding="UTF-8"?>\n'
CONTENT_TYPE = "application/xml; charset=utf-8"

SubElement = etree.SubElement
log = logging.getLogger(__name__)


def to_bytes(element: etree._Element) -> bytes:
    return PROLOG + etree.tostring(element, encoding="UTF-8", xml_declaration=False)


def text(value: Any) -> str | None:
    """The XML text of a value: decimals in plain notation, booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def leaf(parent: etree._Element, tag: str, value: Any) -> etree._Element:
    element = SubElement(parent, tag)
    element.text = text(value)
    return element


def ref(parent: etree._Element, tag: str, uri: str | None, ident: int | None) -> etree._Element:
    """``<tag uri="/path/ID/" id="ID"/>``, or a bare ``<tag/>`` when there is no reference."""
    element = SubElement(parent, tag)
    if ident is not None:
        element.set("uri", uri)
        element.set("id", str(ident))
    return element


def group(parent: etree._Element, tag: str, values: Iterable[tuple[str, Any]]) -> None:
    element = SubElement(parent, tag)
    for child_tag, value in values:
        leaf(element, child_tag, value)


def root(tag: str, uri: str | None = None, ident: int | None = None, **attrs: str):
    element = etree.Element(tag)
    if uri is not None:
        element.set("uri", uri)
        element.set("id", str(ident))
    for name, value in attrs.items():
        element.set(name, value)
    return element


# Reference data ------------------------------------------------------------------


def reference_item(item: ReferenceItem, parent: etree._Element | None = None):
    """A reference row's detail; appended to ``parent`` when one is given."""
    element = root(item.tag, uris.reference(item.kind, item.id), item.id)
    if parent is not None:
        parent.append(element)
    reference_fields(element, item)
    return element


def reference_fields(element: etree._Element, item: ReferenceItem) -> None:
    for value in item.values:
        if value.target is not None:
            ref(element, value.name, uris.reference(value.target, value.value), value.value)
        else:
            leaf(element, value.name, value.value)


def reference_list(tag: str, total: int, items: Iterable[ReferenceItem]) -> etree._Element:
    element = root(tag, total_count=str(total))
    for item in items:
        reference_item(item, element)
    return element


def _embedded_reference(parent, tag: str, item: ReferenceItem | None) -> None:
    """A reference with the referenced row's fields inside (the contract's
    "See GET /setup/.../X/ for details")."""
    if item is None:
        SubElement(parent, tag)
    else:
        reference_fields(ref(parent, tag, uris.reference(item.kind, item.id), item.id), item)


# Products ------------------------------------------------------------------------

FLAGS = (
    "current",
    "editable",
    "gift_card",
    "inventoried",
    "new_cost",
    "new_import",
    "new_update",
    "no_live_rules",
    "no_profit",
    "serialized",
    "web",
    "editable_sell",
    "master_model",
)
LIST_FLAGS = ("inventoried", "editable_sell", "master_model")
PRODUCT_INFO = ("color", "height", "length", "size", "weight", "width")
KEYWORD_SLOTS = 3


def inventory(parent: etree._Element | None, stock: StockLevels) -> etree._Element:
    """Stock levels and their total; a document of its own
    (GET /api/products/X/inventory/) when there is no ``parent``."""
    element = etree.Element("inventory") if parent is None else SubElement(parent, "inventory")
    for name, quantity in stock.levels():
        leaf(element, name, quantity)
    leaf(element, "total", stock.total)
    return element


def product(product: ProductDetail) -> etree._Element:
    """The full render of a product (GET /api/products/X/)."""
    el = root("product", uris.product(product.id), product.id)
    ref(el, "class", uris.reference("classes", product.class_id), product.class_id)
    currency = product.currency_id
    ref(el, "currency", uris.reference("currencies", currency), currency)
    leaf(el, "code", product.code)
    summary = product.costs
    group(
        el,
        "costs",
        [("cost", summary.cost), ("average", summary.average), ("raw", summary.raw)],
    )
    supplier_costs = SubElement(el, "supplier_costs")
    for cost in product.supplier_costs:
        supplier_costs.append(supplier_cost(cost))
    group(el, "flags", [(flag, getattr(product, flag)) for flag in FLAGS])
    leaf(el, "sell_price", product.sell_price)
    leaf(el, "created", product.created)
    leaf(el, "modified", product.modified)
    leaf(el, "description", product.description)
    leaf(el, "short_description", product.short_description)
    leaf(el, "long_web_description", product.long_web_description)
    leaf(el, "family", product.family)
    group(
        el,
        "gl_product",
        [
            ("asset", product.gl_asset),
            ("cogs_expense", product.gl_cogs_expense),
            ("income", product.gl_income),
        ],
    )
    leaf(el, "product_id", product.product_id)
    inventory(el, product.stock)
    leaf(el, "margin", product.margin)
    leaf(el, "minimum_margin", product.minimum_margin)
    group(el, "product_info", [(name, getattr(product, name)) for name in PRODUCT_INFO])
    group(
        el,
        "reorder",
        [
            ("amount", product.reorder_amount),
            ("calc", product.reorder_calc),
            ("point", product.reorder_point),
            ("type", product.reorder_type),
        ],
    )
    group(
        el,
        "sells",
        [
            ("sell", product.sell),
            ("sell_tax_inclusive", product.sell_tax_inclusive),
            ("sell_web", product.sell_web),
        ],
    )
    ref(el, "supplier", uris.reference("suppliers", product.supplier_id), product.supplier_id)
    leaf(el, "supplier_code", product.supplier_code)
    leaf(el, "upc", product.upc)
    group(el, "web", [("inventory", product.web_inventory)])
    keywords = product.keywords
    group(
        el,
        "keywords",
        [("keyword", keywords[i] if i < len(keywords) else None) for i in range(KEYWORD_SLOTS)],
    )
    leaf(el, "multi_store_label", product.multi_store_label)
    leaf(el, "multi_store_master_label", product.multi_store_master_label)
    categories = SubElement(el, "categories")
    _embedded_reference(SubElement(categories, "pos"), "category", product.pos_category)
    _embedded_reference(SubElement(categories, "web"), "category", product.web_category)
    related = SubElement(el, "related_products")
    for relation in product.related:
        item = SubElement(related, "related_product")
        ref(item, "product", uris.product(relation.related_id), relation.related_id)
        leaf(item, "quantity", relation.quantity)
        leaf(item, "auto-add", relation.auto_add)
    serials = SubElement(el, "serial_numbers")
    for serial in product.serial_numbers:
        serials.append(serial_number(serial))
    photos = SubElement(el, "product_photos")
    for photo_id in product.photo_ids:
        ref(photos, "product_photo", uris.image(product.id, photo_id), photo_id)
    _embedded_reference(el, "tax_exemption", product.tax_exemption)
    master = SubElement(el, "master_product")
    ref(master, "product", uris.product(product.master_id), product.master_id)
    color, size = product.product_color_id, product.product_size_id
    ref(el, "product_color", uris.reference("product_colors", color), color)
    ref(el, "product_size", uris.reference("product_sizes", size), size)
    leaf(el, "manufacturer_part_number", product.manufacturer_part_number)
    leaf(el, "manufacturer_pricing_option_code", product.manufacturer_pricing_option_code)
    return el


def _list_item_template() -> etree._Element:
    el = etree.Element("product", uri="", id="", full_render="false")
    leaf(el, "code", None)
    group(el, "flags", [(flag, None) for flag in LIST_FLAGS])
    leaf(el, "sell_price", None)
    leaf(el, "description", None)
    inventory(el, _NO_STOCK)
    SubElement(el, "product_photos")
    return el


_NO_STOCK = StockLevels(*(Decimal(0),) * 7)
# Lists run to 100 000 products: each item is a copy of this skeleton with its texts
# filled in by position, three times faster than building it element by element.
_LIST_ITEM = _list_item_template()
_BOOLEAN = {True: "true", False: "false"}


def product_list_item(item: ListItem) -> etree._Element:
    """A product in the list (``full_render="false"``)."""
    el = copy.deepcopy(_LIST_ITEM)
    el.set("uri", uris.product(item.id))
    el.set("id", str(item.id))
    code, flags, price, description, levels, photos = el
    code.text = item.code
    for element, flag in zip(flags, LIST_FLAGS, strict=True):
        element.text = _BOOLEAN[getattr(item, flag)]
    price.text = text(item.sell_price)
    description.text = item.description
    stock = item.stock
    for element, (_, quantity) in zip(levels, stock.levels(), strict=False):
        element.text = format(quantity, "f")
    levels[-1].text = format(stock.total, "f")
    for photo_id in item.photo_ids:
        ref(photos, "product_photo", uris.photo(item.id, photo_id), photo_id)
    return el


def list_item_bytes(item: ListItem) -> bytes:
    """A list item serialized on its own, to be streamed (and cached) inside a list."""
    return fragment(product_list_item(item))


def deleted(tag: str, uri: str, ident: int) -> etree._Element:
    return root(tag, uri, ident, deleted="true")


# Costs, serial numbers -------------------------------------------------------------


def supplier_cost(cost: CostLine) -> etree._Element:
    """A supplier cost (GET /api/products/X/costs/Y/); ``cost`` is in the product's
    currency, converted from the supplier's."""
    el = root("cost", uris.cost(cost.product_id, cost.id), cost.id)
    leaf(el, "raw", cost.raw)
    _embedded_reference(el, "currency", cost.currency)
    leaf(el, "cost", cost.cost)
    ref(el, "supplier", uris.reference("suppliers", cost.supplier_id), cost.supplier_id)
    leaf(el, "supplier_product_code", cost.supplier_product_code)
    leaf(el, "default", cost.is_default)
    return el


def supplier_cost_list(costs: Iterable[CostLine]) -> etree._Element:
    """GET /api/products/X/costs/: the contract's list carries no count."""
    el = root("costs")
    for cost in costs:
        el.append(supplier_cost(cost))
    return el


def serial_number_list(serials: Iterable[Serial]) -> etree._Element:
    el = root("serial_numbers")
    for serial in serials:
        el.append(serial_number(serial))
    return el


def serial_number(serial: Serial) -> etree._Element:
    el = root("serial_number", uris.serial_number(serial.product_id, serial.id), serial.id)
    leaf(el, "status", serial.status)
    leaf(el, "note", serial.note)
    leaf(el, "cost", serial.cost)
    leaf(el, "serial", serial.serial)
    warehouse = serial.warehouse_id
    ref(el, "warehouse", uris.reference("warehouses", warehouse), warehouse)
    return el


# Photos --------------------------------------------------------------------------


def product_photo(photo: Photo) -> etree._Element:
    """A photo (GET /api/products/X/product_photos/Y/): its scales in the contract's
    order (512, 256, original). ``width``, ``height`` and ``source_name`` are ours."""
    el = root("product_photo", uris.photo(photo.product_id, photo.id), photo.id)
    leaf(el, "sort_order", photo.sort_order)
    scales = SubElement(el, "scales")
    for scale in photo.scales:
        item = SubElement(scales, "scale")
        leaf(item, "filename", scale.name)
        leaf(item, "size", scale.size)
        leaf(item, "format", scale.format)
        leaf(item, "width", scale.width)
        leaf(item, "height", scale.height)
    leaf(el, "source_name", _stored_text(photo.source_name))
    return el


def _stored_text(value: str | None) -> str | None:
    """Stored text as XML can carry it: a render never fails on what older versions kept."""
    if value is None:
        return None
    safe = chars.writable(value)
    if safe != value:
        log.warning("stored text %r holds characters XML cannot carry; shown as U+FFFD", value)
    return safe


def product_photos(photos: Iterable[Photo]) -> etree._Element:
    el = etree.Element("product_photos")
    for photo in photos:
        el.append(product_photo(photo))
    return el


# Streaming -----------------------------------------------------------------------


def fragment(element: etree._Element) -> bytes:
    """An element serialized on its own, to be streamed inside a list."""
    return etree.tostring(element, encoding="UTF-8", xml_declaration=False)


def stream_list(
    tag: str, attrs: dict[str, str], fragments: Iterable[bytes], batch: int = 200
) -> Iterator[bytes]:
    """``<tag attrs>fragments...</tag>``, yielded in batches as they come, so a list of
    any length never sits in memory whole. lxml writes the root's start and end tags;
    the items are elements it serialized (see ``fragment``), kept as bytes so that a
    worker can reuse them across requests."""
    buffer = io.BytesIO()
    yield PROLOG
    with etree.xmlfile(buffer, encoding="UTF-8") as xf, xf.element(tag, attrs):
        xf.flush()
        yield _drain(buffer)  # the start tag: lxml writes it whole on entering
        pending: list[bytes] = []
        for item in fragments:
            pending.append(item)
            if len(pending) == batch:
                yield b"".join(pending)
                pending.clear()
        yield b"".join(pending)
    yield _drain(buffer)


def _drain(buffer: io.BytesIO) -> bytes:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data


# The change feed ------------------------------------------------------------------


def changes(page: FeedPage) -> etree._Element:
    """A page of the change feed (GET /api/changes/): entries in order and the cursor
    to ask with next."""
    el = root(
        "changes",
        after=str(page.after),
        next_after=str(page.next_after),
        more=_BOOLEAN[page.more],
    )
    for entry in page.entries:
        change = SubElement(el, "change", seq=str(entry.seq), kind=entry.kind)
        change.set("uri", f"/products/{entry.product_id}/")
        change.set("id", str(entry.product_id))
        change.set("version", str(entry.version))
        leaf(change, "code", entry.code)
        leaf(change, "changed", entry.changed)
    return el
