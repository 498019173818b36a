"""New kits (``kit_create_mode``): an empty kit in the attribute set (or class) the
document names, or a kit cloned from a stored bottom-level product
(``base_sku_code_for_clone``): the kit starts with the product's fields, attribute
values, prices, categories, catalogs and media links; what the document sends is
applied over them. Never its stock, identifiers, photos, links or place in a tree.

A kit is flagged as one from its creation (it may have no member yet), and so is any
product given kit members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from xmlapi.catalog import pim_input as checked
from xmlapi.catalog.errors import RuleBroken
from xmlapi.catalog.inventory import LEVELS
from xmlapi.catalog.pim_input import ProductInput, invalid
from xmlapi.models import Product
from xmlapi.models.pim import (
    PimAttributeValue,
    PimKitMember,
    PimMediaItem,
    PimPriceItem,
    PimProduct,
    PimProductCatalog,
    PimProductCategory,
)

if TYPE_CHECKING:
    from xmlapi.catalog.pim import _Writer

# Columns of a product that are its own, not data a kit copies from the SKU it clones.
NOT_CLONED = frozenset(
    {
        "id",
        "version",
        "organization_id",
        "code",
        "created",
        "modified",
        "master_model",
        "master_id",
        "product_color_id",
        "product_size_id",
        "product_id",
        "upc",
        "serialized",
        *LEVELS,  # stock is the kit's own
    }
)
PIM_CLONED = (
    "product_type",
    "attribute_set_id",
    "brand_id",
    "discontinued",
    "packed_length",
    "packed_width",
    "packed_height",
    "packed_weight",
    "shipping_zones",
    "locale",
)
ROW_OWN = frozenset({"id", "product_id", "created", "modified"})  # a copy gets its own
ROWS_CLONED = (PimAttributeValue, PimPriceItem, PimProductCategory, PimProductCatalog, PimMediaItem)


def make_kits(writer: _Writer, nodes: list[ProductInput]) -> None:
    """Flag and fill the kits the document creates; the clones are flushed, so that what
    the document sends for them is applied over stored rows."""
    cloned = False
    for node in nodes:
        fields = node.fields
        if "base_sku_code_for_clone" in fields and fields.get("kit_create_mode") != (
            checked.CLONED_KIT
        ):
            raise invalid(
                f"{node.path}.base_sku_code_for_clone",
                f"Only with kit_create_mode {checked.CLONED_KIT!r}.",
            )
        if "kit_create_mode" in fields:
            cloned |= _make_kit(writer, node)
    if cloned:
        writer.session.flush()


def _make_kit(writer: _Writer, node: ProductInput) -> bool:
    kit, fields, path = writer.products[id(node)], node.fields, f"{node.path}.kit_create_mode"
    if id(kit) not in writer.created:
        raise invalid(path, "Only to create a kit: a product with this code exists.")
    if node.variants:
        raise invalid(path, "A kit has no variants.")
    writer.pim[kit.id].is_kit = True
    if fields["kit_create_mode"] == checked.EMPTY_KIT:
        if "attribute_set" not in fields and "product_class_name" not in fields:
            raise invalid(path, "An empty kit is made in the attribute_set sent with it.")
        return False
    base = _base_sku(writer, node)
    _clone(writer, base, kit)
    return True


def _base_sku(writer: _Writer, node: ProductInput) -> Product:
    path = f"{node.path}.base_sku_code_for_clone"
    code = node.fields.get("base_sku_code_for_clone")
    if code is None:
        raise invalid(path, f"Required with kit_create_mode {checked.CLONED_KIT!r}.")
    if code == node.code:
        raise invalid(path, "A kit cannot be cloned from itself.")
    base = writer.stored_product(code)
    if base is None or id(base) in writer.created:
        raise invalid(path, f"No stored product with code {code!r}.")
    check_bottom_level(writer.session, base, path)
    if is_kit(writer.session, base.id):
        raise RuleBroken("A kit is cloned from a SKU, not from a kit.", {path: "Is a kit."})
    return base


def check_bottom_level(session, product: Product, path: str) -> None:
    """Raise RuleBroken when variants hang under ``product`` (XML children or PIM levels)."""
    below = select(Product.id).where(Product.master_id == product.id).limit(1)
    below_in_tree = select(PimProduct.product_id).where(PimProduct.parent_id == product.id).limit(1)
    if session.scalar(below) is not None or session.scalar(below_in_tree) is not None:
        raise RuleBroken("The product must be a bottom-level product.", {path: "Has variants."})


def is_kit(session, product_id: int) -> bool:
    """Whether the product is a kit: flagged as one, or with members."""
    flagged = exists().where(PimProduct.product_id == product_id, PimProduct.is_kit.is_(True))
    with_members = exists().where(PimKitMember.kit_id == product_id)
    return bool(session.scalar(select(flagged | with_members)))


def _clone(writer: _Writer, base: Product, kit: Product) -> None:
    for column in Product.__table__.columns:
        if column.key not in NOT_CLONED:
            setattr(kit, column.key, getattr(base, column.key))
    source = writer.session.get(PimProduct, base.id)  # none for a product made in XML
    if source is not None:
        for name in PIM_CLONED:
            setattr(writer.pim[kit.id], name, getattr(source, name))
    for model in ROWS_CLONED:
        columns = [c.key for c in model.__table__.columns if c.key not in ROW_OWN]
        for row in writer.session.scalars(select(model).where(model.product_id == base.id)):
            writer.session.add(model(product_id=kit.id, **{k: getattr(row, k) for k in columns}))
