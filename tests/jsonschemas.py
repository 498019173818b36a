"""Checks JSON answers of the organization face against the JSON Schemas it publishes
(schemas/json/orgs/, served at /api/v2/schemas/)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "json" / "orgs"


@functools.cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def validator(name: str) -> Draft202012Validator:
    schema = _registry().contents(name)
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


def check(document, name: str):
    """Raise AssertionError unless ``document`` is valid against schema ``name``."""
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, f"{name}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors
    )
    return document


def answer(response, name: str, status: int = 200):
    """The JSON answer, checked: its status, media type and schema."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype in ("application/json", "application/schema+json")
    return check(response.get_json(), name)


def error(response, status: int) -> dict:
    """A JSON error answer, checked against error.json."""
    return answer(response, "error.json", status)
