"""The product fields a catalog file carries: the XML face's element paths (the CSV
header names them, by path or by a leaf name no other field shares), and the column
each one is stored in."""

from __future__ import annotations

from dataclasses import dataclass

from xmlapi.catalog.vocabulary import WRITABLE_FLAGS


@dataclass(frozen=True)
class Field:
    path: str  # in the request document: "sells/sell"
    column: str  # the Product attribute it is stored in
    kind: str = "text"  # text, number, flag or reference (an id: <class id="3"/>)

    @property
    def leaf(self) -> str | None:
        """The last element's name; none for nested references (``category``)."""
        if self.kind == "reference" and "/" in self.path:
            return None
        return self.path.rsplit("/", 1)[-1]


def _group(group: str, kind: str, *names: str, prefix: str = "") -> list[Field]:
    return [Field(f"{group}/{name}", f"{prefix}{name}", kind) for name in names]


FIELDS: tuple[Field, ...] = (
    Field("code", "code"),
    Field("description", "description"),
    Field("short_description", "short_description"),
    Field("long_web_description", "long_web_description"),
    Field("family", "family"),
    *_group("sells", "number", "sell", "sell_tax_inclusive", "sell_web"),
    Field("class", "class_id", "reference"),
    Field("currency", "currency_id", "reference"),
    Field("supplier", "supplier_id", "reference"),
    Field("supplier_code", "supplier_code"),
    Field("tax_exemption", "tax_exemption_id", "reference"),
    Field("product_color", "product_color_id", "reference"),
    Field("product_size", "product_size_id", "reference"),
    Field("master_product/product", "master_id", "reference"),
    Field("categories/pos/category", "pos_category_id", "reference"),
    Field("categories/web/category", "web_category_id", "reference"),
    *_group("flags", "flag", *WRITABLE_FLAGS),
    Field("manufacturer_part_number", "manufacturer_part_number"),
    Field("manufacturer_pricing_option_code", "manufacturer_pricing_option_code"),
    Field("gl_product/asset", "gl_asset"),
    Field("gl_product/cogs_expense", "gl_cogs_expense"),
    Field("gl_product/income", "gl_income"),
    Field("product_id", "product_id"),
    Field("minimum_margin", "minimum_margin", "number"),
    *_group("product_info", "text", "color", "size"),
    *_group("product_info", "number", "height", "length", "weight", "width"),
    *_group("reorder", "number", "amount", "calc", "point", "type", prefix="reorder_"),
    Field("upc", "upc"),
    Field("web/inventory", "web_inventory"),
    Field("multi_store_label", "multi_store_label"),
    Field("multi_store_master_label", "multi_store_master_label"),
)

# Written on import only: an instruction, not a stored column (see Pricing.sells_for).
SELL_PRICE = Field("sell_price", "sell_price", "number")

# The organization JSON face's names, where they mean one of our fields.
JSON_NAMES = {
    "sells/sell": "unit_price",
    "manufacturer_part_number": "part_number",
    "product_info/weight": "unit_weight",
}


def by_name() -> dict[str, Field]:
    """Every name a file may use for a field: its path, and its leaf when unique."""
    names = {field.path: field for field in (*FIELDS, SELL_PRICE)}
    leaves: dict[str, list[Field]] = {}
    for field in FIELDS:
        if field.leaf is not None:
            leaves.setdefault(field.leaf, []).append(field)
    for leaf, fields in leaves.items():
        if len(fields) == 1 and leaf not in names:
            names[leaf] = fields[0]
    names["master_product"] = names["master_product/product"]
    names["pos_category"] = names["categories/pos/category"]
    names["web_category"] = names["categories/web/category"]
    for path, json_name in JSON_NAMES.items():
        names[json_name] = names[path]
    return names
