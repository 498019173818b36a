"""/api/v2/schemas/: the JSON Schema of every document of the organization face, read
once from ``schemas/json/orgs/``."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response
from werkzeug.exceptions import NotFound

from xmlapi.faces.orgs.endpoints import PREFIX
from xmlapi.http.jsonio import json_answer

SCHEMAS_DIR = Path(__file__).resolve().parents[3] / "schemas" / "json" / "orgs"
MEDIA_TYPE = "application/schema+json"

bp = Blueprint("orgs_schemas", __name__)


@functools.cache
def all_schemas() -> dict[str, dict[str, Any]]:
    """Every schema by its file name (``product.json``), parsed once."""
    return {path.name: json.loads(path.read_text()) for path in sorted(SCHEMAS_DIR.glob("*.json"))}


@bp.get("/schemas/", endpoint="index")
def index() -> Response:
    return json_answer(
        {
            "schemas": [
                {"name": name, "url": f"{PREFIX}/schemas/{name}", "title": schema.get("title")}
                for name, schema in all_schemas().items()
            ]
        }
    )


@bp.get("/schemas/<path:name>", endpoint="schema")
def schema(name: str) -> Response:
    found = all_schemas().get(name)
    if found is None:
        raise NotFound("No such schema; GET /api/v2/schemas/ lists them.")
    response = json_answer(found)
    response.mimetype = MEDIA_TYPE
    return response
