"""Who may use the organization face: two organizations, two users, their tokens.
Neither sees nor changes the other's products nor uses the other's tokens (404 like a
missing product); tokens by header and by query parameter; read-only tokens read."""

from __future__ import annotations

import pytest

from tests import jsonschemas
from tests.conftest import USERS, client_of
from tests.helpers import create_product
from tests.test_organizations import _fast_hash
from xmlapi import models
from xmlapi.catalog import organizations
from xmlapi.db import session_scope

CAROL = "carol"


@pytest.fixture
def other_org(app, engine) -> int:
    """Organization 2 with its only member carol (alice is in organization 1 only)."""
    USERS[CAROL] = "carol password"
    with session_scope(engine) as session:
        organization = organizations.create_organization(session, "Other Ltd")
        carol = models.User(name=CAROL, password_hash=_fast_hash("carol password"))
        session.add(carol)
        organizations.set_memberships(session, carol, [organization.id])
        ident = organization.id
    yield ident
    del USERS[CAROL]


def token_of(engine, user: str, organization_id: int | None = None, **options) -> str:
    with session_scope(engine) as session:
        token, _row = organizations.create_token(session, user, organization_id, **options)
    return token


def products_url(org: int) -> str:
    return f"/api/v2/orgs/{org}/products/"


def test_neither_organization_sees_nor_changes_the_others_products(app, engine, other_org):
    alice, carol = client_of(app), client_of(app, CAROL)
    alice_token, carol_token = token_of(engine, "alice"), token_of(engine, CAROL)
    mine = alice.post(products_url(1), json={"code": "A", "kind": "goods"}).get_json()
    theirs = carol.post(products_url(other_org), json={"code": "A", "kind": "goods"})
    theirs = jsonschemas.answer(theirs, "product.json", 201)
    assert theirs["url"].startswith(products_url(other_org))
    anonymous = client_of(app, None)
    for client, auth, own, other, other_org_id in (
        (alice, {}, mine, theirs, other_org),
        (carol, {}, theirs, mine, 1),
        (anonymous, {"bearer_token": alice_token}, mine, theirs, other_org),
        (anonymous, {"bearer_token": carol_token}, theirs, mine, 1),
    ):
        assert client.get(own["url"], query_string=auth).status_code == 200
        other_id = other["url"].rstrip("/").rsplit("/", 1)[1]
        own_org = own["url"].split("/")[4]
        for url in (
            other["url"],  # the other's organization in the URL
            f"{products_url(int(own_org))}{other_id}/",  # the other's product in one's own
            products_url(other_org_id),
        ):
            for method, body in (("GET", None), ("PATCH", {"code": "X"}), ("DELETE", None)):
                if url.endswith("/products/") and method != "GET":
                    method = "POST"
                    body = {"code": "X", "kind": "goods"}
                response = client.open(url, method=method, json=body, query_string=auth)
                assert (method, url, response.status_code) == (method, url, 404)
                jsonschemas.error(response, 404)
        listed = client.get(products_url(int(own_org)), query_string=auth).get_json()
        assert [p["url"] for p in listed["results"]] == [own["url"]]
    assert alice.get(mine["url"]).get_json() == mine
    assert carol.get(theirs["url"]).get_json() == theirs


def test_a_user_works_in_every_organization_it_is_a_member_of_a_token_in_its_own(
    app, engine, other_org
):
    with session_scope(engine) as session:
        alice = session.query(models.User).filter_by(name="alice").one()
        organizations.set_memberships(session, alice, [1, other_org])
    alice_client = client_of(app)
    created = alice_client.post(products_url(other_org), json={"code": "B", "kind": "tax"})
    product = jsonschemas.answer(created, "product.json", 201)
    assert alice_client.patch(product["url"], json={"code": "B2"}).status_code == 200
    token = token_of(engine, "alice", 1)
    anonymous = client_of(app, None)
    headers = {"Authorization": f"Bearer {token}"}
    assert anonymous.get(products_url(1), headers=headers).status_code == 200
    jsonschemas.error(anonymous.get(product["url"], headers=headers), 404)
    jsonschemas.error(anonymous.get(products_url(other_org), headers=headers), 404)
    # The XML face still works in alice's first organization only.
    assert alice_client.get(f"/api/products/{product['url'].split('/')[-2]}/").status_code == 404


def test_tokens_by_header_and_query_read_only_ones_only_read(app, engine):
    anonymous = client_of(app, None)
    token = token_of(engine, "alice")
    reader = token_of(engine, "alice", read_only=True)
    by_header = {"headers": {"Authorization": f"Bearer {token}"}}
    by_query = {"query_string": {"bearer_token": token}}
    for way in (by_header, by_query):
        response = anonymous.post(products_url(1), json={"code": None, "kind": "goods"}, **way)
        product = jsonschemas.answer(response, "product.json", 201)
        assert anonymous.get(product["url"], **way).status_code == 200
    for way in (
        {"headers": {"Authorization": f"Bearer {reader}"}},
        {"query_string": {"bearer_token": reader}},
    ):
        assert anonymous.get(product["url"], **way).status_code == 200
        for method in ("PATCH", "DELETE"):
            refused = anonymous.open(product["url"], method=method, json={}, **way)
            assert jsonschemas.error(refused, 403)["type"] == "auth.forbidden"
        refused = anonymous.post(products_url(1), json={"kind": "goods"}, **way)
        jsonschemas.error(refused, 403)
    assert jsonschemas.error(anonymous.get(products_url(1)), 401)["type"] == "auth.required"
    wrong = anonymous.get(products_url(1), query_string={"bearer_token": "x" * 43})
    jsonschemas.error(wrong, 401)


def test_a_token_writes_and_the_xml_face_sees_it(app, engine, client):
    anonymous = client_of(app, None)
    token = token_of(engine, "alice")
    product_id = create_product(client, code="XML")
    url = f"{products_url(1)}{product_id}/"
    response = anonymous.patch(url, json={"code": "BY-TOKEN"}, query_string={"bearer_token": token})
    assert jsonschemas.answer(response, "product.json")["code"] == "BY-TOKEN"
    assert "BY-TOKEN" in client.get(f"/api/products/{product_id}/").get_data(as_text=True)


@pytest.mark.parametrize("org", ["0", "2147483648", "99999999999999999999", "-1", "x"])
def test_organization_ids_out_of_range_are_404(client, org):
    jsonschemas.error(client.get(f"/api/v2/orgs/{org}/products/"), 404)
    jsonschemas.error(client.get(f"/api/v2/orgs/1/products/{org}/"), 404)
