"""Reference data: the kinds, creating and changing their rows (catalog/reference.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.catalog.conftest import add_supplier
from xmlapi.catalog import reference
from xmlapi.catalog.errors import (
    Conflict,
    InvalidValue,
    NotFound,
    RuleBroken,
    UnknownReference,
)
from xmlapi.models import Currency, ProductClass, ReferenceGeneration, Supplier

CURRENCIES = reference.kind("currencies")
SUPPLIERS = reference.kind("suppliers")
CLASSES = reference.kind("classes")


def generation(session) -> int:
    return session.scalar(select(ReferenceGeneration.value))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def euro(session, rate: str = "1.08") -> Currency:
    values = {"code": "EUR", "name": "Euro", "exchange_rate": Decimal(rate)}
    return reference.create(session, CURRENCIES, values)


def fresh(session, model, ident):
    session.expire_all()
    return session.get(model, ident)


def test_kinds_are_found_by_their_plural():
    assert reference.kind("product_colors").label == "product colour"
    assert reference.kind("pos_categories").model is not reference.kind("web_categories").model
    with pytest.raises(KeyError):
        reference.kind("colours")


def test_create_stores_the_row_and_counts_a_reference_generation(session):
    before = generation(session)
    row = reference.create(session, CLASSES, {"name": "Apparel"})
    session.rollback()  # nothing left to roll back: create committed
    assert fresh(session, ProductClass, row.id).name == "Apparel"
    assert generation(session) == before + 1


def test_a_new_row_needs_its_required_fields(session):
    with pytest.raises(RuleBroken) as caught:
        reference.create(session, CURRENCIES, {"exchange_rate": Decimal(1)})
    assert set(caught.value.fields) == {"code", "name"}
    assert count(session, Currency) == 0


def test_a_required_field_cannot_be_emptied_and_nothing_changes(session):
    row = reference.create(session, CLASSES, {"name": "Apparel"})
    before = generation(session)
    with pytest.raises(RuleBroken) as caught:
        reference.update(session, CLASSES, row.id, {"name": None})
    assert caught.value.fields == {"name": "May not be empty."}
    assert fresh(session, ProductClass, row.id).name == "Apparel"
    assert generation(session) == before


def test_update_changes_only_the_fields_given(session):
    currency = euro(session)
    before = generation(session)
    reference.update(session, CURRENCIES, currency.id, {"name": "Euro (EU)"})
    row = fresh(session, Currency, currency.id)
    assert (row.code, row.name, row.exchange_rate) == ("EUR", "Euro (EU)", Decimal("1.08"))
    assert generation(session) == before + 1


def test_get_and_update_of_an_unknown_row_are_not_found(session):
    with pytest.raises(NotFound, match="No currency with id 999"):
        reference.get(session, CURRENCIES, 999)
    with pytest.raises(NotFound):
        reference.update(session, CURRENCIES, 999, {"name": "x"})


def test_listing_is_the_count_and_the_rows_by_id(session):
    first = reference.create(session, CLASSES, {"name": "B"})
    second = reference.create(session, CLASSES, {"name": "A"})
    total, rows = reference.listing(session, CLASSES)
    assert (total, [r.id for r in rows]) == (2, [first.id, second.id])


@pytest.mark.parametrize("rate", ["0", "-1", "-0.000001"])
def test_an_exchange_rate_must_be_above_zero(session, rate):
    with pytest.raises(InvalidValue) as caught:
        euro(session, rate)
    assert list(caught.value.fields) == ["exchange_rate"]
    assert count(session, Currency) == 0


def test_an_exchange_rate_cannot_be_changed_to_zero(session):
    currency = euro(session)
    with pytest.raises(InvalidValue):
        reference.update(session, CURRENCIES, currency.id, {"exchange_rate": Decimal(0)})
    assert fresh(session, Currency, currency.id).exchange_rate == Decimal("1.08")


def test_an_exchange_rate_that_rounds_up_to_the_column_is_taken(session):
    currency = euro(session, "0.0000005")
    assert fresh(session, Currency, currency.id).exchange_rate == Decimal("0.000001")


def test_an_exchange_rate_that_rounds_to_zero_is_refused(session):
    with pytest.raises(InvalidValue):
        euro(session, "0.0000004")
    assert count(session, Currency) == 0


def test_a_supplier_may_name_only_a_known_currency(session):
    with pytest.raises(UnknownReference) as caught:
        reference.create(session, SUPPLIERS, {"name": "Acme", "currency": 999})
    assert caught.value.field == "currency_id"
    assert count(session, Supplier) == 0


def test_a_supplier_stores_its_currency_by_id_and_may_drop_it(session):
    currency = euro(session)
    supplier = reference.create(session, SUPPLIERS, {"name": "Acme", "currency": currency.id})
    assert fresh(session, Supplier, supplier.id).currency_id == currency.id
    reference.update(session, SUPPLIERS, supplier.id, {"currency": None})
    assert fresh(session, Supplier, supplier.id).currency_id is None


def test_a_duplicate_currency_code_is_a_conflict_and_rolled_back(session):
    euro(session)
    before = generation(session)
    with pytest.raises(Conflict):
        reference.create(session, CURRENCIES, {"code": "EUR", "name": "Other"})
    assert count(session, Currency) == 1
    assert generation(session) == before


def test_check_exists_names_the_field_of_an_unknown_row(session):
    acme = add_supplier(session, "acme")
    reference.check_exists(session, SUPPLIERS, acme.id, "supplier_id")
    with pytest.raises(UnknownReference) as caught:
        reference.check_exists(session, SUPPLIERS, acme.id + 1, "supplier_id")
    assert caught.value.fields == {"supplier_id": f"No supplier with id {acme.id + 1}."}


def test_ref_fields_are_written_to_their_id_attribute():
    [currency] = [f for f in SUPPLIERS.fields if f.type == "ref"]
    assert (currency.name, currency.attribute, currency.target) == (
        "currency",
        "currency_id",
        "currencies",
    )
