"""/api/v2/orgs/<org>/changes/ (ours): the organization's change feed in JSON, the same
entries /api/changes/ serves in XML (catalog/feed.py): every upsert and delete of a
product in commit order, each numbered, with the cursor to ask with next."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from xmlapi.catalog import feed
from xmlapi.catalog.readmodel import FeedEntry
from xmlapi.db import get_connection
from xmlapi.faces.orgs import format
from xmlapi.faces.orgs.paging import whole_number
from xmlapi.http.jsonio import json_answer

bp = Blueprint("orgs_changes", __name__)


@bp.get("/orgs/<int:org_id>/changes/", endpoint="list")
def list_changes(org_id: int) -> Response:
    after = whole_number("after", 0, feed.LARGEST_SEQ, 0)
    limit = whole_number("limit", 1, feed.MAX_LIMIT, feed.DEFAULT_LIMIT)
    page = feed.read(get_connection(), org_id, after, limit)
    return json_answer(
        {
            "after": page.after,
            "next_after": page.next_after,
            "more": page.more,
            "next": _url_after(page.next_after),
            "results": [entry(item) for item in page.entries],
        }
    )


def entry(item: FeedEntry) -> dict[str, Any]:
    return {
        "seq": item.seq,
        "id": item.product_id,
        "code": item.code,
        "kind": item.kind,
        "version": item.version,
        "changed_at": format.instant(item.changed),
    }


def _url_after(cursor: int) -> str:
    """This feed's URL from ``cursor`` on, every other parameter kept."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "after"]
    return f"{request.base_url}?{urlencode([*args, ('after', str(cursor))])}"
