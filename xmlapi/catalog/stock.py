"""Stock levels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

LEVELS = (
    "available",
    "reserved",
    "coming_for_stock",
    "coming_for_customer",
    "warehouses",
    "in_transit",
)


def total(levels: Any) -> Decimal:
    """Stock on hand: available, reserved, in other warehouses and in transit.

    What is only on order (coming for stock or for a customer) is not counted.
    """
    return levels.available + levels.reserved + levels.warehouses + levels.in_transit
