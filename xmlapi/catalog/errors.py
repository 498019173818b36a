"""Exceptions the catalog raises; each carries the data needed to explain it."""

from __future__ import annotations

import datetime as dt


class CatalogError(Exception):
    """Base of every rule the catalog refuses to break."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(CatalogError):
    """The thing asked for does not exist."""


class UnknownReference(CatalogError):
    """A change points at something (a class, a supplier, a product) that does not exist;
    ``field`` is the change's attribute (``supplier_id``), ``label`` what it points at."""

    def __init__(self, field: str, ident: int, label: str):
        message = f"No {label} with id {ident}."
        super().__init__(message, {field: message})
        self.field = field
        self.ident = ident


class InvalidValue(CatalogError):
    """A value the field cannot take (a negative cost, a rate of zero, a fourth keyword)."""


class RuleBroken(CatalogError):
    """A document is well formed but breaks a business rule."""


class Conflict(CatalogError):
    """The write clashes with what is stored (a duplicate, a concurrent change)."""


class ModifiedMeanwhile(CatalogError):
    """The caller's copy (its If-Match) is not the product as it is now, ``current_etag``."""

    def __init__(self, message: str, current_etag: str):
        super().__init__(message)
        self.current_etag = current_etag


class LockRequired(CatalogError):
    """A write to a product needs the product's lock and nobody holds it."""


class LockHeld(CatalogError):
    """Another session holds the product's lock until ``expires``."""

    def __init__(self, message: str, expires: dt.datetime):
        super().__init__(message)
        self.expires = expires


class LockNotHeld(CatalogError):
    """An UNLOCK of a lock the caller does not hold."""


class UnsupportedImage(CatalogError):
    """Uploaded bytes that are not a JPEG, PNG, GIF or WebP image we can read."""


class ImageTooLarge(CatalogError):
    """An image whose header claims more pixels than we decode (a decompression bomb)."""


class PhotoFileMissing(CatalogError):
    """A photo's row names a file the store does not have: the store lost data."""


class StorageFailed(CatalogError):
    """The photo store could not take an upload's files; nothing was kept."""

    retry_after: int | None = None


class StorageFull(StorageFailed):
    """The photo store is out of space (or over its quota)."""


class StorageUnavailable(StorageFailed):
    """The photo store cannot be written (read-only, no permission, I/O errors)."""

    retry_after = 60


class DecoderBusy(CatalogError):
    """Every image decode slot of this process stayed busy for the whole wait."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
