"""SQL functions that must give the same answer on PostgreSQL and SQLite.

Each is built into SQL on PostgreSQL and is a Python function registered on every SQLite
connection (SQLite stores exact decimals as scaled integers: the functions take and
give those). Filters use them: case-insensitive comparison, regular expressions, and a
product's cost and margin as the full render computes them.
"""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import Boolean, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from xmlapi.models.types import COST, MONEY, RATE, ExactDecimal

# A margin in percent, for filters: MONEY's range, two decimals.
MARGIN = ExactDecimal(18, 2)


class lower_sql(FunctionElement):
    """``str.lower`` in SQL (SQLite's own ``lower()`` only knows ASCII)."""

    type = String()
    inherit_cache = True
    name = "xmlapi_lower"


@compiles(lower_sql)
def _lower_sqlite(element, compiler, **kw):
    return f"xmlapi_lower({compiler.process(element.clauses, **kw)})"


@compiles(lower_sql, "postgresql")
def _lower_postgresql(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


class regex_fullmatch(FunctionElement):
    """True when the whole text matches the pattern (``.`` matches newlines too):
    ``regex_fullmatch(text, pattern)``."""

    type = Boolean()
    inherit_cache = True
    name = "xmlapi_matches"
    ignore_case = False


class regex_fullmatch_ignoring_case(regex_fullmatch):
    """``regex_fullmatch`` ignoring case."""

    inherit_cache = True
    ignore_case = True


@compiles(regex_fullmatch)
def _regex_sqlite(element, compiler, **kw):
    text, pattern = (compiler.process(c, **kw) for c in element.clauses)
    return f"xmlapi_matches({text}, {pattern}, {int(element.ignore_case)})"


@compiles(regex_fullmatch, "postgresql")
def _regex_postgresql(element, compiler, **kw):
    text, pattern = (compiler.process(c, **kw) for c in element.clauses)
    operator = "~*" if element.ignore_case else "~"
    return f"({text} {operator} ('^(?:' || {pattern} || ')$'))"


class converted_cost(FunctionElement):
    """``costs.convert``: ``converted_cost(raw, source_rate, target_rate)``, a missing
    rate counting as 1 and a zero target rate giving NULL."""

    type = COST
    inherit_cache = True
    name = "xmlapi_cost"


@compiles(converted_cost)
def _cost_sqlite(element, compiler, **kw):
    return f"xmlapi_cost({compiler.process(element.clauses, **kw)})"


@compiles(converted_cost, "postgresql")
def _cost_postgresql(element, compiler, **kw):
    raw, source, target = (compiler.process(c, **kw) for c in element.clauses)
    return f"round({raw} * coalesce({source}, 1) / nullif(coalesce({target}, 1), 0), 4)"


class margin_of(FunctionElement):
    """``pricing.margin``: ``margin_of(sell, cost)`` in percent, NULL when undefined."""

    type = MARGIN
    inherit_cache = True
    name = "xmlapi_margin"


@compiles(margin_of)
def _margin_sqlite(element, compiler, **kw):
    return f"xmlapi_margin({compiler.process(element.clauses, **kw)})"


@compiles(margin_of, "postgresql")
def _margin_postgresql(element, compiler, **kw):
    sell, cost = (compiler.process(c, **kw) for c in element.clauses)
    return f"round(({sell} - {cost}) * 100 / nullif({sell}, 0), 2)"


# SQLite --------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern:
    return re.compile(pattern, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _matches(text: str | None, pattern: str | None, ignore_case: int) -> int | None:
    if text is None or pattern is None:
        return None
    return int(_compiled(pattern, bool(ignore_case)).fullmatch(text) is not None)


def _unscaled(value: int | None, column: ExactDecimal) -> Decimal | None:
    return None if value is None else Decimal(value).scaleb(-column.scale)


def _scaled(value: Decimal | None, column: ExactDecimal) -> int | None:
    """``value`` as stored in ``column``, held to the column's range so that SQLite
    never overflows (filters refuse values outside the range, so this never changes
    an answer)."""
    if value is None:
        return None
    limit = int(column.largest.scaleb(column.scale))
    return max(-limit, min(limit, int(value.scaleb(column.scale))))


def _cost(raw: int | None, source_rate: int | None, target_rate: int | None) -> int | None:
    from xmlapi.catalog.costs import convert  # the render's own arithmetic

    if raw is None:
        return None
    try:
        value = convert(_unscaled(raw, COST), _currency(source_rate), _currency(target_rate))
        return _scaled(value, COST)
    except ArithmeticError:
        return None


def _currency(rate: int | None) -> SimpleNamespace | None:
    """A stand-in for a currency of this stored rate (None: no currency)."""
    return None if rate is None else SimpleNamespace(exchange_rate=_unscaled(rate, RATE))


def _margin(sell: int | None, cost: int | None) -> int | None:
    from xmlapi.catalog.pricing import margin  # the render's own arithmetic

    try:
        return _scaled(margin(_unscaled(sell, MONEY), _unscaled(cost, COST)), MARGIN)
    except ArithmeticError:
        return None


def register(connection: sqlite3.Connection) -> None:
    """Make the functions above callable on a SQLite connection."""
    connection.create_function("xmlapi_lower", 1, _lower, deterministic=True)
    connection.create_function("xmlapi_matches", 3, _matches, deterministic=True)
    connection.create_function("xmlapi_cost", 3, _cost, deterministic=True)
    connection.create_function("xmlapi_margin", 2, _margin, deterministic=True)


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()
