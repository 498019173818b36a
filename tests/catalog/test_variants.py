"""A master's variants: its children with their colour and size (catalog/variants.py)."""

from __future__ import annotations

from sqlalchemy import event

from tests.catalog.conftest import add_product
from xmlapi.catalog import variants
from xmlapi.models import ProductColor, ProductSize


def test_children_are_listed_by_id_with_their_colour_and_size_names(session):
    black, red = ProductColor(name="Black", code="BLK"), ProductColor(name="Red")
    large = ProductSize(name="Large", code="L")
    session.add_all([black, red, large])
    session.commit()
    master = add_product(session, code="TS")
    second = add_product(
        session, code="TS-R", description="Red", master_id=master.id, product_color_id=red.id
    )
    first = add_product(
        session,
        code="TS-B",
        description="Black",
        master_id=master.id,
        product_color_id=black.id,
        product_size_id=large.id,
    )
    assert [tuple(row) for row in variants.children(session, master.id)] == [
        (second.id, "TS-R", "Red", "Red", None),
        (first.id, "TS-B", "Black", "Black", "Large"),
    ]


def test_a_child_without_colour_or_size_has_none_for_them(session):
    master = add_product(session, code="M")
    child = add_product(session, code="C", master_id=master.id)
    [row] = variants.children(session, master.id)
    assert (row.id, row.color, row.size) == (child.id, None, None)


def test_only_the_products_own_children_are_listed(session):
    master, other = add_product(session, code="M"), add_product(session, code="O")
    add_product(session, code="OC", master_id=other.id)
    mine = add_product(session, code="MC", master_id=master.id)
    assert [row.id for row in variants.children(session, master.id)] == [mine.id]


def test_a_product_without_children_or_unknown_has_none(session):
    product = add_product(session, code="P")
    assert variants.children(session, product.id) == []
    assert variants.children(session, 999) == []


def test_children_cost_one_statement_however_many(session):
    master = add_product(session, code="M")
    for n in range(5):
        add_product(session, code=f"C{n}", master_id=master.id)
    statements = []

    def count(*_args):
        statements.append(1)

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        rows = variants.children(session, master.id)
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert (len(rows), len(statements)) == (5, 1)
