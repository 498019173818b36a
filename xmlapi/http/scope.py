"""The organization a request works in: the one its URL names (``<int:org_id>``, the
JSON faces), else the caller's (a session's user's first one, a token's own). An
organization in the URL the caller is no member of (for a token: not the token's own),
or a product of another organization, answers 404 before the view runs, whatever the
resource under it."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from werkzeug.exceptions import Forbidden

from xmlapi.catalog import organizations
from xmlapi.catalog.auth import SessionInfo
from xmlapi.catalog.errors import NotFound
from xmlapi.catalog.organizations import Scope
from xmlapi.db import get_connection
from xmlapi.http.auth import is_token
from xmlapi.http.cache import Memo


def current_scope() -> Scope:
    return g.scope


def scope_request() -> None:
    """Before every authenticated request: set its scope; 404 when the URL names a
    product outside it."""
    identity = g.get("identity")
    if identity is None:
        return
    g.scope = Scope(_organization_of_request(identity))
    product_id = (request.view_args or {}).get("product_id")
    if product_id is not None:
        organizations.check_product(g.scope, product_id, _organization_of(product_id))


ORGANIZATION_ARG = "org_id"  # the URL's organization, in the JSON faces' paths


def _organization_of_request(identity: SessionInfo) -> int:
    asked = (request.view_args or {}).get(ORGANIZATION_ARG)
    if asked is None or asked == identity.organization_id:
        if identity.organization_id is None:
            raise Forbidden("This user belongs to no organization.")
        return identity.organization_id
    # A token acts in its own organization only; a user in any it is a member of.
    if is_token(identity) or not organizations.member_of(get_connection(), identity.user_id, asked):
        raise NotFound(f"No organization with id {asked}.")
    return asked


# Each worker's memory of which organization a product belongs to: products never move
# and ids are never reused, so an answer holds for good (a product deleted since is
# answered 404 by the view).
PRODUCT_ORGANIZATIONS = 65536


def _organization_of(product_id: int) -> int | None:
    known: Memo = current_app.extensions["xmlapi.product_organizations"]
    organization_id = known.get(product_id)
    if organization_id is None:
        organization_id = organizations.organization_of(get_connection(), product_id)
        if organization_id is not None:
            known.put(product_id, organization_id)
    return organization_id


def init_app(app: Flask) -> None:
    app.extensions["xmlapi.product_organizations"] = Memo(size=PRODUCT_ORGANIZATIONS)
    app.before_request(scope_request)
