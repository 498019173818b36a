"""Catalog rules without HTTP: a session on the test database, emptied after each test."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from tests.conftest import empty_tables
from xmlapi.db import make_engine
from xmlapi.models import Currency, Product, Supplier


@pytest.fixture
def catalog_engine(database_url, engine):
    """The service's own engine (SQLite gets its functions), the tables emptied after."""
    service_engine = make_engine(database_url)
    yield service_engine
    service_engine.dispose()
    empty_tables(engine)


@pytest.fixture
def session(catalog_engine):
    with Session(catalog_engine, expire_on_commit=False) as session:
        yield session


def add_product(session: Session, **values) -> Product:
    """A stored product with ``values``; committed."""
    product = Product(**values)
    session.add(product)
    session.commit()
    return product


def add_supplier(session: Session, name: str, rate: str | None = None) -> Supplier:
    """A stored supplier, paying in a currency worth ``rate`` base units when given."""
    currency = None
    if rate is not None:
        currency = Currency(code=name[:3].upper(), name=name, exchange_rate=Decimal(rate))
    supplier = Supplier(name=name, currency=currency)
    session.add(supplier)
    session.commit()
    return supplier
