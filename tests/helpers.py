"""Small helpers shared by the HTTP tests."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree
from sqlalchemy import event

# A copy of shared/spec/products-xml-api.txt, so the suite runs from a bare clone.
SPEC = Path(__file__).resolve().parents[1] / "docs" / "products-xml-api.txt"


def xml(response) -> etree._Element:
    return etree.fromstring(response.get_data())


def error_type(response) -> str:
    return xml(response).get("type")


def error_fields(response) -> dict[str, str]:
    return {f.get("name"): f.text for f in xml(response).iter("field")}


def document(tag: str, children: dict | None = None, **attrs: str) -> bytes:
    """Build a request document from nested dicts: {"sells": {"sell": "1.00"}}; a
    value of the form {"@id": 3} becomes a reference <tag id="3"/>; None leaves the
    element out ("" makes it empty)."""
    root = etree.Element(tag, **attrs)
    _fill(root, children or {})
    return etree.tostring(root)


def _fill(parent, children: dict) -> None:
    for name, value in children.items():
        if isinstance(value, list):
            for item in value:
                _fill(parent, {name: item})
            continue
        if value is None:
            continue
        child = etree.SubElement(parent, name)
        if isinstance(value, dict):
            attrs = {k[1:]: str(v) for k, v in value.items() if k.startswith("@")}
            for key, attr in attrs.items():
                child.set(key, attr)
            _fill(child, {k: v for k, v in value.items() if not k.startswith("@")})
        else:
            child.text = str(value)


def create(client, path: str, tag: str, children: dict) -> int:
    response = client.post(path, data=document(tag, children))
    assert response.status_code == 201, response.get_data(as_text=True)
    return int(xml(response).get("id"))


CURRENCIES = (("USD", "US dollar", "1"), ("EUR", "Euro", "1.08"), ("GBP", "Pound", "1.25"))


def currencies_and_suppliers(client) -> dict[str, int]:
    """USD (1), EUR (1.08) and GBP (1.25); Northwind sells in EUR, Dock in GBP."""
    ids = {
        code.lower(): create(
            client,
            "/api/setup/currencies/",
            "currency",
            {"code": code, "name": name, "exchange_rate": rate},
        )
        for code, name, rate in (
            ("USD", "US dollar", "1"),
            ("EUR", "Euro", "1.08"),
            ("GBP", "Pound", "1.25"),
        )
    }
    for key, name, currency in (("northwind", "Northwind", "eur"), ("dock", "Dock", "gbp")):
        ids[key] = create(
            client,
            "/api/suppliers/",
            "supplier",
            {"name": name, "currency": {"@id": ids[currency]}},
        )
    return ids


def create_product(client, **children) -> int:
    return create(client, "/api/products/", "product", children)


def lock(client, product_id: int) -> None:
    response = client.open(f"/api/products/{product_id}/", method="LOCK")
    assert response.status_code == 200, response.get_data(as_text=True)


def create_locked_product(client, **children) -> int:
    """Create a product and lock it for ``client``'s session, ready to be written."""
    product_id = create_product(client, **children)
    lock(client, product_id)
    return product_id


def spec_text() -> str:
    return SPEC.read_text()


def spec_endpoints() -> dict[tuple[str, str], tuple[bool, bool, bool, bool]]:
    """(method, path) -> the four flags, as the contract documents them."""
    found = {}
    pattern = re.compile(
        r"^(GET|POST|PUT|DELETE) /api(\S+)\n\nDescription:\n\n.*?\n"
        r"can_lock requires_lock has_etag requires_etag\n(\w+) (\w+) (\w+) (\w+)",
        re.MULTILINE | re.DOTALL,
    )
    for match in pattern.finditer(spec_text()):
        method, path, *flags = match.groups()
        found[(method, path)] = tuple(flag == "True" for flag in flags)
    return found


def spec_response_children(heading: str, depth: int = 1) -> list[str]:
    """The child tags at ``depth`` of the response documented under ``heading``."""
    text = spec_text()
    start = text.index(heading + "\n")
    block = text[text.index("Response:", start) :]
    end = block.find("\n\n", block.index("</"))
    block = block if end == -1 else block[:end]  # the last block ends the file
    return re.findall(rf"^{' ' * 4 * depth}<([\w-]+)", block, re.MULTILINE)


def count_statements(engine, call, touching: str = "") -> int:
    """How many SQL statements ``call()`` sends through ``engine`` (only those whose text
    has ``touching`` in it, when given)."""
    statements = []

    def record(_conn, _cursor, statement, *_args):
        if touching in statement:
            statements.append(1)

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)
