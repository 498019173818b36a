"""Reference resources: classes, currencies, suppliers, ... (list, detail, create, update)."""

from __future__ import annotations

import re

import pytest

from tests.helpers import create, document, error_fields, error_type, xml
from xmlapi.catalog.reference import KINDS

SAMPLES = {
    "classes": {"name": "Apparel"},
    "currencies": {"code": "CAD", "name": "Canadian dollar", "exchange_rate": "0.73"},
    "suppliers": {"name": "Northwind", "code": "NW"},
    "tax_exemptions": {"name": "Resale", "code": "R"},
    "pos_categories": {"name": "Shirts"},
    "web_categories": {"name": "Summer"},
    "warehouses": {"name": "Main", "code": "MAIN"},
    "product_colors": {"name": "Red", "code": "RED"},
    "product_sizes": {"name": "Large", "code": "L"},
}
# Where each kind lives under /api/ (the contract's setup/ resources and ours).
PATHS = {
    "classes": "setup/classes",
    "currencies": "setup/currencies",
    "suppliers": "suppliers",
    "tax_exemptions": "setup/tax_exemptions",
    "pos_categories": "setup/pos_categories",
    "web_categories": "setup/web_categories",
    "warehouses": "warehouses",
    "product_colors": "setup/product_colors",
    "product_sizes": "setup/product_sizes",
}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.plural)
def test_create_read_list_update(client, kind):
    base = f"/api/{PATHS[kind.plural]}/"
    response = client.post(base, data=document(kind.name, SAMPLES[kind.plural]))
    assert response.status_code == 201
    ident = xml(response).get("id")
    assert response.headers["Location"] == f"{base}{ident}/"
    detail = xml(client.get(f"{base}{ident}/"))
    assert detail.get("uri") == f"/{PATHS[kind.plural]}/{ident}/"
    for name, value in SAMPLES[kind.plural].items():
        assert detail.findtext(name).rstrip("0") == value.rstrip("0")
    listing = xml(client.get(base))
    assert (listing.tag, listing.get("total_count")) == (kind.plural, "1")
    assert listing[0].tag == kind.name
    response = client.put(f"{base}{ident}/", data=document(kind.name, {"name": "Renamed"}))
    assert response.status_code == 200
    assert xml(client.get(f"{base}{ident}/")).findtext("name") == "Renamed"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.plural)
def test_name_is_required_and_cannot_be_emptied(client, kind):
    base = f"/api/{PATHS[kind.plural]}/"
    response = client.post(base, data=document(kind.name, {}))
    assert response.status_code == 422
    assert "name" in error_fields(response)
    ident = create(client, base, kind.name, SAMPLES[kind.plural])
    response = client.put(f"{base}{ident}/", data=document(kind.name, {"name": ""}))
    assert response.status_code == 422


def test_missing_reference_rows_are_404(client):
    assert error_type(client.get("/api/setup/classes/99/")) == "not_found"
    assert client.put("/api/suppliers/99/", data=b"<supplier/>").status_code == 404


def test_supplier_currency_must_exist(client):
    response = client.post(
        "/api/suppliers/", data=document("supplier", {"name": "S", "currency": {"@id": 9}})
    )
    assert response.status_code == 422
    assert "currency" in error_fields(response)
    currency = create(client, "/api/setup/currencies/", "currency", {"code": "EUR", "name": "Euro"})
    supplier = create(
        client, "/api/suppliers/", "supplier", {"name": "S", "currency": {"@id": currency}}
    )
    detail = xml(client.get(f"/api/suppliers/{supplier}/"))
    assert detail.find("currency").get("uri") == f"/setup/currencies/{currency}/"
    assert (
        xml(client.get(f"/api/setup/currencies/{currency}/")).findtext("exchange_rate")
        == "1.000000"
    )


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        (b"<currency><code>EURO</code><name>x</name></currency>", 400, "xml.invalid"),
        (
            b"<currency><code>EUR</code><name>x</name><exchange_rate>-1</exchange_rate></currency>",
            422,
            "field.invalid",
        ),
        (
            b"<currency><code>EUR</code><name>x</name><exchange_rate>0</exchange_rate></currency>",
            422,
            "field.invalid",
        ),
    ],
)
def test_bad_currencies_are_refused(client, body, status, kind):
    response = client.post("/api/setup/currencies/", data=body)
    assert (response.status_code, error_type(response)) == (status, kind)
    assert xml(client.get("/api/setup/currencies/")).get("total_count") == "0"


def test_currency_codes_are_unique(client):
    create(client, "/api/setup/currencies/", "currency", {"code": "EUR", "name": "Euro"})
    response = client.post(
        "/api/setup/currencies/", data=document("currency", {"code": "EUR", "name": "Euro 2"})
    )
    assert response.status_code == 409
    assert error_type(response) == "conflict"


def test_a_document_of_another_kind_is_refused(client):
    response = client.post("/api/warehouses/", data=b"<class><name>x</name></class>")
    assert response.status_code == 400
    assert error_type(response) == "xml.invalid"


def test_people_read_proper_names_of_each_kind(client):
    root = xml(client.get("/api/"))
    descriptions = {m.text for r in root for m in r}
    assert {"Create a class", "List the currencies", "One point-of-sale category"} <= descriptions
    assert not any(re.search(r"\b(classe|currencie|categorie)\b", d) for d in descriptions)
    missing = client.get("/api/setup/currencies/99/")
    assert xml(missing).findtext("localizable_message/message") == "No currency with id 99."
