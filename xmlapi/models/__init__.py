"""SQLAlchemy models, one module per concern; importing this registers them all."""

from xmlapi.models.auth import User
from xmlapi.models.costs import SupplierCost
from xmlapi.models.photos import PhotoScale, ProductPhoto
from xmlapi.models.products import Product, RelatedProduct
from xmlapi.models.reference import (
    Currency,
    PosCategory,
    ProductClass,
    ProductColor,
    ProductSize,
    Supplier,
    TaxExemption,
    Warehouse,
    WebCategory,
)
from xmlapi.models.serials import SerialNumber

__all__ = [
    "Currency",
    "PhotoScale",
    "PosCategory",
    "Product",
    "ProductClass",
    "ProductColor",
    "ProductPhoto",
    "ProductSize",
    "RelatedProduct",
    "SerialNumber",
    "Supplier",
    "SupplierCost",
    "TaxExemption",
    "User",
    "Warehouse",
    "WebCategory",
]
