"""Products: create, add, update, change and delete without HTTP (catalog/products.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from tests.catalog.conftest import add_product
from xmlapi.catalog import products
from xmlapi.catalog.errors import (
    Conflict,
    InvalidValue,
    ModifiedMeanwhile,
    NotFound,
    RuleBroken,
    UnknownReference,
)
from xmlapi.catalog.organizations import create_organization
from xmlapi.catalog.pricing import Pricing
from xmlapi.models import (
    PhotoScale,
    Product,
    ProductColor,
    ProductPhoto,
    ProductSize,
    ReferenceGeneration,
    RelatedProduct,
    SerialNumber,
)

RULES = Pricing()


class RecordingStore:
    """A photo store that only remembers which files it was told to delete."""

    def __init__(self):
        self.staged: list[str] = []
        self.deleted: list[str] = []

    def stage_deletes(self, session, names):
        self.staged.extend(names)

    def delete(self, names):
        self.deleted.extend(names)


def product_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Product))


def stored(session, product_id: int) -> Product:
    """The product as the database has it now."""
    session.expire_all()
    return session.get(Product, product_id)


@pytest.fixture
def variant(session) -> tuple[ProductColor, ProductSize]:
    color = ProductColor(name="Black", code="BLK")
    size = ProductSize(name="Large", code="L")
    session.add_all([color, size])
    session.commit()
    return color, size


@pytest.fixture
def master(session) -> Product:
    return add_product(
        session,
        code="TS",
        description="T-Shirt",
        sell=Decimal("10.00"),
        sell_tax_inclusive=Decimal("10.70"),
    )


# create / add ------------------------------------------------------------------------


def test_create_stores_the_change_set_and_commits(session):
    product = products.create(session, {"code": "P1", "description": "Pen"}, RULES)
    session.rollback()  # nothing left to roll back: create committed
    row = stored(session, product.id)
    assert (row.code, row.description, row.organization_id) == ("P1", "Pen", 1)


def test_sell_price_is_the_sell_when_prices_exclude_tax(session):
    product = products.create(session, {"code": "P1", "sell_price": Decimal("19.994")}, RULES)
    row = stored(session, product.id)
    assert (row.sell, row.sell_tax_inclusive) == (Decimal("19.99"), None)


def test_sell_price_is_the_inclusive_price_when_prices_include_tax(session):
    inclusive = Pricing(tax_inclusive=True, default_tax_rate=Decimal(7))
    product = products.create(session, {"code": "P1", "sell_price": Decimal("19.99")}, inclusive)
    row = stored(session, product.id)
    assert (row.sell, row.sell_tax_inclusive) == (Decimal("18.68"), Decimal("19.99"))


def test_keywords_fill_the_three_slots_in_order(session):
    product = products.create(session, {"code": "P1", "keywords": ["a", "b"]}, RULES)
    row = stored(session, product.id)
    assert (row.keyword1, row.keyword2, row.keyword3) == ("a", "b", None)


def test_a_fourth_keyword_is_refused_and_nothing_is_added(session):
    with pytest.raises(InvalidValue) as caught:
        products.add(session, {"code": "P1", "keywords": ["a", "b", "c", "d"]}, RULES)
    assert list(caught.value.fields) == ["keywords"]
    assert not session.new
    assert product_count(session) == 0


@pytest.mark.parametrize("name", ["code_suffix", "description_suffix"])
def test_an_unknown_suffix_is_refused(session, name):
    with pytest.raises(InvalidValue) as caught:
        products.create(session, {"code": "P1", name: "COLOUR_ONLY"}, RULES)
    assert list(caught.value.fields) == [name]
    assert product_count(session) == 0


def test_every_bad_value_is_named_at_once(session):
    changes = {"keywords": ["a"] * 4, "code_suffix": "X", "description_suffix": "Y"}
    with pytest.raises(InvalidValue) as caught:
        products.create(session, changes, RULES)
    assert set(caught.value.fields) == {"keywords", "code_suffix", "description_suffix"}


@pytest.mark.parametrize(
    "attribute",
    ["class_id", "currency_id", "supplier_id", "tax_exemption_id", "product_color_id"],
)
def test_an_unknown_reference_is_refused_naming_its_attribute(session, attribute):
    with pytest.raises(UnknownReference) as caught:
        products.add(session, {"code": "P1", attribute: 999}, RULES)
    assert (caught.value.field, caught.value.ident) == (attribute, 999)
    assert not session.new


def test_an_unknown_related_product_is_refused(session):
    with pytest.raises(UnknownReference) as caught:
        products.create(session, {"code": "P1", "related": [{"related_id": 999}]}, RULES)
    assert caught.value.field == "related_id"
    assert product_count(session) == 0


def test_another_organizations_product_is_unknown_as_related_or_master(session):
    other = create_organization(session, "Other")
    session.commit()
    theirs = add_product(session, code="T", organization_id=other.id)
    with pytest.raises(UnknownReference):
        products.create(session, {"code": "P1", "related": [{"related_id": theirs.id}]}, RULES)
    with pytest.raises(UnknownReference) as caught:
        products.create(session, {"code": "P2", "master_id": theirs.id}, RULES)
    assert caught.value.field == "master_id"


def test_related_products_default_to_once_and_not_added_on_their_own(session):
    pen = add_product(session, code="PEN")
    ink = add_product(session, code="INK")
    changes = {
        "code": "KIT",
        "related": [{"related_id": pen.id}, {"related_id": ink.id, "quantity": Decimal(3)}],
    }
    kit = products.create(session, changes, RULES)
    rows = session.scalars(select(RelatedProduct).where(RelatedProduct.product_id == kit.id)).all()
    assert [(r.related_id, r.position, r.quantity, r.auto_add) for r in rows] == [
        (pen.id, 0, Decimal(1), False),
        (ink.id, 1, Decimal(3), False),
    ]


def test_a_duplicate_code_is_a_conflict_naming_the_code(session):
    add_product(session, code="P1")
    with pytest.raises(Conflict) as caught:
        products.create(session, {"code": "P1"}, RULES)
    assert caught.value.fields == {"code": "Already in use."}
    assert product_count(session) == 1


def test_a_code_is_unique_only_within_its_organization(session):
    other = create_organization(session, "Other")
    session.commit()
    add_product(session, code="P1")
    product = products.create(session, {"code": "P1"}, RULES, other.id)
    assert stored(session, product.id).organization_id == other.id


# children of a master ------------------------------------------------------------------


def test_a_child_must_name_its_colour_and_size(session, master):
    with pytest.raises(RuleBroken) as caught:
        products.add(session, {"master_id": master.id}, RULES)
    assert set(caught.value.fields) == {"product_color_id", "product_size_id"}
    assert not session.new
    assert stored(session, master.id).master_model is False


def test_a_child_takes_code_description_and_sell_from_its_master(session, master, variant):
    color, size = variant
    changes = {"master_id": master.id, "product_color_id": color.id, "product_size_id": size.id}
    child = products.create(session, changes, RULES)
    row = stored(session, child.id)
    assert (row.code, row.description) == ("TS-BLK-L", "T-Shirt, Black, Large")
    assert (row.sell, row.sell_tax_inclusive) == (Decimal("10.00"), Decimal("10.70"))
    assert stored(session, master.id).master_model is True


def test_a_childs_code_and_description_follow_the_suffixes_asked(session, master, variant):
    color, size = variant
    changes = {
        "master_id": master.id,
        "product_color_id": color.id,
        "product_size_id": size.id,
        "code_suffix": "SIZE_COLOR",
        "description_suffix": "BCOLOR_SIZEB",
    }
    child = products.create(session, changes, RULES)
    row = stored(session, child.id)
    assert (row.code, row.description) == ("TS-L-BLK", "T-Shirt, (Black, Large)")


def test_a_childs_code_uses_the_colour_name_when_it_has_no_code(session, master):
    color, size = ProductColor(name="Red"), ProductSize(name="Small", code=None)
    session.add_all([color, size])
    session.commit()
    changes = {"master_id": master.id, "product_color_id": color.id, "product_size_id": size.id}
    child = products.create(session, changes, RULES)
    assert stored(session, child.id).code == "TS-Red-Small"


def test_a_childs_own_code_description_and_price_win(session, master, variant):
    color, size = variant
    changes = {
        "master_id": master.id,
        "product_color_id": color.id,
        "product_size_id": size.id,
        "code": "OWN",
        "description": "Own",
        "sell_price": Decimal("12.00"),
    }
    child = products.create(session, changes, RULES)
    row = stored(session, child.id)
    assert (row.code, row.description, row.sell, row.sell_tax_inclusive) == (
        "OWN",
        "Own",
        Decimal("12.00"),
        None,
    )


def test_an_unknown_master_is_an_unknown_reference(session, variant):
    color, size = variant
    changes = {"master_id": 999, "product_color_id": color.id, "product_size_id": size.id}
    with pytest.raises(UnknownReference) as caught:
        products.add(session, changes, RULES)
    assert caught.value.field == "master_id"
    assert not session.new


def test_a_child_cannot_be_a_master(session, master, variant):
    color, size = variant
    child = add_product(
        session, code="C", master_id=master.id, product_color_id=color.id, product_size_id=size.id
    )
    changes = {"master_id": child.id, "product_color_id": color.id, "product_size_id": size.id}
    with pytest.raises(RuleBroken) as caught:
        products.create(session, changes, RULES)
    assert list(caught.value.fields) == ["master_id"]
    assert product_count(session) == 2


def test_a_product_cannot_be_its_own_master(session, variant):
    color, size = variant
    product = add_product(session, code="P1", product_color_id=color.id, product_size_id=size.id)
    with pytest.raises(RuleBroken) as caught:
        products.update(session, product.id, {"master_id": product.id}, RULES)
    assert caught.value.fields == {"master_id": "Names the product itself."}
    assert stored(session, product.id).master_id is None


def test_a_master_with_children_cannot_become_a_child(session, master, variant):
    color, size = variant
    add_product(
        session, code="C", master_id=master.id, product_color_id=color.id, product_size_id=size.id
    )
    other = add_product(session, code="O")
    changes = {"master_id": other.id, "product_color_id": color.id, "product_size_id": size.id}
    with pytest.raises(RuleBroken) as caught:
        products.update(session, master.id, changes, RULES)
    assert list(caught.value.fields) == ["master_id"]
    assert stored(session, master.id).master_id is None


def test_becoming_a_child_needs_a_colour_and_size_stored_or_given(session, master, variant):
    color, size = variant
    plain = add_product(session, code="P1", product_color_id=color.id)
    with pytest.raises(RuleBroken) as caught:
        products.update(session, plain.id, {"master_id": master.id}, RULES)
    assert list(caught.value.fields) == ["product_size_id"]
    assert stored(session, plain.id).master_id is None
    products.update(session, plain.id, {"master_id": master.id, "product_size_id": size.id}, RULES)
    assert stored(session, plain.id).master_id == master.id
    assert stored(session, master.id).master_model is True


# update / change ---------------------------------------------------------------------


def test_update_changes_only_what_the_change_set_carries(session):
    product = add_product(session, code="P1", description="Pen", family="Office")
    products.update(session, product.id, {"description": "Blue pen"}, RULES)
    row = stored(session, product.id)
    assert (row.code, row.description, row.family) == ("P1", "Blue pen", "Office")


def test_update_moves_the_version_even_when_only_related_products_change(session):
    product = add_product(session, code="P1")
    ink = add_product(session, code="INK")
    before = stored(session, product.id).version
    products.update(session, product.id, {"related": [{"related_id": ink.id}]}, RULES)
    assert stored(session, product.id).version == before + 1


def test_update_of_an_unknown_product_is_not_found(session):
    with pytest.raises(NotFound):
        products.update(session, 999, {"description": "x"}, RULES)


def test_fewer_keywords_empty_the_slots_left_over(session):
    product = add_product(session, code="P1", keyword1="a", keyword2="b", keyword3="c")
    products.update(session, product.id, {"keywords": ["z"]}, RULES)
    row = stored(session, product.id)
    assert (row.keyword1, row.keyword2, row.keyword3) == ("z", None, None)


def test_naming_a_supplier_or_its_code_overrides_the_default_cost(session):
    product = add_product(session, code="P1")
    assert stored(session, product.id).supplier_overridden is False
    products.update(session, product.id, {"supplier_code": "S-1"}, RULES)
    assert stored(session, product.id).supplier_overridden is True


def test_an_update_refused_for_a_value_changes_nothing(session):
    product = add_product(session, code="P1", description="Pen")
    with pytest.raises(InvalidValue):
        products.update(session, product.id, {"description": "x", "keywords": list("abcd")}, RULES)
    assert stored(session, product.id).description == "Pen"


def test_a_duplicate_code_on_update_is_a_conflict_and_rolled_back(session):
    add_product(session, code="P1")
    other = add_product(session, code="P2", description="Two")
    with pytest.raises(Conflict) as caught:
        products.update(session, other.id, {"code": "P1", "description": "changed"}, RULES)
    assert list(caught.value.fields) == ["code"]
    row = stored(session, other.id)
    assert (row.code, row.description) == ("P2", "Two")


def test_a_product_cannot_be_related_to_itself(session):
    product = add_product(session, code="P1")
    with pytest.raises(RuleBroken) as caught:
        products.update(session, product.id, {"related": [{"related_id": product.id}]}, RULES)
    assert list(caught.value.fields) == ["related"]


def test_rewriting_related_products_keeps_what_the_pim_said_of_those_kept(session):
    product = add_product(session, code="P1")
    pen, ink = add_product(session, code="PEN"), add_product(session, code="INK")
    products.update(session, product.id, {"related": [{"related_id": pen.id}]}, RULES)
    session.execute(update(RelatedProduct).values(status="active"))
    session.commit()
    relations = [{"related_id": ink.id}, {"related_id": pen.id, "auto_add": True}]
    products.update(session, product.id, {"related": relations}, RULES)
    rows = session.scalars(
        select(RelatedProduct)
        .where(RelatedProduct.product_id == product.id)
        .order_by(RelatedProduct.position)
        .execution_options(populate_existing=True)
    ).all()
    assert [(r.related_id, r.position, r.auto_add, r.status) for r in rows] == [
        (ink.id, 0, False, None),
        (pen.id, 1, True, "active"),
    ]


def test_a_product_made_serialized_counts_its_serials_in_stock(session):
    product = add_product(session, code="P1", available=Decimal(9))
    session.add_all(
        [
            SerialNumber(product_id=product.id, serial="A", status=0),
            SerialNumber(product_id=product.id, serial="B", status=0),
            SerialNumber(product_id=product.id, serial="C", status=1),
        ]
    )
    session.commit()
    products.update(session, product.id, {"serialized": True}, RULES)
    assert stored(session, product.id).available == Decimal(2)


# if_match ----------------------------------------------------------------------------


def test_update_with_a_stale_tag_is_refused_naming_the_current_one(session):
    product = add_product(session, code="P1", description="Pen")
    current = products.version_tag(session.connection(), product.id)
    with pytest.raises(ModifiedMeanwhile) as caught:
        products.update(
            session, product.id, {"description": "x"}, RULES, if_match=[f"{product.id}-0-0"]
        )
    assert caught.value.current_etag == current
    session.rollback()
    assert stored(session, product.id).description == "Pen"


def test_update_with_the_current_tag_among_others_goes_through(session):
    product = add_product(session, code="P1")
    current = products.version_tag(session.connection(), product.id)
    session.commit()
    products.update(session, product.id, {"description": "x"}, RULES, if_match=["old", current])
    assert stored(session, product.id).description == "x"


def test_the_tag_moves_with_the_product_and_with_reference_data(session):
    product = add_product(session, code="P1")
    first = products.version_tag(session.connection(), product.id)
    session.execute(update(ReferenceGeneration).values(value=ReferenceGeneration.value + 1))
    second = products.version_tag(session.connection(), product.id)
    session.commit()
    products.update(session, product.id, {"description": "x"}, RULES)
    third = products.version_tag(session.connection(), product.id)
    assert len({first, second, third}) == 3


def test_the_tag_of_an_unknown_product_is_not_found(session):
    with pytest.raises(NotFound):
        products.version_tag(session.connection(), 999)


# delete ------------------------------------------------------------------------------


def test_delete_detaches_children_and_removes_rows_under_and_relating(session, master, variant):
    color, size = variant
    child = add_product(
        session, code="C", master_id=master.id, product_color_id=color.id, product_size_id=size.id
    )
    kit = add_product(session, code="KIT")
    products.update(session, kit.id, {"related": [{"related_id": master.id}]}, RULES)
    kit_version = stored(session, kit.id).version
    photo = ProductPhoto(product_id=master.id)
    photo.scales = [
        PhotoScale(
            size="original",
            filename="ab/master.jpg",
            format="jpeg",
            width=1,
            height=1,
            byte_size=1,
            digest="0" * 64,
        )
    ]
    session.add(photo)
    session.commit()
    store = RecordingStore()

    products.delete(session, master.id, photo_store=store)

    assert stored(session, master.id) is None
    assert stored(session, child.id).master_id is None
    assert stored(session, kit.id).version == kit_version + 1
    assert session.scalar(select(func.count()).select_from(RelatedProduct)) == 0
    assert session.scalar(select(func.count()).select_from(ProductPhoto)) == 0
    assert (store.staged, store.deleted) == (["ab/master.jpg"], ["ab/master.jpg"])


def test_delete_of_an_unknown_product_is_not_found(session):
    with pytest.raises(NotFound):
        products.delete(session, 999, photo_store=RecordingStore())


def test_delete_with_a_stale_tag_is_refused_and_keeps_the_product(session):
    product = add_product(session, code="P1")
    store = RecordingStore()
    with pytest.raises(ModifiedMeanwhile):
        products.delete(session, product.id, photo_store=store, if_match=["stale"])
    session.rollback()
    assert stored(session, product.id) is not None
    assert store.deleted == []
