"""Editing from the back office: the lock taken, renewed, released; saves through the
catalog (read back through the XML API); photos as raw bytes; read-only users and
other sessions refused; bad input changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import create_product, xml
from tests.images import jpeg
from tests.test_pages import csrf, html, signed_in
from xmlapi.models import ProductLock

EDIT = {
    "description": "Blue enamel mug",
    "short_description": "Mug",
    "sell_price": "12.345",
    "sell_web": "",
    "flags": "1",
    "web": "1",
    "reserved": "2",
}


@pytest.fixture
def product_id(client):
    return create_product(client, code="MUG-9", description="Mug", sell_price="9.50")


def start_editing(browser, product_id: int) -> str:
    token = csrf(browser)
    response = browser.post(f"/catalog/products/{product_id}/lock/", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/catalog/products/{product_id}/edit/"
    return token


def test_editing_saves_through_the_catalog_and_releases_the_lock(app, client, product_id):
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    form = html(browser.get(f"/catalog/products/{product_id}/edit/"))
    assert 'for="description"' in form and "You hold the lock until" in form
    response = browser.post(
        f"/catalog/products/{product_id}/edit/", data={**EDIT, "csrf_token": token}
    )
    assert (response.status_code, response.headers["Location"]) == (
        303,
        f"/catalog/products/{product_id}/",
    )
    stored = xml(client.get(f"/api/products/{product_id}/"))
    assert stored.findtext("description") == "Blue enamel mug"
    assert stored.findtext("sell_price") == "12.35"
    assert stored.findtext("flags/web") == "true"
    assert stored.findtext("inventory/reserved").startswith("2")
    page = html(browser.get(f"/catalog/products/{product_id}/"))
    assert "You hold the lock" not in page and 'id="edit"' in page  # released


def test_cancel_releases_the_lock(app, product_id):
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    response = browser.post(f"/catalog/products/{product_id}/unlock/", data={"csrf_token": token})
    assert response.status_code == 303
    assert (
        browser.post(
            f"/catalog/products/{product_id}/unlock/", data={"csrf_token": token}
        ).status_code
        == 303
    )
    edit = browser.get(f"/catalog/products/{product_id}/edit/")
    assert edit.status_code == 303  # the form needs the lock


def test_the_script_renews_the_lock_and_needs_it(app, product_id):
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    renew = f"/catalog/products/{product_id}/lock/renew/"
    assert browser.post(renew, headers={"X-CSRF-Token": token}).status_code == 204
    browser.post(f"/catalog/products/{product_id}/unlock/", data={"csrf_token": token})
    response = browser.post(renew, headers={"X-CSRF-Token": token})
    assert response.status_code == 428
    assert 'data-error-type="lock.required"' in html(response)


@pytest.mark.parametrize("action", ["lock/renew/", "edit/", "unlock/"])
def test_a_post_without_the_token_changes_nothing_not_even_the_lock(
    app, engine, product_id, action
):
    """The token is checked before anything the request would change: the lock a write
    claims is renewed (and committed) only once the form is known to be this page's."""
    browser = signed_in(app)
    start_editing(browser, product_id)
    with engine.connect() as connection:
        before = connection.execute(select(ProductLock.expires)).scalar_one()
    response = browser.post(f"/catalog/products/{product_id}/{action}", data=EDIT)
    assert response.status_code == 403
    assert 'data-error-type="csrf.refused"' in html(response)
    with engine.connect() as connection:
        assert connection.execute(select(ProductLock.expires)).scalar_one() == before


def test_another_session_sees_who_holds_the_lock_and_cannot_edit(app, product_id):
    alice, bob = signed_in(app), signed_in(app, "bob")
    start_editing(alice, product_id)
    page = html(bob.get(f"/catalog/products/{product_id}/"))
    assert "Locked by <strong>alice</strong> until" in page and 'id="edit"' not in page
    token = csrf(bob)
    response = bob.post(f"/catalog/products/{product_id}/lock/", data={"csrf_token": token})
    assert response.status_code == 423
    assert "locked by another session until" in html(response)
    response = bob.post(f"/catalog/products/{product_id}/edit/", data={**EDIT, "csrf_token": token})
    assert response.status_code == 423
    assert bob.get(f"/catalog/products/{product_id}/edit/").status_code == 303


def test_read_only_users_see_no_edit_controls_and_forged_posts_are_refused(app, client, product_id):
    reader = signed_in(app, "reader")
    page = html(reader.get(f"/catalog/products/{product_id}/"))
    assert "(read only)" in page and 'id="edit"' not in page
    token = csrf(reader)
    for path in ("lock/", "edit/", "photos/"):
        response = reader.post(f"/catalog/products/{product_id}/{path}", data={"csrf_token": token})
        assert response.status_code == 403
        assert 'data-error-type="auth.forbidden"' in html(response)
    assert xml(client.get(f"/api/products/{product_id}/")).findtext("description") == "Mug"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sell_price", "1e99"),
        ("sell_price", "twelve"),
        ("sell_price", "NaN"),
        ("sell_price", "9" * 100),
        ("description", "x" * 5000),
        ("description", "bell\x07"),
        ("reserved", "-Infinity"),
    ],
)
def test_bad_form_values_are_a_page_naming_the_field_and_change_nothing(
    app, client, product_id, field, value
):
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    data = {**EDIT, field: value, "csrf_token": token}
    response = browser.post(f"/catalog/products/{product_id}/edit/", data=data)
    assert response.status_code == 422
    page = html(response)
    assert f"<strong>{field}</strong>" in page
    stored = xml(client.get(f"/api/products/{product_id}/"))
    assert (stored.findtext("description"), stored.findtext("sell_price")) == ("Mug", "9.50")


def test_a_serialized_products_available_stock_is_not_read_from_the_form(app, client):
    product_id = create_product(client, code="SER", flags={"serialized": "true"})
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    assert "disabled" in html(browser.get(f"/catalog/products/{product_id}/edit/"))
    data = {"available": "7", "reserved": "1", "csrf_token": token}
    assert browser.post(f"/catalog/products/{product_id}/edit/", data=data).status_code == 303
    inventory = xml(client.get(f"/api/products/{product_id}/inventory/"))
    assert inventory.findtext("available").startswith("0")
    assert inventory.findtext("reserved").startswith("1")


def test_photos_are_uploaded_as_raw_bytes_reordered_and_deleted(app, client, product_id):
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    upload = f"/catalog/products/{product_id}/photos/"
    headers = {"X-CSRF-Token": token, "Content-Type": "image/jpeg"}
    first = browser.post(
        upload, data=jpeg((800, 600)), headers={**headers, "Content-Location": "caf%C3%A9.jpg"}
    )
    assert first.status_code == 201
    second = browser.post(upload, data=jpeg((300, 300)), headers=headers)
    photos = xml(client.get(f"/api/products/{product_id}/product_photos/"))
    ids = [int(photo.get("id")) for photo in photos]
    assert len(ids) == 2 and photos[0].findtext("source_name") == "café.jpg"
    assert second.headers["Location"].endswith(f"/photos/{ids[1]}/image/")
    response = browser.post(
        f"/catalog/products/{product_id}/photos/{ids[0]}/order/",
        data={"sort_order": "9", "csrf_token": token},
    )
    assert response.status_code == 303
    photos = xml(client.get(f"/api/products/{product_id}/product_photos/"))
    assert [int(photo.get("id")) for photo in photos] == [ids[1], ids[0]]
    response = browser.post(
        f"/catalog/products/{product_id}/photos/{ids[1]}/delete/", data={"csrf_token": token}
    )
    assert response.status_code == 303
    photos = xml(client.get(f"/api/products/{product_id}/product_photos/"))
    assert [int(photo.get("id")) for photo in photos] == [ids[0]]


@pytest.mark.parametrize(
    ("body", "headers", "status", "error_type"),
    [
        (b"not an image", {}, 415, "media.unsupported"),
        (jpeg(), {"Content-Location": "a%07b.jpg"}, 422, "field.invalid"),
        (jpeg(), {"Content-Location": "x" * 300}, 422, "field.invalid"),
    ],
)
def test_hostile_uploads_are_pages_and_store_nothing(
    app, client, product_id, body, headers, status, error_type
):
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    response = browser.post(
        f"/catalog/products/{product_id}/photos/",
        data=body,
        headers={"X-CSRF-Token": token, **headers},
    )
    assert response.status_code == status
    assert f'data-error-type="{error_type}"' in html(response)
    assert len(xml(client.get(f"/api/products/{product_id}/product_photos/"))) == 0


@pytest.mark.parametrize("sort_order", ["", "-1", "x", "99999999999", "\u0661"])
def test_a_bad_sort_order_is_refused(app, client, product_id, sort_order):
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    browser.post(
        f"/catalog/products/{product_id}/photos/", data=jpeg(), headers={"X-CSRF-Token": token}
    )
    photo_id = int(xml(client.get(f"/api/products/{product_id}/product_photos/"))[0].get("id"))
    response = browser.post(
        f"/catalog/products/{product_id}/photos/{photo_id}/order/",
        data={"sort_order": sort_order, "csrf_token": token},
    )
    assert response.status_code == 422
    assert "<strong>sort_order</strong>" in html(response)


def test_images_and_revalidations_spend_the_light_budget(app, client, product_id):
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    browser.post(
        f"/catalog/products/{product_id}/photos/", data=jpeg(), headers={"X-CSRF-Token": token}
    )
    photo_id = int(xml(client.get(f"/api/products/{product_id}/product_photos/"))[0].get("id"))
    page = browser.get("/catalog/")
    remaining = int(page.headers["X-RateLimit-Remaining"])
    image = f"/catalog/products/{product_id}/photos/{photo_id}/image/?size=256"
    for _ in range(3):
        first = browser.get(image)
    assert int(first.headers["X-RateLimit-Limit"]) == 20 * int(page.headers["X-RateLimit-Limit"])
    again = browser.get(image, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert int(browser.get("/catalog/").headers["X-RateLimit-Remaining"]) == remaining - 1


@pytest.mark.parametrize("size", ["1024", "", "../x"])
def test_an_unknown_image_size_is_a_404_page(app, product_id, size):
    response = signed_in(app).get(f"/catalog/products/{product_id}/photos/1/image/?size={size}")
    assert response.status_code == 404
    assert 'data-error-type="not_found"' in html(response)


def test_the_stylesheet_and_script_are_served_and_nothing_else(anonymous):
    assert anonymous.get("/catalog/static/pages.css").status_code == 200
    script = anonymous.get("/catalog/static/pages.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    for name in ("../base.html", "base.html", "nothing.js"):
        assert anonymous.get(f"/catalog/static/{name}").status_code == 404


def test_a_revalidation_that_misses_costs_a_whole_request(app, client, product_id):
    first = client.get(f"/api/products/{product_id}/")
    remaining = int(first.headers["X-RateLimit-Remaining"])
    same = client.get(
        f"/api/products/{product_id}/", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert same.status_code == 304
    missed = client.get(f"/api/products/{product_id}/", headers={"If-None-Match": '"stale"'})
    assert missed.status_code == 200
    assert int(client.get(f"/api/products/{product_id}/").headers["X-RateLimit-Remaining"]) == (
        remaining - 2  # the missed one and this one; the 304 came out of the light budget
    )


def test_ticking_serialized_while_setting_available_stores_nothing(app, client, product_id):
    browser = signed_in(app)
    token = start_editing(browser, product_id)
    data = {**EDIT, "serialized": "1", "available": "5", "csrf_token": token}
    response = browser.post(f"/catalog/products/{product_id}/edit/", data=data)
    assert response.status_code == 422
    assert "<strong>available</strong>" in html(response)
    stored = xml(client.get(f"/api/products/{product_id}/"))
    assert (stored.findtext("description"), stored.findtext("flags/serialized")) == (
        "Mug",
        "false",
    )
