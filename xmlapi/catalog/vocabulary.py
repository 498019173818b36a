"""The product's field vocabulary: one table that every face, the filters and the
documents' schemas follow (a test checks the XSDs against it)."""

from __future__ import annotations

# Every flag of a product, in the contract's order.
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
# Flags the catalog sets itself: a new default cost, children under a master.
DERIVED_FLAGS = ("new_cost", "master_model")
WRITABLE_FLAGS = tuple(flag for flag in FLAGS if flag not in DERIVED_FLAGS)
# The flags a list item shows.
LIST_FLAGS = ("inventoried", "editable_sell", "master_model")

KEYWORD_SLOTS = 3

# How a child's code and description are made from its master's.
CODE_SUFFIXES = {
    "COLOR_SIZE": "{code}-{color}-{size}",
    "SIZE_COLOR": "{code}-{size}-{color}",
}
DESCRIPTION_SUFFIXES = {
    "COLOR_SIZE": "{description}, {color}, {size}",
    "SIZE_COLOR": "{description}, {size}, {color}",
    "BCOLOR_SIZEB": "{description}, ({color}, {size})",
    "BSIZE_COLORB": "{description}, ({size}, {color})",
}
