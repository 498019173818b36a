"""The back office's routes under /catalog/, every one with its flags, declared here
and only here. Its forms post to routes of their own (browsers send no LOCK or PUT);
the lock-taking, lock-needing and read-only policies come from these entries."""

from __future__ import annotations

from xmlapi.http.endpoints import Endpoint

PREFIX = "/catalog"
PRODUCT = "/products/(d+)/"
PHOTO = PRODUCT + "photos/(d+)/"


def _page(view: str, method: str, path: str, description: str, **flags) -> Endpoint:
    return Endpoint(view, method, path, description, contract=False, prefix=PREFIX, **flags)


ENDPOINTS: tuple[Endpoint, ...] = (
    _page("pages_assets.asset", "GET", "/static/(path)", "A stylesheet or script", public=True),
    _page(
        "pages_assets.image",
        "GET",
        PHOTO + "image/",
        "A photo at ?size=256, 512 or original (the default)",
        light=True,
    ),
    _page("pages_signin.form", "GET", "/sign-in/", "The sign-in form", public=True),
    _page("pages_signin.sign_in", "POST", "/sign-in/", "Sign in: opens a session", public=True),
    _page(
        "pages_signin.sign_out",
        "POST",
        "/sign-out/",
        "Sign out: ends the session and releases its locks",
        read_only_ok=True,
    ),
    _page("pages.list", "GET", "/", "Products: search, filter, sort, page"),
    _page("pages.detail", "GET", PRODUCT, "One product with everything under it"),
    _page("pages_edit.lock", "POST", PRODUCT + "lock/", "Start editing: take the lock"),
    _page(
        "pages_edit.renew",
        "POST",
        PRODUCT + "lock/renew/",
        "Keep editing: renew the lock",
        requires_lock=True,
    ),
    _page("pages_edit.unlock", "POST", PRODUCT + "unlock/", "Stop editing: release the lock"),
    _page("pages_edit.form", "GET", PRODUCT + "edit/", "The edit form (with the lock held)"),
    _page(
        "pages_edit.save",
        "POST",
        PRODUCT + "edit/",
        "Save the description, prices, flags and stock; releases the lock",
        requires_lock=True,
    ),
    _page(
        "pages_edit.add_photo",
        "POST",
        PRODUCT + "photos/",
        "Add a photo: the raw image bytes",
        requires_lock=True,
    ),
    _page(
        "pages_edit.order_photo",
        "POST",
        PHOTO + "order/",
        "Move a photo in the product's order",
        requires_lock=True,
    ),
    _page(
        "pages_edit.delete_photo",
        "POST",
        PHOTO + "delete/",
        "Delete a photo",
        requires_lock=True,
    ),
)
