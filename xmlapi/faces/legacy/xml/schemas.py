"""The XSD files under ``schemas/``, each compiled once and kept."""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

SCHEMAS_DIR = Path(__file__).resolve().parents[4] / "schemas"
XSD_NS = "http://www.w3.org/2001/XMLSchema"


def _compile(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(path), parser))


def request_schema(name: str) -> etree.XMLSchema:
    """The schema of request documents whose root is ``<name>``."""
    return _by_root("in")[name]


def response_schemas() -> dict[str, etree.XMLSchema]:
    """The schemas of response documents, by root tag."""
    return _by_root("out")


@functools.cache
def _by_root(direction: str) -> dict[str, etree.XMLSchema]:
    """Schemas under ``schemas/<direction>/`` by the root tags they declare
    (``types.xsd`` declares no root: it only holds shared types)."""
    by_root: dict[str, etree.XMLSchema] = {}
    for path in sorted((SCHEMAS_DIR / direction).glob("*.xsd")):
        roots = etree.parse(str(path)).getroot().findall(f"{{{XSD_NS}}}element")
        if not roots:
            continue
        schema = _compile(path)
        for root in roots:
            name = root.get("name")
            if name in by_root:
                raise RuntimeError(f"<{name}> is declared by two schemas in {direction}/")
            by_root[name] = schema
    return by_root


def schema_files() -> list[Path]:
    """Every XSD we ship, for ``GET /api/schemas/``."""
    return sorted(SCHEMAS_DIR.glob("*/*.xsd"))


def load_all() -> None:
    """Compile every schema now, so a broken XSD stops start-up rather than a request."""
    _by_root("in")
    _by_root("out")
