"""/catalog/sign-in/ and /catalog/sign-out/: the same sessions and cookie as the API."""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from xmlapi.faces.pages.common import (
    ensure_sign_in_secret,
    new_sign_in_secret,
    page,
    see_other,
)
from xmlapi.http import auth

bp = Blueprint("pages_signin", __name__)

HOME = "/catalog/"
# Where a sign-in may send the browser back to: our own pages, never another host.
_LOCAL_PAGE = re.compile(r"/(?:catalog|api)/[A-Za-z0-9/_?=&.%+-]{0,500}")
MAX_FIELD = 1024  # characters of a user name or password


def sign_in_page(status: int = 200, message: str | None = None, then: str | None = None):
    """The sign-in form (also the answer to any page asked for without a session)."""
    new_sign_in_secret()
    then = (
        then if then is not None else _local(request.full_path if request.method == "GET" else "")
    )
    response = page("sign_in.html", status, message=message, then=then)
    ensure_sign_in_secret(response)
    return response


def _local(path: str | None) -> str:
    path = (path or "").rstrip("?")
    return path if _LOCAL_PAGE.fullmatch(path) and "//" not in path else HOME


@bp.get("/sign-in/", endpoint="form")
def form() -> Response:
    return sign_in_page(then=_local(request.args.get("then")))


@bp.post("/sign-in/", endpoint="sign_in")
def sign_in() -> Response:
    name = request.form.get("name", "")[:MAX_FIELD]
    password = request.form.get("password", "")[:MAX_FIELD]
    then = _local(request.form.get("then"))
    if auth.sign_in(name, password) is None:
        return sign_in_page(401, "Wrong user name or password.", then)
    return see_other(then)


@bp.post("/sign-out/", endpoint="sign_out")
def sign_out() -> Response:
    response = see_other("/catalog/sign-in/")
    auth.sign_out(auth.current_identity(), response)
    return response
