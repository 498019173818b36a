"""Helpers of the PIM face's tests: requests and JSON Schema checks of every answer."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "json" / "pim"


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        document = json.loads(path.read_text())
        resources.append((document["$id"], Resource.from_contents(document)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def check(name: str, body) -> None:
    """Validate ``body`` against schemas/json/pim/<name>.json."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    Draft202012Validator(schema, registry=REGISTRY, format_checker=FormatChecker()).validate(body)


def upsert(client, product: dict, status: int = 200, **kwargs):
    response = client.post("/api/pim/products", json={"product": product}, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    check("upserted" if status == 200 else "error", body)
    return body


def get(client, path: str, status: int = 200, schema: str = "products"):
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    check(schema if status == 200 else "error", body)
    return body
