"""Prices, taxes and margins."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# Derived figures (conversions, averages, margins) of any values the columns hold need
# up to about 40 digits; the default context has 28 and would raise on them.
WIDE = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, DivisionByZero, Overflow])


def wide() -> localcontext:
    """A context wide enough for any derived figure of in-range stored values."""
    return localcontext(WIDE)


@dataclass(frozen=True)
class Pricing:
    """How ``sell_price`` is read: tax-exclusive (it is ``sell``) or tax-inclusive."""

    tax_inclusive: bool = False
    default_tax_rate: Decimal = Decimal(7)

    def sell_price_column(self) -> str:
        return "sell_tax_inclusive" if self.tax_inclusive else "sell"

    def sells_for(self, sell_price: Decimal | None) -> dict[str, Decimal | None]:
        """The ``sell`` and ``sell_tax_inclusive`` a given ``sell_price`` stands for.

        Tax-exclusive: the price is the sell and the inclusive price is left empty.
        Tax-inclusive: the price is the inclusive one and the sell is derived from it
        with the default tax rate (19.99 at 7% gives 18.68), rounded half up.
        """
        if sell_price is not None:
            sell_price = sell_price.quantize(CENT, rounding=ROUND_HALF_UP)
        if not self.tax_inclusive:
            return {"sell": sell_price, "sell_tax_inclusive": None}
        if sell_price is None:
            return {"sell": None, "sell_tax_inclusive": None}
        sell = sell_price / (1 + self.default_tax_rate / HUNDRED)
        return {
            "sell": sell.quantize(CENT, rounding=ROUND_HALF_UP),
            "sell_tax_inclusive": sell_price,
        }

    def sell_price(self, product) -> Decimal | None:
        return getattr(product, self.sell_price_column())


def margin(sell: Decimal | None, cost: Decimal | None) -> Decimal | None:
    """Gross margin in percent of the (tax-exclusive) sell, or None when undefined."""
    if sell is None or cost is None or sell == 0:
        return None
    with wide():
        return ((sell - cost) / sell * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
