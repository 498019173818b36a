"""The PIM list's query parameters, read and checked (422 naming the parameter)."""

from __future__ import annotations

from collections.abc import Mapping

from xmlapi.catalog import listing, pim_input, pim_reads
from xmlapi.catalog.errors import InvalidValue
from xmlapi.catalog.filters import InvalidQuery
from xmlapi.faces.pim.errors import BadParameter
from xmlapi.http.common import query_time

PRODUCT_FIELDS = ("name", "status", "class_type")
TIMES = {
    "created_time_from": "created_from",
    "created_time_to": "created_to",
    "updated_time_from": "updated_from",
    "updated_time_to": "updated_to",
}
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _int(args: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= high:
        raise BadParameter(name, f"Must be a whole number from 1 to {high}.")
    return int(raw)


def list_query(args: Mapping[str, str]) -> pim_reads.Query:
    values = {
        "page": _int(args, "page", 1, 10**6),
        "per_page": _int(args, "per_page", 50, pim_reads.MAX_PER_PAGE),
    }
    for name, attribute in TIMES.items():
        if name in args:
            raw = query_time(args[name])
            values[attribute] = _checked(lambda r=raw, n=name: pim_input.timestamp(r, n), name)
    if "id" in args:
        values["id"] = _int(args, "id", 0, 2**31 - 1)
    for name in ("code", "name"):
        if name in args:
            values[name] = _checked(lambda n=name: pim_input.text(args[n], n, 4096), name)
    for name in ("identifier_name", "entity_key"):
        if name in args:
            values[name] = _checked(lambda n=name: pim_input.text(args[n], n), name)
    if "status" in args:
        values["status"] = _checked(
            lambda: pim_input.choice(args["status"], "status", pim_input.STATUSES), "status"
        )
    keyset = "after" in args
    raw = args.get("root_products_only", "false" if keyset else "true").lower()
    if raw not in BOOLEANS:
        raise BadParameter("root_products_only", "Must be true or false.")
    values["root_products_only"] = BOOLEANS[raw]
    if keyset:
        values["after"] = _keyset_cursor(args, values["root_products_only"])
    return pim_reads.Query(**values)


def _keyset_cursor(args: Mapping[str, str], roots_only: bool) -> listing.Keyset:
    """The ``after`` cursor of keyset paging, which lists every level flat (a variant's
    change does not move its root's stamp) and has no page number."""
    try:
        cursor = listing.parse_cursor(args["after"])
    except InvalidQuery as exc:
        raise BadParameter("after", exc.fields["after"]) from None
    if "page" in args:
        raise BadParameter("page", "after takes no page: the cursor says where.")
    if roots_only:
        raise BadParameter(
            "root_products_only",
            "after lists every level flat (a variant's change does not move its root).",
        )
    return cursor


def _checked(read, name: str):
    try:
        return read()
    except InvalidValue as exc:
        raise BadParameter(name, next(iter(exc.fields.values()))) from None


def _names(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> frozenset[str] | None:
    raw = args.get(name)
    if raw is None:
        return None
    chosen = frozenset(part.strip() for part in raw.split(",") if part.strip())
    unknown = sorted(chosen - set(allowed))
    if unknown:
        raise BadParameter(name, f"Unknown: {unknown[0][:50]}; one of {', '.join(allowed)}.")
    return chosen


def product_fields(args: Mapping[str, str]) -> frozenset[str] | None:
    return _names(args, "response_product_fields", PRODUCT_FIELDS)


def associated_fields(args: Mapping[str, str]) -> frozenset[str] | None:
    return _names(args, "response_associated_fields", pim_reads.PARTS)


def parts(args: Mapping[str, str]) -> frozenset[str]:
    """What to load: the default shape's parts, or only the selected ones."""
    chosen = associated_fields(args)
    if chosen is None and product_fields(args) is None:
        return pim_reads.DEFAULT_PARTS
    return chosen or frozenset()


def required_codes(args: Mapping[str, str]) -> list[str]:
    """The attributes asked about (``attributes[attribute_definition_codes]``)."""
    codes = _codes(args, "attributes[attribute_definition_codes]")
    if codes is None:
        raise BadParameter(
            "attributes[attribute_definition_codes]", "Required: attribute codes, comma separated."
        )
    return codes


def response_codes(args: Mapping[str, str]) -> list[str] | None:
    """The attributes to answer with, when named apart (None: the ones asked about)."""
    return _codes(args, "attributes[response_attribute_definition_codes]")


def _codes(args: Mapping[str, str], name: str) -> list[str] | None:
    raw = args.get(name)
    if raw is None or not raw.strip():
        return None
    codes = [part.strip() for part in raw.split(",") if part.strip()]
    if len(codes) > 100 or any(len(code) > 255 for code in codes):
        raise BadParameter(name, "At most 100 codes of 255 characters.")
    return codes
