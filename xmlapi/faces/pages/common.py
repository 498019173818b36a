"""What every view of the pages uses: a page with the signed-in person's context, the
CSRF token of every form, and redirects after a post."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, g, render_template, request

from xmlapi.http.auth import session_token
from xmlapi.http.html import page_response

SIGN_IN_COOKIE = "LS_PAGES_SIGN_IN"  # the sign-in form's CSRF secret, before a session
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"  # scripts that post raw bytes (photos) send it here


class CsrfRefused(Exception):
    """A form post without this session's token: not sent by one of our pages."""


def csrf_token() -> str:
    """This browser's form token: derived from its session cookie (which other sites
    cannot read), or before signing in from the sign-in cookie; "" without either."""
    token = session_token()
    if token:
        return _digest("session", token)
    sign_in = request.cookies.get(SIGN_IN_COOKIE) or g.get("sign_in_secret")
    return _digest("sign-in", sign_in) if sign_in else ""


def _digest(kind: str, secret: str) -> str:
    return hashlib.sha256(f"xmlapi-csrf\0{kind}\0{secret}".encode()).hexdigest()


def check_csrf() -> None:
    """Before every post to the pages: refuse one without the right token."""
    if request.method != "POST":
        return
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = csrf_token()
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused(
            "The form was not sent from this session's page; reload it and try again."
        )


def ensure_sign_in_secret(response: Response) -> None:
    """Give a browser without a session the secret its sign-in form's token comes from."""
    if request.cookies.get(SIGN_IN_COOKIE) or not g.get("sign_in_secret"):
        return
    response.set_cookie(
        SIGN_IN_COOKIE, g.sign_in_secret, path="/catalog/", httponly=True, samesite="Strict"
    )


def new_sign_in_secret() -> None:
    if not request.cookies.get(SIGN_IN_COOKIE):
        g.sign_in_secret = secrets.token_urlsafe(32)


def page(template: str, status: int = 200, **context) -> Response:
    """``template`` rendered with who is signed in and the form token."""
    identity = g.get("identity")
    body = render_template(
        template,
        user_name=identity.user_name if identity else None,
        read_only=bool(identity and identity.read_only),
        csrf_token=csrf_token(),
        **context,
    )
    return page_response(body, status)


def see_other(location: str) -> Response:
    """303: after a post, the browser gets the page with a GET."""
    return Response(status=303, headers={"Location": location})
