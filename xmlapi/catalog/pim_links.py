"""Links between products a PIM document makes: variations (parent and child), kits
(a kit and its members, each ``qty`` times; ``kit_skus`` names members by code, with
their qty), groups and related products (with their relationship and status). Links are
upserted: what is sent is added or changed, nothing else is removed.

Rules: a kit member is a bottom-level product (no variants under it) and no kit (a
product with members, or one made as a kit); a kit is no member of another kit; a
group is no member of a group; a product is never linked to itself; a variation never
makes a product its own ancestor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select

from xmlapi.catalog import pim_input as checked
from xmlapi.catalog.errors import RuleBroken
from xmlapi.catalog.pim_input import ProductInput, invalid, product_ref
from xmlapi.catalog.pim_kits import check_bottom_level, is_kit
from xmlapi.models import Product, RelatedProduct
from xmlapi.models.pim import PimGroupMember, PimKitMember, PimProduct, PimRelationship
from xmlapi.models.products import stamp

if TYPE_CHECKING:
    from xmlapi.catalog.pim import _Writer

MAX_SORT = 2**31 - 1


def write_links(writer: _Writer, nodes: list[ProductInput]) -> None:
    for node in nodes:
        product = writer.products[id(node)]
        fields, path = node.fields, node.path
        for name, (id_key, code_key, write) in _LINKS.items():
            if name in fields:
                for item_path, item in checked.objects(fields[name], f"{path}.{name}"):
                    other = writer.product_of(
                        product_ref(item, item_path, id_key, code_key), item_path
                    )
                    if other.id == product.id:
                        raise invalid(item_path, "Names the product itself.")
                    write(writer, product, other, item, item_path)


# Variations ------------------------------------------------------------------------------


def _child_variation(writer: _Writer, product: Product, child: Product, _item, path: str) -> None:
    _make_variant(writer, parent=product, child=child, path=path)


def _parent_variation(writer: _Writer, product: Product, parent: Product, _item, path: str) -> None:
    _make_variant(writer, parent=parent, child=product, path=path)


def _make_variant(writer: _Writer, *, parent: Product, child: Product, path: str) -> None:
    if child.id in writer._ancestors(parent):
        raise RuleBroken(
            "A product cannot be a variant of its own variant.",
            {path: "Is below this product in its variant tree."},
        )
    tree_root = parent.master_id or parent.id
    moved = [child.id, *descendants(writer.session, child)]
    writer._load_pim([child])
    writer.pim[child.id].parent_id = parent.id
    for product_id in moved:
        writer.session.get(Product, product_id).master_id = tree_root
    writer.session.get(Product, tree_root).master_model = True
    child.master_model = False


def descendants(session, product: Product) -> list[int]:
    """Ids of every variant below ``product`` (three statements at most)."""
    tree_root = product.master_id or product.id
    rows = session.execute(
        select(Product.id, Product.master_id, PimProduct.parent_id)
        .outerjoin(PimProduct, PimProduct.product_id == Product.id)
        .where(Product.master_id == tree_root)
    )
    children: dict[int, list[int]] = {}
    for product_id, master_id, parent_id in rows:
        children.setdefault(parent_id or master_id, []).append(product_id)
    found, stack = [], [product.id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.append(child)
                stack.append(child)
    return found


# Kits -----------------------------------------------------------------------------------


def _kit_member(writer: _Writer, kit: Product, member: Product, item, path: str) -> None:
    _check_kit(writer, kit, member, path)
    qty = checked.decimal(item.get("qty", 1), f"{path}.qty", checked.MAX_QTY)
    if qty <= 0:
        raise invalid(f"{path}.qty", "Must be more than 0.")
    row = writer.session.scalar(
        select(PimKitMember).where(
            PimKitMember.kit_id == kit.id, PimKitMember.member_id == member.id
        )
    )
    if row is None:
        row = PimKitMember(kit_id=kit.id, member_id=member.id)
        writer.session.add(row)
    row.qty = qty
    stamp(kit)  # its members are part of it: its version moves, its lock is checked
    writer.session.flush()


def _parent_kit(writer: _Writer, product: Product, kit: Product, item, path: str) -> None:
    _kit_member(writer, kit, product, item, path)


def _kit_sku(writer: _Writer, kit: Product, member: Product, item, path: str) -> None:
    if item.get("qty") is None:
        raise invalid(f"{path}.qty", "Required.")
    _kit_member(writer, kit, member, item, path)


def _check_kit(writer: _Writer, kit: Product, member: Product, path: str) -> None:
    session = writer.session
    check_bottom_level(session, member, path)
    if is_kit(session, member.id):
        raise RuleBroken("A kit cannot be a member of a kit.", {path: "Is a kit."})
    if session.scalar(select(exists().where(PimKitMember.member_id == kit.id))):
        raise RuleBroken("A kit member cannot be a kit.", {path: "The kit is itself a member."})
    writer._load_pim([kit])
    writer.pim[kit.id].is_kit = True


# Groups ---------------------------------------------------------------------------------


def _group(writer: _Writer, product: Product, group: Product, item, path: str) -> None:
    _add_to_group(writer, group, product, item, path)


def _group_member(writer: _Writer, group: Product, member: Product, item, path: str) -> None:
    _add_to_group(writer, group, member, item, path)


def _add_to_group(writer: _Writer, group: Product, member: Product, item, path: str) -> None:
    session = writer.session
    if session.scalar(select(exists().where(PimGroupMember.group_id == member.id))):
        raise RuleBroken("A group cannot be a member of a group.", {path: "Is a group."})
    if session.scalar(select(exists().where(PimGroupMember.member_id == group.id))):
        raise RuleBroken("A group member cannot be a group.", {path: "Is a group member."})
    sort_order = item.get("sort_order")
    row = session.scalar(
        select(PimGroupMember).where(
            PimGroupMember.group_id == group.id, PimGroupMember.member_id == member.id
        )
    )
    if row is None:
        row = PimGroupMember(group_id=group.id, member_id=member.id)
        session.add(row)
    if sort_order is not None:
        row.sort_order = checked.integer(sort_order, f"{path}.sort_order", 0, MAX_SORT)
    stamp(group)  # as a kit's members are the kit's
    session.flush()


# Related products -------------------------------------------------------------------------


def _child_related(writer: _Writer, product: Product, other: Product, item, path: str) -> None:
    _relate(writer, product, other, item, path)


def _parent_related(writer: _Writer, product: Product, other: Product, item, path: str) -> None:
    _relate(writer, other, product, item, path)


def _relate(
    writer: _Writer, product: Product, related: Product, item: dict[str, Any], path: str
) -> None:
    session = writer.session
    row = session.scalar(
        select(RelatedProduct).where(
            RelatedProduct.product_id == product.id, RelatedProduct.related_id == related.id
        )
    )
    if row is None:
        row = RelatedProduct(product_id=product.id, related_id=related.id)
        session.add(row)
    if item.get("sort_order") is not None:
        row.position = checked.integer(item["sort_order"], f"{path}.sort_order", 0, MAX_SORT)
    if item.get("relationship_id") is not None or item.get("relationship_code") is not None:
        row.relationship_id = _relationship(writer, item, path).id
    if item.get("status") is not None:
        row.status = checked.choice(item["status"], f"{path}.status", checked.STATUSES)
    session.flush()


def _relationship(writer: _Writer, item: dict[str, Any], path: str) -> PimRelationship:
    """The relationship an entry names by id (stored) or by code (made on first use)."""
    keys = ("relationship_id", "relationship_code")
    return writer.by_id_or_name(PimRelationship, item, path, keys, column="code")


_LINKS = {
    "product_variations": ("child_id", "child_product_code", _child_variation),
    "parent_variations": ("parent_id", "product_code", _parent_variation),
    "kit_members": ("child_id", "child_product_code", _kit_member),
    "parent_kits": ("parent_id", "parent_product_code", _parent_kit),
    "kit_skus": (None, "product_code", _kit_sku),
    "groups": ("group_id", "product_code", _group),
    "group_members": ("member_id", "sku_code", _group_member),
    "child_related_products": ("child_product_id", "child_product_code", _child_related),
    "parent_related_products": ("parent_product_id", "parent_product_code", _parent_related),
}
