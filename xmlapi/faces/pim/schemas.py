"""/api/pim/schemas: the JSON Schema of every answer of the PIM face."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_file

from xmlapi.http.jsonio import json_answer

SCHEMAS_DIR = Path(__file__).resolve().parents[3] / "schemas" / "json" / "pim"

bp = Blueprint("pim_schemas", __name__)


def schema_files() -> dict[str, Path]:
    return {path.name: path for path in sorted(SCHEMAS_DIR.glob("*.json"))}


@bp.get("/schemas/", endpoint="list")
def schemas() -> Response:
    return json_answer(
        {"schemas": [{"name": name, "uri": f"/api/pim/schemas/{name}"} for name in schema_files()]}
    )


@bp.get("/schemas/<path:name>", endpoint="detail")
def schema(name: str) -> Response:
    files = schema_files()
    if name not in files:
        abort(404, "No such schema; GET /api/pim/schemas/ lists them.")
    return send_file(files[name], mimetype="application/schema+json")
