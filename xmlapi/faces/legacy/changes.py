"""/api/changes/ (ours): the change feed of the caller's organization, in order."""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from xmlapi.catalog import feed
from xmlapi.catalog.filters import InvalidQuery
from xmlapi.db import get_connection
from xmlapi.faces.legacy.common import xml_response
from xmlapi.faces.legacy.xml import render
from xmlapi.http.scope import current_scope

bp = Blueprint("changes", __name__)

_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)


@bp.get("/changes/", endpoint="list")
def list_changes() -> Response:
    after = _number("after", 0)
    limit = _number("limit", feed.DEFAULT_LIMIT)
    page = feed.read(get_connection(), current_scope().organization_id, after, limit)
    return xml_response(render.changes(page))


def _number(name: str, default: int) -> int:
    """A whole number in digits (the catalog checks its range); raises InvalidQuery."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not _DIGITS.fullmatch(raw):
        raise InvalidQuery(
            f"expected a whole number in digits 0-9, got {raw[:40]!r}", parameter=name
        )
    return int(raw)
