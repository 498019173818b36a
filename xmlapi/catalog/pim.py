"""PIM upserts: one document creates or changes a product, the variants nested under it
(any depth) and everything attached to them, in one transaction.

A PIM product is a catalog product of the caller's organization: ``name`` is its
description, ``status`` its ``current`` flag, the dimension its measures, the price in
the default price book its sell price and the stock summed over the sources its
available stock. A variant tree is kept as each product's parent (``pim_products``)
and, for the other faces, as a master (the tree's root, ``master_id``) with children
that carry the colour and size their attributes name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xmlapi.catalog import pim_input as checked
from xmlapi.catalog import products
from xmlapi.catalog.errors import Conflict, NotFound, RuleBroken
from xmlapi.catalog.pim_attributes import AttributeBook, attribute_values
from xmlapi.catalog.pim_input import ProductInput, ProductRef, invalid
from xmlapi.catalog.pim_kits import make_kits
from xmlapi.catalog.pim_links import descendants, write_links
from xmlapi.catalog.pim_reads import DEFAULT_PRICE_BOOK
from xmlapi.catalog.pim_virtuals import virtual_inputs, write_virtuals
from xmlapi.catalog.pricing import Pricing
from xmlapi.catalog.writes import committing
from xmlapi.models import Product, ProductClass, ProductColor, ProductSize, Warehouse
from xmlapi.models.pim import (
    PimAttributeSet,
    PimAttributeValue,
    PimBrand,
    PimCatalog,
    PimCategory,
    PimCategorySet,
    PimEntityIdentifier,
    PimInventory,
    PimMediaItem,
    PimPriceBook,
    PimPriceItem,
    PimProduct,
    PimProductCatalog,
    PimProductCategory,
)
from xmlapi.models.products import stamp
from xmlapi.models.types import utcnow

DEFAULT_CATEGORY_SET = "default"
COLOUR_CODES = ("colour", "color")
SIZE_CODES = ("size",)
DIMENSIONS = ("length", "width", "height", "weight")
URL_SCHEMES = ("http://", "https://")


def conflict_of(_exc: IntegrityError) -> Conflict:
    return Conflict("The document clashes with stored data (a code or key used twice?).")


@dataclass(frozen=True)
class Upsert:
    """Who writes where: the organization and the pricing rule of sell prices."""

    organization_id: int
    pricing: Pricing


def upsert(
    session: Session, organization_id: int, document: dict[str, Any], pricing: Pricing
) -> int:
    """Create or change the document's product and its variants; commits; returns the
    product's id. Raises InvalidValue / RuleBroken (nothing written), NotFound for an id
    outside the organization, LockHeld when another session holds a changed product."""
    root = checked.product_document(document)
    with committing(session, conflict_of):
        writer = _Writer(session, Upsert(organization_id, pricing))
        product = writer.write(root)
        product_id = product.id
    return product_id


class _Writer:
    def __init__(self, session: Session, upsert: Upsert):
        self.session = session
        self.organization_id = upsert.organization_id
        self.pricing = upsert.pricing
        self.products: dict[int, Product] = {}  # node id() -> product
        self.pim: dict[int, PimProduct] = {}  # product id -> its PIM row
        self.cache: dict[tuple[str, str], Any] = {}
        self.created: set[int] = set()  # id() of the products this document makes

    # The products of the document ------------------------------------------------------

    def write(self, root: ProductInput) -> Product:
        nodes = list(root.walk())
        self._resolve(nodes)
        self._check_tree(root, nodes)
        self._prefetch_attributes(nodes)  # checks the attribute objects first
        self._prefetch_references(nodes)
        self.session.flush()  # new products (and the names they use) get their ids
        # Every row this write reads it loaded itself or flushed on purpose: no flush
        # before each read (each would check every changed product's lock again).
        with self.session.no_autoflush:
            self._load_pim(self.products.values())
            make_kits(self, nodes)
            self._load_parts()
            for node in nodes:
                self._fields(node, self.products[id(node)])
            self._place_variants(root)
            self._attributes(nodes)
            self._colours_and_sizes(root)
            for node in nodes:
                self._parts(node, self.products[id(node)])
            write_virtuals(self, self.virtuals)
        write_links(self, nodes)
        for product in self.products.values():
            stamp(product)
        return self.products[id(root)]

    def _prefetch_references(self, nodes: list[ProductInput]) -> None:
        """Find or make the colours, sizes, sources and price books the document names,
        one statement per kind: the first flush then writes them with the products."""
        wanted: dict[Any, set[str]] = {
            ProductColor: set(),
            ProductSize: set(),
            Warehouse: set(),
            PimPriceBook: set(),
        }
        for node in nodes:
            for model, codes in ((ProductColor, COLOUR_CODES), (ProductSize, SIZE_CODES)):
                name = _inherited(node, codes)
                if name:
                    wanted[model].add(name)
            for item in node.fields.get("inventories") or []:
                if isinstance(item, dict) and isinstance(item.get("inventory_source"), str):
                    wanted[Warehouse].add(item["inventory_source"].strip())
            for item in node.fields.get("price_items") or []:
                if isinstance(item, dict):
                    book = item.get("price_book_name", DEFAULT_PRICE_BOOK)
                    if isinstance(book, str):
                        wanted[PimPriceBook].add(book.strip())
        for model, names in wanted.items():
            names = {name for name in names if 0 < len(name) <= checked.MAX_CODE}
            if names:
                self._prefetch(model, names)

    def _prefetch(self, model, names: set[str]) -> None:
        statement = select(model).where(model.name.in_(names))
        if hasattr(model, "organization_id"):
            statement = statement.where(model.organization_id == self.organization_id)
        for row in self.session.scalars(statement.order_by(model.id)):
            self.cache.setdefault((model.__tablename__, row.name), row)
        for name in sorted(names):
            if (model.__tablename__, name) not in self.cache:
                row = model(name=name)
                if hasattr(model, "organization_id"):
                    row.organization_id = self.organization_id
                self.session.add(row)
                self.cache[(model.__tablename__, name)] = row

    def _load_parts(self) -> None:
        """The price items and stock of every product of the document, two statements."""
        ids = [product.id for product in self.products.values()]
        self.prices: dict[int, dict[int, PimPriceItem]] = {i: {} for i in ids}
        for row in self.session.scalars(
            select(PimPriceItem).where(PimPriceItem.product_id.in_(ids))
        ):
            self.prices[row.product_id][row.price_book_id] = row
        self.stock: dict[int, dict[int, PimInventory]] = {i: {} for i in ids}
        for row in self.session.scalars(
            select(PimInventory).where(PimInventory.product_id.in_(ids))
        ):
            self.stock[row.product_id][row.warehouse_id] = row

    def _resolve(self, nodes: list[ProductInput]) -> None:
        codes = {node.code for node in nodes if node.code is not None}
        by_code = {
            product.code: product
            for product in self.session.scalars(
                select(Product).where(self._in_scope(), Product.code.in_(codes))
            )
        }
        seen: dict[int, str] = {}  # id() of each product (one object per row) -> its path
        for node in nodes:
            product = self._find(node, by_code)
            if product is None:
                product = self._create(node)
                by_code[product.code] = product  # the same code further down is this one
            elif id(product) in seen:
                raise invalid(node.path, f"The product is already at {seen[id(product)]}.")
            seen[id(product)] = node.path
            self.products[id(node)] = product

    def _in_scope(self):
        return Product.organization_id == self.organization_id

    def _find(self, node: ProductInput, by_code: dict[str, Product]) -> Product | None:
        fields = node.fields
        if "id" in fields:
            return self.product_by_id(fields["id"], f"{node.path}.id")
        if "identifier_name" in fields or "entity_key" in fields:
            return self._by_identifier(node)
        return by_code.get(node.code)

    def product_by_id(self, product_id: int, path: str) -> Product:
        """The organization's product ``product_id``; NotFound (never another's)."""
        product = self.session.get(Product, product_id)
        if product is None or product.organization_id != self.organization_id:
            raise NotFound(f"No product with id {product_id}.", {path: "No such product."})
        return product

    def stored_product(self, code: str) -> Product | None:
        """The organization's product with ``code``, if any."""
        return self.session.scalar(select(Product).where(self._in_scope(), Product.code == code))

    def product_of(self, ref: ProductRef, path: str) -> Product:
        if ref.id is not None:
            return self.product_by_id(ref.id, path)
        product = self.stored_product(ref.code)
        if product is None:
            raise invalid(path, f"No product with code {ref.code!r}.")
        return product

    def _by_identifier(self, node: ProductInput) -> Product:
        name, key = node.fields.get("identifier_name"), node.fields.get("entity_key")
        if name is None or key is None:
            raise invalid(node.path, "Send identifier_name and entity_key together.")
        row = self.session.scalar(
            select(PimEntityIdentifier).where(
                PimEntityIdentifier.organization_id == self.organization_id,
                PimEntityIdentifier.name == name,
                PimEntityIdentifier.key == key,
            )
        )
        if row is None:
            raise NotFound(f"No product with {name} {key}.", {node.path: "No such product."})
        return self.product_by_id(row.product_id, node.path)

    def _create(self, node: ProductInput) -> Product:
        if node.code is None:
            raise invalid(f"{node.path}.code", "Required to create a product.")
        product = Product(organization_id=self.organization_id, code=node.code)
        self.session.add(product)
        self.created.add(id(product))
        return product

    def _check_tree(self, root: ProductInput, nodes: list[ProductInput]) -> None:
        """Refuse a variant that is the tree's root or an ancestor of the document's
        product (a cycle)."""
        top = self.products[id(root)]
        ancestors = set(self._ancestors(top))
        for node in nodes[1:]:
            product = self.products[id(node)]
            if product.id is not None and product.id in ancestors:
                raise RuleBroken(
                    "A product cannot be a variant of its own variant.",
                    {node.path: "Is above this product in its variant tree."},
                )

    def _ancestors(self, product: Product) -> list[int]:
        if product.id is None or product.master_id is None:
            return []
        family = {
            row.product_id: row.parent_id
            for row in self.session.scalars(
                select(PimProduct)
                .join(Product, Product.id == PimProduct.product_id)
                .where(Product.master_id == product.master_id)
            )
        }
        found, current = [product.master_id], family.get(product.id)
        while current is not None and current not in found and len(found) < 1000:
            found.append(current)
            current = family.get(current)
        return found

    def _load_pim(self, products: Iterable[Product]) -> None:
        ids = [product.id for product in products]
        rows = self.session.scalars(select(PimProduct).where(PimProduct.product_id.in_(ids)))
        self.pim.update({row.product_id: row for row in rows})
        for product_id in ids:
            if product_id not in self.pim:
                row = PimProduct(product_id=product_id)
                self.session.add(row)
                self.pim[product_id] = row

    # Plain fields ------------------------------------------------------------------------

    def _fields(self, node: ProductInput, product: Product) -> None:
        fields, pim = node.fields, self.pim[product.id]
        if "code" in fields and product.code != fields["code"] and "id" in fields:
            self._rename(product, fields["code"], f"{node.path}.code")
        if "_new_code" in fields:
            self._rename(product, fields["_new_code"], f"{node.path}._new_code")
        if "name" in fields:
            product.description = fields["name"]
        if "status" in fields:
            product.current = fields["status"] == "active"
        if "product_type" in fields:
            pim.product_type = fields["product_type"]
        if "discontinued" in fields:
            pim.discontinued = fields["discontinued"]
        if "locale" in fields:
            pim.locale = fields["locale"]
        if "attribute_set" in fields:
            pim.attribute_set_id = self._named(PimAttributeSet, fields["attribute_set"]).id
        if "product_class_name" in fields:
            product.class_id = self._reference(ProductClass, fields["product_class_name"]).id
        if "product_family_code" in fields:
            product.family = fields["product_family_code"]
        if "shipping_zones" in fields:
            pim.shipping_zones = json.dumps(
                _names(fields["shipping_zones"], f"{node.path}.shipping_zones")
            )
        if "brand" in fields:
            pim.brand_id = self._brand(fields["brand"], f"{node.path}.brand")
        if "dimension" in fields:
            self._dimension(product, fields["dimension"], f"{node.path}.dimension", "")
        if "packed_dimension" in fields:
            path = f"{node.path}.packed_dimension"
            self._dimension(pim, fields["packed_dimension"], path, "packed_")

    def _rename(self, product: Product, code: str, path: str) -> None:
        if code == product.code:
            return
        taken = select(Product.id).where(self._in_scope(), Product.code == code)
        if self.session.scalar(taken) is not None:
            raise invalid(path, f"Another product has code {code!r}.")
        product.code = code

    def _named(self, model, name: str, column: str = "name"):
        """The organization's row of ``model`` whose ``column`` is ``name``, made on
        first use."""
        key = (model.__tablename__, name)
        if key not in self.cache:
            row = self.session.scalar(
                select(model).where(
                    model.organization_id == self.organization_id,
                    getattr(model, column) == name,
                )
            )
            if row is None:
                row = model(organization_id=self.organization_id, **{column: name})
                self.session.add(row)
                self.session.flush()
            self.cache[key] = row
        return self.cache[key]

    def _brand(self, value: Any, path: str) -> int | None:
        if value is None:
            return None
        value = checked.mapping(value, path)
        if value.get("id") is not None:
            brand = self.session.get(PimBrand, checked.ident(value["id"], f"{path}.id"))
            if brand is None or brand.organization_id != self.organization_id:
                raise invalid(f"{path}.id", "No such brand.")
            return brand.id
        if value.get("name") is not None:
            return self._named(PimBrand, checked.text(value["name"], f"{path}.name")).id
        raise invalid(path, "Name the brand by id or name.")

    def _dimension(self, target: Any, value: Any, path: str, prefix: str) -> None:
        value = checked.mapping(value, path)
        for name in DIMENSIONS:
            if name in value:
                number = checked.optional_decimal(
                    value[name], f"{path}.{name}", checked.MAX_MEASURE
                )
                setattr(target, prefix + name, number)

    # The variant tree ---------------------------------------------------------------------

    def _place_variants(self, root: ProductInput) -> None:
        """Each variant under its parent node, in the tree of the document's product; a
        variant that stood elsewhere brings the variants below it along."""
        top = self.products[id(root)]
        tree_root = top.master_id or top.id
        variants = [self.products[id(node)] for node in root.walk() if node is not root]
        movers = [p for p in variants if id(p) not in self.created and p.master_id != tree_root]
        below = {product.id: descendants(self.session, product) for product in movers}
        for node in root.walk():
            if node is not root:
                product = self.products[id(node)]
                self.pim[product.id].parent_id = self.products[id(node.parent)].id
                product.master_id = tree_root
        for product in movers:
            for product_id in below[product.id]:
                self.session.get(Product, product_id).master_id = tree_root
            product.master_model = False
        if variants:
            self.session.get(Product, tree_root).master_model = True

    def _colours_and_sizes(self, root: ProductInput) -> None:
        """Variants take the colour and size their attributes (or their parents') name."""
        for node in root.walk():
            if node is root and self.products[id(node)].master_id is None:
                continue
            colour = _inherited(node, COLOUR_CODES)
            size = _inherited(node, SIZE_CODES)
            product = self.products[id(node)]
            if colour:
                product.product_color_id = self._reference(ProductColor, colour).id
            if size:
                product.product_size_id = self._reference(ProductSize, size).id

    def _reference(self, model, name: str):
        key = (model.__tablename__, name)
        if key not in self.cache:
            row = self.session.scalar(select(model).where(model.name == name).limit(1))
            if row is None:
                row = model(name=name[:255])
                self.session.add(row)
                self.session.flush()
            self.cache[key] = row
        return self.cache[key]

    # Attributes ---------------------------------------------------------------------------

    def _prefetch_attributes(self, nodes: list[ProductInput]) -> None:
        """Check the attribute objects sent and find or make their definitions (made
        ones are written by the first flush)."""
        self.sent = {
            id(node): attribute_values(
                node.fields["product_attributes"], f"{node.path}.product_attributes"
            )
            for node in nodes
            if "product_attributes" in node.fields
        }
        self.virtuals = {
            id(node): virtual_inputs(node) for node in nodes if "virtual_products" in node.fields
        }
        every = [
            *self.sent.values(),
            *(one.attributes for ones in self.virtuals.values() for one in ones),
        ]
        codes = {code for values in every for code in values}
        self.book = AttributeBook(self.session, self.organization_id, codes) if codes else None
        for values in every:
            for code, value in values.items():
                self.book.definition(code, value)

    def _attributes(self, nodes: list[ProductInput]) -> None:
        sent, book = self.sent, self.book
        if not sent:
            return
        product_ids = [self.products[key].id for key in sent]
        stored = {
            (row.product_id, row.attribute_id): row
            for row in self.session.scalars(
                select(PimAttributeValue).where(PimAttributeValue.product_id.in_(product_ids))
            )
        }
        for node in nodes:
            values = sent.get(id(node), {})
            product = self.products[id(node)]
            for code, value in values.items():
                path = f"{node.path}.product_attributes.{code[:50]}"
                definition = book.definition(code, value)
                row = stored.get((product.id, definition.id))
                old = json.loads(row.data) if row is not None else None
                data = json.dumps(book.data(definition, value, path, old))
                if row is None:
                    row = PimAttributeValue(
                        product_id=product.id, attribute_id=definition.id, data=data
                    )
                    self.session.add(row)
                    stored[(product.id, definition.id)] = row
                elif row.data != data:
                    row.data = data
                    row.modified = utcnow()

    # Prices, stock, media, identifiers, categories ------------------------------------------

    def _parts(self, node: ProductInput, product: Product) -> None:
        fields, path = node.fields, node.path
        if "price_items" in fields:
            self._prices(product, fields["price_items"], f"{path}.price_items")
        if "inventories" in fields:
            self._inventories(product, fields["inventories"], f"{path}.inventories")
        if "media_items" in fields:
            self._media(product, fields["media_items"], f"{path}.media_items")
        if "entity_identifiers" in fields:
            self._identifiers(product, fields["entity_identifiers"], f"{path}.entity_identifiers")
        if "categories" in fields:
            self._categories(product, fields["categories"], f"{path}.categories")
        if "catalogs" in fields:
            self._catalogs(product, fields["catalogs"], f"{path}.catalogs")

    def _prices(self, product: Product, value: Any, path: str) -> None:
        stored = self.prices[product.id]
        for item_path, item in checked.objects(value, path):
            book_name = item.get("price_book_name", DEFAULT_PRICE_BOOK)
            book = self._named(
                PimPriceBook, checked.text(book_name, f"{item_path}.price_book_name")
            )
            amount = checked.decimal(item.get("amount"), f"{item_path}.amount", checked.MAX_AMOUNT)
            row = stored.get(book.id) or PimPriceItem(product_id=product.id, price_book_id=book.id)
            row.amount = amount
            row.valid_from = checked.optional_timestamp(item.get("from"), f"{item_path}.from")
            row.valid_to = checked.optional_timestamp(item.get("to"), f"{item_path}.to")
            if row.valid_from and row.valid_to and row.valid_to < row.valid_from:
                raise invalid(f"{item_path}.to", "Must not be before from.")
            self.session.add(row)
            stored[book.id] = row
            if book.name.lower() == DEFAULT_PRICE_BOOK.lower():
                for column, price in self.pricing.sells_for(amount).items():
                    setattr(product, column, price)

    def _inventories(self, product: Product, value: Any, path: str) -> None:
        stored = self.stock[product.id]
        for item_path, item in checked.objects(value, path):
            source = checked.text(item.get("inventory_source"), f"{item_path}.inventory_source")
            warehouse = self._reference(Warehouse, source)
            row = stored.get(warehouse.id) or PimInventory(
                product_id=product.id, warehouse_id=warehouse.id
            )
            _inventory_fields(row, item, item_path)
            self.session.add(row)
            stored[warehouse.id] = row
        if product.serialized:
            raise RuleBroken(
                "A serialized product's available stock is the count of its serials in stock.",
                {path: "Follows the serial numbers."},
            )
        product.available = sum((row.qty for row in stored.values()), Decimal(0))

    def _media(self, product: Product, value: Any, path: str) -> None:
        self.session.execute(delete(PimMediaItem).where(PimMediaItem.product_id == product.id))
        for position, (item_path, item) in enumerate(checked.objects(value, path)):
            url = checked.text(item.get("url"), f"{item_path}.url", checked.MAX_URL)
            if not url.lower().startswith(URL_SCHEMES) or any(c.isspace() for c in url):
                raise invalid(f"{item_path}.url", "Must be an http or https URL.")
            tags = [
                checked.text(tag, f"{item_path}.tag_list.{i}")
                for i, tag in enumerate(
                    checked.items(item.get("tag_list"), f"{item_path}.tag_list")
                )
            ]
            sort_order = item.get("sort_order_position", item.get("sort_order", position))
            self.session.add(
                PimMediaItem(
                    product_id=product.id,
                    media_item_type=checked.text(
                        item.get("media_item_type", "ImageMediaItem"),
                        f"{item_path}.media_item_type",
                        30,
                    ),
                    url=url,
                    description=checked.optional_text(
                        item.get("description"), f"{item_path}.description", 4096
                    )
                    or "",
                    sort_order=checked.integer(sort_order, f"{item_path}.sort_order_position"),
                    is_primary=checked.boolean(
                        item.get("is_primary", False), f"{item_path}.is_primary"
                    ),
                    tag_list=json.dumps(tags),
                )
            )

    def _identifiers(self, product: Product, value: Any, path: str) -> None:
        for item_path, item in checked.objects(value, path):
            name = checked.text(item.get("name"), f"{item_path}.name")
            key = checked.text(item.get("key"), f"{item_path}.key")
            row = self.session.scalar(
                select(PimEntityIdentifier).where(
                    PimEntityIdentifier.organization_id == self.organization_id,
                    PimEntityIdentifier.name == name,
                    PimEntityIdentifier.key == key,
                )
            )
            if row is None:
                self.session.add(
                    PimEntityIdentifier(
                        organization_id=self.organization_id,
                        product_id=product.id,
                        name=name,
                        key=key,
                    )
                )
                self.session.flush()
            elif row.product_id != product.id:
                raise invalid(f"{item_path}.key", f"{name} {key} names another product.")

    def _categories(self, product: Product, value: Any, path: str) -> None:
        self.session.execute(
            delete(PimProductCategory).where(PimProductCategory.product_id == product.id)
        )
        chosen: dict[int, bool] = {}
        for item_path, item in checked.objects(value, path):
            category = self._category(item, item_path)
            primary = checked.boolean(item.get("is_primary", False), f"{item_path}.is_primary")
            chosen[category.id] = chosen.get(category.id, False) or primary
        if sum(chosen.values()) > 1:
            raise invalid(path, "At most one category is primary.")
        for category_id, primary in chosen.items():
            self.session.add(
                PimProductCategory(
                    product_id=product.id, category_id=category_id, is_primary=primary
                )
            )

    def _catalogs(self, product: Product, value: Any, path: str) -> None:
        """Link the product with the catalogs named (by id, or by name: made on first
        use); its other links stay."""
        linked = set(
            self.session.scalars(
                select(PimProductCatalog.catalog_id).where(
                    PimProductCatalog.product_id == product.id
                )
            )
        )
        for item_path, item in checked.objects(value, path):
            catalog = self._catalog(item, item_path)
            if catalog.id not in linked:
                self.session.add(PimProductCatalog(product_id=product.id, catalog_id=catalog.id))
                linked.add(catalog.id)

    def _catalog(self, item: dict[str, Any], path: str) -> PimCatalog:
        return self.by_id_or_name(PimCatalog, item, path, ("id", "name"))

    def by_id_or_name(self, model, item: dict[str, Any], path: str, keys, column: str = "name"):
        """The organization's ``model`` row an entry names by its id (stored) or its name
        (made on first use), ``keys`` being the entry's two keys; with both, the name
        must be the row's."""
        id_key, name_key = keys
        if item.get(id_key) is None:
            name = checked.text(item.get(name_key), f"{path}.{name_key}")
            return self._named(model, name, column)
        row = self.session.get(model, checked.ident(item[id_key], f"{path}.{id_key}"))
        if row is None or row.organization_id != self.organization_id:
            raise invalid(f"{path}.{id_key}", "Nothing of this organization has this id.")
        name = item.get(name_key)
        if name is not None and checked.text(name, f"{path}.{name_key}") != getattr(row, column):
            raise invalid(f"{path}.{name_key}", f"{id_key} {row.id} is {getattr(row, column)!r}.")
        return row

    def _category(self, item: dict[str, Any], path: str) -> PimCategory:
        if item.get("id") is not None:
            category = self.session.get(PimCategory, checked.ident(item["id"], f"{path}.id"))
            if category is None or category.organization_id != self.organization_id:
                raise invalid(f"{path}.id", "No such category.")
            return category
        category_path = checked.text(item.get("path"), f"{path}.path", 1023)
        set_name = checked.text(
            item.get("category_set", DEFAULT_CATEGORY_SET), f"{path}.category_set"
        )
        category_set = self._named(PimCategorySet, set_name)
        category = self.session.scalar(
            select(PimCategory).where(
                PimCategory.category_set_id == category_set.id, PimCategory.path == category_path
            )
        )
        if category is None:
            category = PimCategory(
                organization_id=self.organization_id,
                category_set_id=category_set.id,
                name=category_path.rsplit("/", 1)[-1].strip()[:255] or category_path[:255],
                path=category_path,
            )
            self.session.add(category)
            self.session.flush()
        return category


def _names(value: Any, path: str) -> list[str]:
    names = [checked.text(name, f"{path}.{i}") for i, name in enumerate(checked.items(value, path))]
    return list(dict.fromkeys(names))


def _inherited(node: ProductInput | None, codes: tuple[str, ...]) -> str | None:
    """The first text value of one of ``codes`` on the node or the nearest parent."""
    while node is not None:
        values = node.fields.get("product_attributes")
        values = values if isinstance(values, dict) else {}
        for code in codes:
            if isinstance(values.get(code), str) and values[code].strip():
                return values[code].strip()[:255]
        node = node.parent
    return None


def _inventory_fields(row: PimInventory, item: dict[str, Any], path: str) -> None:
    if "qty" in item:
        row.qty = checked.decimal(item["qty"], f"{path}.qty", checked.MAX_QTY)
    elif row.qty is None:
        row.qty = Decimal(0)
    if "available_qty" in item:
        row.available_qty = checked.optional_decimal(
            item["available_qty"], f"{path}.available_qty", checked.MAX_QTY
        )
    if "out_of_stock_threshold" in item:
        row.out_of_stock_threshold = checked.optional_decimal(
            item["out_of_stock_threshold"], f"{path}.out_of_stock_threshold", checked.MAX_QTY
        )
    if "unit_cost" in item:
        row.unit_cost = checked.optional_decimal(
            item["unit_cost"], f"{path}.unit_cost", checked.MAX_AMOUNT
        )
    if item.get("stock_availability") is not None:
        row.stock_availability = checked.choice(
            item["stock_availability"], f"{path}.stock_availability", checked.STOCK_STATES
        )
    if item.get("dispatch_time") is not None:
        row.dispatch_time = checked.integer(
            item["dispatch_time"], f"{path}.dispatch_time", 0, 10000
        )
    if item.get("dispatch_time_unit") is not None:
        row.dispatch_time_unit = checked.choice(
            item["dispatch_time_unit"], f"{path}.dispatch_time_unit", checked.TIME_UNITS
        )
    if item.get("style") is not None:
        row.style = checked.choice(item["style"], f"{path}.style", checked.STYLES)
    if item.get("sku") is not None:
        row.sku = checked.text(item["sku"], f"{path}.sku")


def remove(session: Session, organization_id: int, product_id: int, photo_store) -> None:
    """Delete the organization's product; its variants move up a level (a root's
    children become roots of their own trees). Commits."""
    product = session.get(Product, product_id)
    if product is None or product.organization_id != organization_id:
        raise NotFound(f"No product with id {product_id}.")
    _detach_variants(session, product)
    products.delete(session, product_id, photo_store=photo_store)


def _detach_variants(session: Session, product: Product) -> None:
    tree_root = product.master_id or product.id
    rows = session.execute(
        select(Product.id, Product.master_id, PimProduct.parent_id)
        .outerjoin(PimProduct, PimProduct.product_id == Product.id)
        .where(Product.master_id == tree_root)
    )
    parent_of = {ident: parent or master for ident, master, parent in rows}
    children = [ident for ident, parent in parent_of.items() if parent == product.id]
    if product.master_id is not None:  # a level inside a tree: its children move up
        for child in children:
            _pim_row(session, child).parent_id = parent_of.get(product.id) or tree_root
        return
    for child in children:
        below = [ident for ident in parent_of if _is_below(ident, child, parent_of)]
        row = session.get(Product, child)
        row.master_id = None
        row.master_model = bool(below)
        _pim_row(session, child).parent_id = None
        for ident in below:
            session.get(Product, ident).master_id = child


def _is_below(ident: int, top: int, parent_of: dict[int, int]) -> bool:
    seen = set()
    current = parent_of.get(ident)
    while current is not None and current not in seen:
        if current == top:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False


def _pim_row(session: Session, product_id: int) -> PimProduct:
    row = session.get(PimProduct, product_id)
    if row is None:
        row = PimProduct(product_id=product_id)
        session.add(row)
    return row
