"""The back office at /catalog/: sign-in with the API's sessions, CSRF on every form,
the list, a product's page, editing under the lock; every error is a page."""

from __future__ import annotations

import re

import pytest

from tests.conftest import USERS, client_of
from tests.helpers import create_locked_product, create_product, currencies_and_suppliers, xml
from tests.images import jpeg
from tests.test_organizations import other_org as other_org  # a fixture
from xmlapi.http.html import CONTENT_SECURITY_POLICY

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


def token_of(response) -> str:
    return TOKEN.search(response.get_data(as_text=True)).group(1)


def signed_in(app, user: str = "alice"):
    """A browser-like client signed in through the form."""
    browser = client_of(app, None)
    form = browser.get("/catalog/sign-in/")
    response = browser.post(
        "/catalog/sign-in/",
        data={
            "name": user,
            "password": USERS[user],
            "csrf_token": token_of(form),
            "then": "/catalog/",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return browser


def csrf(browser) -> str:
    return token_of(browser.get("/catalog/"))


def html(response) -> str:
    assert response.content_type == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    return response.get_data(as_text=True)


# Signing in and out ------------------------------------------------------------------


def test_anonymous_gets_the_sign_in_page_without_a_password_dialog(anonymous):
    response = anonymous.get("/catalog/products/1/")
    assert response.status_code == 401
    assert "WWW-Authenticate" not in response.headers
    page = html(response)
    assert 'action="/catalog/sign-in/"' in page and "Sign in to continue." in page
    assert 'name="then" value="/catalog/products/1/"' in page


def test_sign_in_opens_an_api_session_and_sign_out_ends_it(app):
    browser = signed_in(app)
    cookie = browser.get_cookie("LS_SERVER_SESSION_ID")
    assert cookie is not None and cookie.path == "/"
    assert xml(browser.get("/api/products/")).tag == "products"  # the same session
    page = html(browser.get("/catalog/"))
    assert "alice" in page and "Sign out" in page
    response = browser.post("/catalog/sign-out/", data={"csrf_token": token_of_page(page)})
    assert (response.status_code, response.headers["Location"]) == (303, "/catalog/sign-in/")
    assert browser.get("/catalog/").status_code == 401
    assert browser.get("/api/products/").status_code == 401


def token_of_page(page: str) -> str:
    return TOKEN.search(page).group(1)


def test_a_wrong_password_is_the_form_again(anonymous):
    form = anonymous.get("/catalog/sign-in/")
    response = anonymous.post(
        "/catalog/sign-in/",
        data={"name": "alice", "password": "nope", "csrf_token": token_of(form)},
    )
    assert response.status_code == 401
    assert "Wrong user name or password." in html(response)
    assert anonymous.get_cookie("LS_SERVER_SESSION_ID") is None


@pytest.mark.parametrize("then", ["https://evil.example/", "//evil.example/", "/elsewhere/"])
def test_sign_in_never_sends_the_browser_elsewhere(anonymous, then):
    form = anonymous.get("/catalog/sign-in/")
    response = anonymous.post(
        "/catalog/sign-in/",
        data={
            "name": "alice",
            "password": USERS["alice"],
            "csrf_token": token_of(form),
            "then": then,
        },
    )
    assert response.headers["Location"] == "/catalog/"


@pytest.mark.parametrize("token", [None, "", "0" * 64, "x" * 5000])
def test_sign_in_without_its_csrf_token_is_refused(anonymous, token):
    anonymous.get("/catalog/sign-in/")
    data = {"name": "alice", "password": USERS["alice"]}
    if token is not None:
        data["csrf_token"] = token
    response = anonymous.post("/catalog/sign-in/", data=data)
    assert response.status_code == 403
    assert 'data-error-type="csrf.refused"' in html(response)
    assert anonymous.get_cookie("LS_SERVER_SESSION_ID") is None


@pytest.mark.parametrize("token", [None, "", "f" * 64])
def test_a_post_without_the_sessions_csrf_token_changes_nothing(app, client, token):
    product_id = create_product(client, code="CSRF-1")
    browser = signed_in(app)
    data = {} if token is None else {"csrf_token": token}
    response = browser.post(f"/catalog/products/{product_id}/lock/", data=data)
    assert response.status_code == 403
    assert 'data-error-type="csrf.refused"' in html(response)
    assert "Locked by" not in html(browser.get(f"/catalog/products/{product_id}/"))


def test_another_sessions_token_does_not_work(app, client):
    product_id = create_product(client, code="CSRF-2")
    alice, other = signed_in(app), signed_in(app)
    response = alice.post(f"/catalog/products/{product_id}/lock/", data={"csrf_token": csrf(other)})
    assert response.status_code == 403


# The list --------------------------------------------------------------------------


@pytest.fixture
def catalog(client):
    """Three products: two mugs (one with an accent), a shirt with a photo."""
    ids = {
        "mug": create_product(client, code="MUG-01", description="Blue mug", sell_price="9.50"),
        "creme": create_product(client, code="CRM-02", description="Crème MUG", sell_price="4.00"),
        "shirt": create_locked_product(client, code="SHIRT", description="Oxford shirt"),
    }
    response = client.post(
        f"/api/products/{ids['shirt']}/add_product_photo/",
        data=jpeg((600, 400)),
        headers={"Content-Type": "image/jpeg"},
    )
    assert response.status_code == 201
    ids["photo"] = int(xml(response).get("id"))
    return ids


def rows(page: str) -> list[int]:
    return [int(ident) for ident in re.findall(r'<tr data-product-id="(\d+)">', page)]


def test_the_list_searches_code_and_description_ignoring_case_and_accents(app, catalog):
    browser = signed_in(app)
    assert rows(html(browser.get("/catalog/"))) == [
        catalog["creme"],
        catalog["mug"],
        catalog["shirt"],
    ]
    assert rows(html(browser.get("/catalog/?search=MUG"))) == [catalog["creme"], catalog["mug"]]
    assert rows(html(browser.get("/catalog/?search=creme"))) == [catalog["creme"]]
    assert rows(html(browser.get("/catalog/?search=crm-0"))) == [catalog["creme"]]


def test_the_list_filters_sorts_and_shows_price_stock_and_thumbnail(app, catalog):
    browser = signed_in(app)
    page = html(browser.get("/catalog/?filter=sell_price+%3E+5&sort=code"))
    assert rows(page) == [catalog["mug"]]
    page = html(browser.get("/catalog/?sort=sell_price&direction=desc"))
    assert rows(page)[:2] == [catalog["mug"], catalog["creme"]]
    assert "9.50" in page and "4.00" in page
    thumb = f"/catalog/products/{catalog['shirt']}/photos/{catalog['photo']}/image/?size=256"
    assert f'src="{thumb}"' in page
    image = browser.get(thumb)
    assert (image.status_code, image.mimetype) == (200, "image/jpeg")
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(image.get_data())).size == (256, 171)


def test_the_list_pages_by_fifty(app, client):
    for n in range(51):
        create_product(client, code=f"P{n:03}")
    browser = signed_in(app)
    first = html(browser.get("/catalog/"))
    assert len(rows(first)) == 50 and "page 1 of 2" in first
    second = html(browser.get("/catalog/?page=2"))
    assert len(rows(second)) == 1 and 'rel="prev"' in second


# Subtests on one catalog: it is made once instead of once a case, every case still reported.
HOSTILE_LIST_QUERIES = [
    "filter=description+contains",
    "filter=nosuchfield+%3D%3D+1",
    "filter=" + "(" * 40 + "id=1" + ")" * 40,
    "filter=" + "x" * 5000,
    "search=" + "x" * 300,
    "search=%00",
    "sort=password",
    "direction=sideways",
    "page=0",
    "page=99999999999999999999",
    "page=-1",
    "filter=sell_price+%3E+1e999999",
]


def test_hostile_list_input_is_the_page_with_the_error(app, catalog, subtests):
    for query in HOSTILE_LIST_QUERIES:
        with subtests.test(query):
            response = signed_in(app).get(f"/catalog/?{query}")
            assert response.status_code == 400
            page = html(response)
            assert 'id="list-error"' in page and rows(page) == []


# A product's page ------------------------------------------------------------------------


def test_the_product_page_shows_everything_under_it(app, client, catalog):
    ids = currencies_and_suppliers(client)
    shirt = catalog["shirt"]
    response = client.post(
        f"/api/products/{shirt}/costs/",
        data=f'<cost><raw>4.20</raw><supplier id="{ids["northwind"]}"/>'
        "<supplier_product_code>NW-1</supplier_product_code><default>true</default></cost>",
    )
    assert response.status_code == 201
    page = html(signed_in(app).get(f"/catalog/products/{shirt}/"))
    assert "Oxford shirt" in page and "★ default" in page and "4.20" in page
    assert f"/photos/{catalog['photo']}/image/?size=256" in page
    assert f"/photos/{catalog['photo']}/image/?size=512" in page
    assert re.search(r"Locked by <strong>alice</strong> until <time", page)  # the API's session
    assert 'id="edit"' not in page


def test_the_variants_show_colour_and_size(app, client):
    color = xml(
        client.post(
            "/api/setup/product_colors/",
            data="<product_color><name>Navy</name><code>NVY</code></product_color>",
        )
    )
    size = xml(
        client.post(
            "/api/setup/product_sizes/",
            data="<product_size><name>Medium</name><code>M</code></product_size>",
        )
    )
    master = create_product(client, code="OXF", description="Oxford")
    child = create_product(
        client,
        master_product={"product": {"@id": master}},
        product_color={"@id": color.get("id")},
        product_size={"@id": size.get("id")},
    )
    page = html(signed_in(app).get(f"/catalog/products/{master}/"))
    variants = page[page.index('id="variants"') :]
    assert f'href="/catalog/products/{child}/"' in variants
    assert "Navy" in variants and "Medium" in variants


@pytest.mark.parametrize(
    "path", ["/catalog/products/999999/", "/catalog/products/99999999999/", "/catalog/nothing/"]
)
def test_an_unknown_product_is_a_404_page(app, path):
    response = signed_in(app).get(path)
    assert response.status_code == 404
    assert 'data-error-type="not_found"' in html(response)


def test_another_organizations_product_is_a_404_page(app, client, other_org):
    product_id = create_product(client, code="MINE")
    response = signed_in(app, "carol").get(f"/catalog/products/{product_id}/")
    assert response.status_code == 404
    assert 'data-error-type="not_found"' in html(response)


def test_too_many_failed_sign_ins_are_a_429_page(app, anonymous):
    form = anonymous.get("/catalog/sign-in/")
    data = {"name": "alice", "password": "wrong", "csrf_token": token_of(form)}
    statuses = [anonymous.post("/catalog/sign-in/", data=data).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    response = anonymous.post("/catalog/sign-in/", data={**data, "password": USERS["alice"]})
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert 'data-error-type="rate.limited"' in html(response)


def test_an_oversized_form_is_a_413_page(app):
    browser = signed_in(app)
    token = csrf(browser)
    body = {"csrf_token": token, "description": "x" * (2 * 1024 * 1024)}
    response = browser.post("/catalog/sign-out/", data=body)
    assert response.status_code == 413
    assert "text/html" in response.content_type


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), ("40.0000000", "40"), ("0E-7", "0"), ("-0.000", "0"), ("2.5000", "2.5")],
)
def test_quantities_are_shown_as_people_write_them(value, shown):
    from decimal import Decimal

    from xmlapi.faces.pages import quantity

    assert quantity(None if value is None else Decimal(value)) == shown
