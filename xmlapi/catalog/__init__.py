"""The business rules of the catalog. Nothing in here knows HTTP or XML."""
