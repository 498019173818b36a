"""The product fields of the JSON spec, wire <-> typed values (marshmallow).

``ProductFieldsSchema`` loads a document into the change set ``catalog.product_sheets``
takes (the names of ``readmodel.ProductFields``; ``Price``, ``Weight``, ``CustomField``,
aware UTC datetimes, Decimal quantities), only the keys sent; unknown and read-only
keys are ignored, as the spec's examples send them. A box item is the same fields plus
its own: subclass the schema.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from xmlapi.catalog.readmodel import CustomField, Price, Weight
from xmlapi.models.types import MEASURE, MONEY, QUANTITY, ExactDecimal

# Text is stored only if the XML face can show it back: XML 1.0 carries these
# characters and no others (no NUL, no control characters, no lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_writable(value: str | None) -> None:
    if value is not None and _NOT_XML.search(value):
        raise ValidationError("Contains a character that cannot be stored (a control character?).")


def Text(max_length: int = 255, **kwargs: Any) -> fields.String:
    """A string (or null) of at most ``max_length`` characters."""
    kwargs.setdefault("allow_none", True)
    return fields.String(validate=[validate.Length(max=max_length), xml_writable], **kwargs)


def fit(number: Decimal, column: ExactDecimal) -> Decimal:
    """``number`` rounded half up to the column's scale; ValidationError unless it fits."""
    too_large = ValidationError(
        f"Must be below {column.largest} in size once rounded to {column.scale} decimals."
    )
    if not number.is_finite() or number.adjusted() >= column.precision - column.scale:
        raise too_large  # checked first: quantizing a huge number would itself fail
    rounded = number.quantize(column.quantum, rounding=ROUND_HALF_UP)
    if abs(rounded) >= column.largest:
        raise too_large
    return rounded


class Quantity(fields.Field):
    """A JSON number of at least 0 that fits a quantity column (not a string, not a
    boolean)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise ValidationError("Must be a number.")
        number = fit(Decimal(value), QUANTITY)
        if number < 0:
            raise ValidationError("Must be 0 or more.")
        return number


_DECIMAL = r"[+-]?[0-9]{1,40}(?:\.[0-9]{1,40})?"
_PRICE = re.compile(rf"\s*({_DECIMAL})(?:\s+([A-Za-z]{{3}}))?\s*", re.ASCII)
_WEIGHT = re.compile(rf"\s*({_DECIMAL})\s*([A-Za-z]{{1,10}})\s*", re.ASCII)


def _match(pattern: re.Pattern, value: Any, example: str) -> re.Match:
    if not isinstance(value, str):
        raise ValidationError(f"Must be a string such as {example!r}.")
    match = pattern.fullmatch(value) if len(value) <= 200 else None
    if match is None:
        raise ValidationError(f"Must look like {example!r}.")
    return match


class PriceField(fields.Field):
    """``"88.00 USD"``: an amount and an ISO 4217 currency code (the code may be left
    out: the product's currency stays)."""

    def _deserialize(self, value, attr, data, **kwargs):
        amount, currency = _match(_PRICE, value, "88.00 USD").groups()
        return Price(fit(Decimal(amount), MONEY), currency.upper() if currency else None)


class WeightField(fields.Field):
    """``"180 g"``: an amount of at least 0 and a unit (the catalog knows which)."""

    def _deserialize(self, value, attr, data, **kwargs):
        amount, unit = _match(_WEIGHT, value, "180 g").groups()
        number = fit(Decimal(amount), MEASURE)
        if number < 0:
            raise ValidationError("Must be 0 or more.")
        return Weight(number, unit.lower())


class Instant(fields.Field):
    """An ISO 8601 date and time; without a zone it is UTC. Kept to the microsecond."""

    def _deserialize(self, value, attr, data, **kwargs):
        return parse_instant(value)


def parse_instant(value: Any) -> dt.datetime:
    """``value`` as an aware UTC datetime; raises ValidationError."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValidationError("Must be an ISO 8601 date and time such as 2016-09-26T07:45:14Z.")
    try:
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise ValidationError(
            "Must be an ISO 8601 date and time such as 2016-09-26T07:45:14Z."
        ) from None


class StrictBoolean(fields.Field):
    """true or false, nothing that merely looks like one."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


MAX_CUSTOM_FIELDS = 100
CUSTOM_VALUE_LENGTH = 65536


class CustomFieldValue(Schema):
    class Meta:
        unknown = EXCLUDE

    value = Text(CUSTOM_VALUE_LENGTH, required=True, allow_none=False)
    type = Text()


class CustomFields(fields.Field):
    """``{"name": {"value": "...", "type": "..."}}``: at most MAX_CUSTOM_FIELDS names of
    1 to 255 characters; ``type`` is optional."""

    value_schema: type[Schema] = CustomFieldValue
    most = MAX_CUSTOM_FIELDS

    @staticmethod
    def make(typed: dict) -> Any:
        return CustomField(typed["value"], typed.get("type"))

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError('Must be an object such as {"Colour": {"value": "Red"}}.')
        if len(value) > self.most:
            raise ValidationError(f"At most {self.most} custom fields.")
        loaded = {}
        for name, field in value.items():
            if not 1 <= len(name) <= 255:
                raise ValidationError("A custom field's name is 1 to 255 characters.")
            xml_writable(name)
            if not isinstance(field, dict):
                raise ValidationError({name: ['Must be an object such as {"value": "Red"}.']})
            try:
                typed = self.value_schema().load(field)
            except ValidationError as exc:
                raise ValidationError({name: exc.messages}) from None
            loaded[name] = self.make(typed)
        return loaded


class ProductFieldsSchema(Schema):
    """The writable fields of a product of the JSON spec."""

    class Meta:
        unknown = EXCLUDE  # read-only and misspelled keys are ignored (the spec's PATCH)

    code = Text(1023)
    description = Text(4096)
    part_number = Text()
    kind = Text(16)  # the vocabulary is the catalog's
    quantity = Quantity(allow_none=True)
    unit_price = PriceField(allow_none=True)
    unit_weight = WeightField(allow_none=True)
    image_link = Text(4096)
    link = Text(4096)
    pick_location = Text()
    origin_country_code = Text(64)
    joint_production = StrictBoolean(allow_none=True)
    commodity_code = Text()
    net_cost_code = Text()
    net_cost_begin_date = Instant(allow_none=True)
    net_cost_end_date = Instant(allow_none=True)
    producer_info_code = Text()
    preference_criteria_code = Text()
    scheduleb_commodity_code = Text()
    export_type_code = Text()
    ups = Text()
    ean = Text()
    isbn = Text()
    custom_fields = CustomFields(allow_none=True)


def load_product(document: dict[str, Any]) -> dict[str, Any]:
    """The change set a product document carries; raises ValidationError."""
    return ProductFieldsSchema().load(document)
