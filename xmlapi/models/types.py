"""Column types shared by the models.

Money and quantities are exact decimals. PostgreSQL stores them as ``numeric``; SQLite has
no exact decimal type (SQLAlchemy would round-trip through float), so there they are stored
as integers scaled by 10**scale, which keeps comparisons and ordering correct.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Numeric, String, TypeDecorator
from sqlalchemy.orm import mapped_column


class ExactDecimal(TypeDecorator):
    """A ``Numeric(precision, scale)`` that is exact on SQLite too; rounds half up."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale)
        self.precision = precision
        self.scale = scale
        self.quantum = Decimal(1).scaleb(-scale)

    @property
    def largest(self) -> Decimal:
        """The first value too large for the column."""
        return Decimal(10) ** (self.precision - self.scale)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value).quantize(self.quantum, rounding=ROUND_HALF_UP)
        if dialect.name == "sqlite":
            return int(value.scaleb(self.scale))
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(value).scaleb(-self.scale)
        return Decimal(value).quantize(self.quantum)

    @property
    def python_type(self) -> type:
        return Decimal


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    @property
    def python_type(self) -> type:
        return dt.datetime


MONEY = ExactDecimal(18, 2)
COST = ExactDecimal(18, 4)
QUANTITY = ExactDecimal(18, 7)
MEASURE = ExactDecimal(18, 4)
PERCENT = ExactDecimal(9, 2)
RATE = ExactDecimal(18, 6)

Money = Annotated[Decimal, mapped_column(MONEY)]
Cost = Annotated[Decimal, mapped_column(COST)]
Quantity = Annotated[Decimal, mapped_column(QUANTITY)]
Measure = Annotated[Decimal, mapped_column(MEASURE)]
Percent = Annotated[Decimal, mapped_column(PERCENT)]
Rate = Annotated[Decimal, mapped_column(RATE)]
Timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime())]
Name = Annotated[str, mapped_column(String(255))]
LongText = Annotated[str, mapped_column(String(4096))]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
