"""Typed product attributes: definitions made on first use (their type taken from the
first value sent, or from the code for the two known descriptions), option values made
when sent with a name, and every value checked against its definition's type."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xmlapi.catalog import pim_input as checked
from xmlapi.catalog.pim_input import invalid
from xmlapi.models.pim import PimAttribute, PimAttributeOption

BASE_TYPES = (
    "string",
    "html",
    "number",
    "boolean",
    "date",
    "json",
    "single_option",
    "multi_option",
    "association",
)
HTML_CODES = {"description", "short_description"}
MAX_ATTRIBUTES = 500  # attributes of one product in a document
MAX_JSON_TEXT = 65536
ASSOCIATION_KEYS = {"associated_id", "associated_code"}
MODES = ("upsert", "reset")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def infer_type(code: str, value: Any) -> str:
    """The type a new attribute gets from its first value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | Decimal):
        return "number"
    if isinstance(value, str):
        if code in HTML_CODES:
            return "html"
        return "date" if ISO_DATE.fullmatch(value) else "string"
    if isinstance(value, dict) and ASSOCIATION_KEYS & set(value):
        return "association"
    if isinstance(value, dict) and "code" in value:
        return "single_option"
    if isinstance(value, list) and value and all(_is_option_ref(v) for v in value):
        return "multi_option"
    return "json"


def _is_option_ref(value: Any) -> bool:
    return (isinstance(value, dict) and "code" in value) or (
        isinstance(value, int) and not isinstance(value, bool)
    )


class AttributeBook:
    """An organization's attribute definitions and options that one write uses, loaded
    in two statements and completed as the write makes new ones."""

    def __init__(self, session: Session, organization_id: int, codes: set[str]):
        self.session = session
        self.organization_id = organization_id
        rows = session.scalars(
            select(PimAttribute).where(
                PimAttribute.organization_id == organization_id, PimAttribute.code.in_(codes)
            )
        )
        self.definitions = {row.code: row for row in rows}
        ids = [row.id for row in self.definitions.values()]
        options = session.scalars(
            select(PimAttributeOption).where(PimAttributeOption.attribute_id.in_(ids))
        )
        self.options: dict[int, dict[str, PimAttributeOption]] = {}
        for option in options:
            self.options.setdefault(option.attribute_id, {})[option.code] = option

    def definition(self, code: str, value: Any) -> PimAttribute:
        found = self.definitions.get(code)
        if found is None:
            found = PimAttribute(
                organization_id=self.organization_id, code=code, base_type=infer_type(code, value)
            )
            self.session.add(found)  # its id comes with the caller's next flush
            self.definitions[code] = found
        return found

    def data(self, definition: PimAttribute, value: Any, path: str, stored: Any) -> Any:
        """The value to store for ``value`` sent for ``definition`` (``stored``: what the
        product holds now, for association modes)."""
        kind = definition.base_type
        if kind in ("string", "html"):
            return checked.text(value, path, checked.MAX_NAME, empty=True)
        if kind == "number":
            return str(checked.decimal(value, path, checked.MAX_AMOUNT, negative=True))
        if kind == "boolean":
            return checked.boolean(value, path)
        if kind == "date":
            return _date(value, path)
        if kind == "single_option":
            codes = self._option_codes(definition, value, path)
            if len(codes) != 1:
                raise invalid(path, "Name exactly one option.")
            return codes[0]
        if kind == "multi_option":
            return self._option_codes(definition, value, path)
        if kind == "association":
            return _association(value, path, stored)
        return _json(value, path)

    def _option_codes(self, definition: PimAttribute, value: Any, path: str) -> list[str]:
        entries = value if isinstance(value, list) else [value]
        if len(entries) > checked.MAX_ITEMS:
            raise invalid(path, f"At most {checked.MAX_ITEMS} options.")
        options = self.options.setdefault(definition.id, {})
        codes = []
        for i, entry in enumerate(entries):
            codes.append(self._option(definition, options, entry, f"{path}.{i}").code)
        return list(dict.fromkeys(codes))

    def _option(self, definition, options, entry: Any, path: str) -> PimAttributeOption:
        if isinstance(entry, int) and not isinstance(entry, bool):
            found = next((o for o in options.values() if o.id == entry), None)
            if found is None:
                raise invalid(path, f"No option with id {entry}.")
            return found
        entry = checked.mapping(entry, path)
        code = checked.text(entry.get("code"), f"{path}.code")
        found = options.get(code)
        if found is None:
            if entry.get("name") is None:
                raise invalid(path, f"No option {code!r}; send its name to create it.")
            name = checked.text(entry["name"], f"{path}.name")
            found = PimAttributeOption(attribute_id=definition.id, code=code, name=name)
            self.session.add(found)
            self.session.flush()
            options[code] = found
        return found


def _date(value: Any, path: str) -> str:
    value = checked.text(value, path, 32)
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise invalid(path, "Must be a date (2024-05-30).") from None


def _plain(value: Any) -> Any:
    """A JSON value with its numbers made storable (fractions kept as text)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _json(value: Any, path: str) -> Any:
    plain = _plain(value)
    if len(json.dumps(plain)) > MAX_JSON_TEXT:
        raise invalid(path, f"At most {MAX_JSON_TEXT} characters of JSON.")
    return plain


def _association(value: Any, path: str, stored: Any) -> dict[str, list]:
    """Associated ids and codes; mode ``upsert`` (default) adds to what is stored,
    ``reset`` replaces it (an empty list removes them all)."""
    value = checked.mapping(value, path)
    mode = checked.choice(value.get("mode", "upsert"), f"{path}.mode", MODES)
    current = stored if isinstance(stored, dict) and mode == "upsert" else {}
    result = {
        "associated_id": list(current.get("associated_id", [])),
        "associated_code": list(current.get("associated_code", [])),
    }
    if mode == "reset":
        result = {"associated_id": [], "associated_code": []}
    for key in ("associated_id", "associated_code"):
        if key not in value:
            continue
        sent = value[key] if isinstance(value[key], list) else [value[key]]
        for i, item in enumerate(checked.items(sent, f"{path}.{key}")):
            item_path = f"{path}.{key}.{i}"
            one = (
                checked.ident(item, item_path)
                if key == "associated_id"
                else checked.text(item, item_path)
            )
            if one not in result[key]:
                result[key].append(one)
    return result


def attribute_values(value: Any, path: str) -> dict[str, Any]:
    """The ``product_attributes`` object: attribute code -> value sent."""
    values = checked.mapping(value, path)
    if len(values) > MAX_ATTRIBUTES:
        raise invalid(path, f"At most {MAX_ATTRIBUTES} attributes.")
    for code in values:
        checked.text(code, f"{path}.{code[:50]}")
    return values
