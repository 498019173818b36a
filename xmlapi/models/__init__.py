"""SQLAlchemy models, one module per concern; importing this registers them all."""

from xmlapi.models import pim  # noqa: F401  (the PIM face's tables)
from xmlapi.models.auth import ApiSession, App, User
from xmlapi.models.costs import SupplierCost
from xmlapi.models.feed import FeedClock, FeedEntry, Webhook, WebhookDelivery
from xmlapi.models.locks import ProductLock
from xmlapi.models.orders import Box, BoxItem, Order
from xmlapi.models.organizations import ApiToken, Membership, Organization
from xmlapi.models.photos import PhotoBlob, PhotoScale, ProductPhoto
from xmlapi.models.product_fields import ProductFieldRow
from xmlapi.models.products import Product, RelatedProduct
from xmlapi.models.reference import (
    Currency,
    PosCategory,
    ProductClass,
    ProductColor,
    ProductSize,
    ReferenceGeneration,
    Supplier,
    TaxExemption,
    Warehouse,
    WebCategory,
)
from xmlapi.models.serials import SerialNumber

__all__ = [
    "ApiSession",
    "ApiToken",
    "App",
    "Box",
    "BoxItem",
    "Currency",
    "FeedClock",
    "FeedEntry",
    "Membership",
    "Order",
    "Organization",
    "PhotoBlob",
    "PhotoScale",
    "PosCategory",
    "Product",
    "ProductClass",
    "ProductColor",
    "ProductFieldRow",
    "ProductLock",
    "ProductPhoto",
    "ProductSize",
    "ReferenceGeneration",
    "RelatedProduct",
    "SerialNumber",
    "Supplier",
    "SupplierCost",
    "TaxExemption",
    "User",
    "Warehouse",
    "WebCategory",
    "Webhook",
    "WebhookDelivery",
]
