"""Catalog files: products in and out as CSV, XML product documents or JSON Lines."""
