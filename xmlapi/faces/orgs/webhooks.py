"""/api/v2/orgs/<org>/webhooks/ (ours): register a receiver of the organization's change
feed, and list them. The secret that signs deliveries is answered once, on creation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from marshmallow import EXCLUDE, Schema, fields, validate

from xmlapi.catalog import webhooks
from xmlapi.db import get_session
from xmlapi.faces.orgs import format
from xmlapi.http.jsonio import json_answer, read_object
from xmlapi.models import Webhook

bp = Blueprint("orgs_webhooks", __name__)

WEBHOOKS = "/orgs/<int:org_id>/webhooks/"


class NewWebhook(Schema):
    """``{"url": "https://...", "events": ["upsert", "delete"]}`` (events optional)."""

    class Meta:
        unknown = EXCLUDE

    url = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    events = fields.List(
        fields.String(validate=validate.OneOf(webhooks.EVENTS)),
        validate=validate.Length(min=1, max=len(webhooks.EVENTS)),
    )


@bp.post(WEBHOOKS, endpoint="create")
def create(org_id: int) -> Response:
    wanted = NewWebhook().load(read_object())
    registered = webhooks.register(
        get_session(), org_id, wanted["url"], wanted.get("events", webhooks.EVENTS)
    )
    body = {
        "id": registered.id,
        "url": registered.url,
        "events": list(registered.events),
        "secret": registered.secret,
    }
    return json_answer(body, 201)


@bp.get(WEBHOOKS, endpoint="list")
def list_all(org_id: int) -> Response:
    found = webhooks.list_webhooks(get_session(), org_id)
    return json_answer({"results": [_webhook(webhook) for webhook in found]})


def _webhook(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events.split(","),
        "acked_seq": webhook.acked_seq,
        "active": webhook.active,
        "created_at": format.instant(webhook.created),
    }
