"""A small believable catalog for trying the service out (``xmlapi load-demo``)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from xmlapi import models
from xmlapi.catalog import costs, inventory, products, serial_numbers
from xmlapi.catalog.pricing import Pricing

SIMPLE_PRODUCTS = (
    ("MUG-01", "Enamel camp mug", "Kitchen", "12.50", "ACC"),
    ("SOCK-WOOL", "Merino hiking socks", "Socks", "18.00", "APP"),
    ("CAP-LOGO", "Six-panel logo cap", "Headwear", "24.00", "ACC"),
    ("BOOT-TRAIL", "Waterproof trail boots", "Boots", "149.00", "FTW"),
    ("BELT-LTHR", "Full-grain leather belt", "Belts", "45.00", "ACC"),
)


def load(session: Session, pricing: Pricing | None = None) -> int:
    """Add the demo catalog unless products exist; returns how many products it added."""
    if session.scalar(select(func.count()).select_from(models.Product)):
        return 0
    pricing = pricing or Pricing()
    usd = models.Currency(code="USD", name="US dollar", exchange_rate=Decimal(1))
    eur = models.Currency(code="EUR", name="Euro", exchange_rate=Decimal("1.08"))
    classes = {
        code: models.ProductClass(name=name)
        for code, name in (("APP", "Apparel"), ("FTW", "Footwear"), ("ACC", "Accessories"))
    }
    suppliers = [
        models.Supplier(name="Northwind Textiles", code="NWT", currency=usd),
        models.Supplier(name="Alpine Outfitters", code="ALP", currency=eur),
    ]
    colors = [
        models.ProductColor(name="Navy", code="NVY"),
        models.ProductColor(name="Red", code="RED"),
    ]
    sizes = [models.ProductSize(name=name, code=name) for name in ("S", "M", "L")]
    warehouses = [
        models.Warehouse(name="Main store", code="MAIN"),
        models.Warehouse(name="Back room", code="BACK"),
    ]
    session.add_all(
        [
            usd,
            eur,
            *classes.values(),
            *suppliers,
            *colors,
            *sizes,
            *warehouses,
            models.TaxExemption(name="Resale", code="RESALE"),
            models.PosCategory(name="Shirts"),
            models.WebCategory(name="Summer"),
        ]
    )
    session.flush()

    count = 0
    for number, (code, description, family, sell, class_code) in enumerate(SIMPLE_PRODUCTS):
        fields = {
            "code": code,
            "description": description,
            "family": family,
            "sell_price": Decimal(sell),
            "class_id": classes[class_code].id,
            "currency_id": usd.id,
            "web": True,
            "serialized": code == "BOOT-TRAIL",
        }
        product = products.create(session, fields, pricing)
        _stock_and_costs(session, product, suppliers[: 1 + number % 2], warehouses[0], number)
        count += 1
    master = products.create(
        session,
        {
            "code": "OXF",
            "description": "Oxford shirt",
            "family": "Shirts",
            "sell_price": Decimal("59.00"),
            "class_id": classes["APP"].id,
            "currency_id": usd.id,
        },
        pricing,
    )
    count += 1
    for color in colors:
        for size in sizes:
            products.create(
                session,
                {
                    "master_id": master.id,
                    "product_color_id": color.id,
                    "product_size_id": size.id,
                    "class_id": classes["APP"].id,
                },
                pricing,
            )
            count += 1
    return count


def _stock_and_costs(session: Session, product, suppliers, warehouse, number: int) -> None:
    """Supplier costs (some products have a second, EUR supplier), and stock: serials for
    serialized products, levels for the others."""
    for supplier in suppliers:
        raw = (product.sell * Decimal("0.45")).quantize(Decimal("0.01"))
        costs.create(
            session,
            product.id,
            {
                "supplier_id": supplier.id,
                "supplier_product_code": f"{supplier.code}-{product.code}",
                "raw": raw,
            },
        )
    if product.serialized:
        for serial in ("TB-0001", "TB-0002", "TB-0003"):
            serial_numbers.create(
                session, product.id, {"serial": serial, "warehouse_id": warehouse.id}
            )
    else:
        inventory.update(
            session,
            product.id,
            {"available": Decimal(12 + 7 * number), "reserved": Decimal(number % 3)},
        )
