"""The organization a request works in: the caller's (a session's user's first one, a
token's own). A product of another organization in the URL answers 404 before the view
runs, whatever the resource under it."""

from __future__ import annotations

from flask import g, request
from werkzeug.exceptions import Forbidden

from xmlapi.catalog import organizations
from xmlapi.catalog.organizations import Scope
from xmlapi.db import get_connection


def current_scope() -> Scope:
    return g.scope


def scope_request() -> None:
    """Before every authenticated request: set its scope; 404 when the URL names a
    product outside it."""
    identity = g.get("identity")
    if identity is None:
        return
    if identity.organization_id is None:
        raise Forbidden("This user belongs to no organization.")
    g.scope = Scope(identity.organization_id)
    product_id = (request.view_args or {}).get("product_id")
    if product_id is not None:
        organizations.check_product(get_connection(), g.scope, product_id)
