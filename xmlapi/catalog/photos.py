"""Product photos: where their files live, how the scales are made, and their rows.

An upload is written to temporary files (fsynced), its rows are committed, and only then
are the files renamed into place; a failed commit removes them. A process that dies
between the commit and the rename leaves ``.part`` files that a committed row names: the
first read (or ``xmlapi check --fix``) finishes the rename, so a committed row never
points at bytes that are gone. One that dies before the commit leaves orphan files that
no row names, which ``xmlapi check`` reports and ``--fix`` removes.

A store that cannot take the files (a full or read-only disk) fails the upload before
its rows commit, with StorageFull or StorageUnavailable; a file its cleanup cannot
remove is logged and left for ``xmlapi check``. Decoding is bounded by pixels and by
decoded bytes, both read from the header, and by a few decode slots per process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import errno
import hashlib
import io
import itertools
import logging
import os
import secrets
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Connection, Row, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from xmlapi.catalog import products, writes
from xmlapi.catalog.errors import (
    DecoderBusy,
    ImageTooLarge,
    NotFound,
    PhotoFileMissing,
    RuleBroken,
    StorageFailed,
    StorageFull,
    StorageUnavailable,
    UnsupportedImage,
)
from xmlapi.models import PhotoScale, ProductPhoto
from xmlapi.models.products import stamp
from xmlapi.settings import Settings

log = logging.getLogger(__name__)

# The scales every photo has, in the contract's order.
SIZES = ("512", "256", "original")
BOXES = {"512": 512, "256": 256}
# Our format names (what <format> shows) for each image type we take, found by the bytes.
MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp"}
# The Pillow decoders each type may be opened with (multi-picture JPEGs open as MPO).
_DECODERS = {"jpeg": ("JPEG",), "png": ("PNG",), "gif": ("GIF",), "webp": ("WEBP",)}
_PILLOW_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
# Pillow's own default limit, so its bomb warning never fires for an image we accept;
# above it we refuse from the header, before any pixel is decoded.
MAX_PIXELS = 89_478_485
# What decoding may take: the pixels Pillow keeps times the bytes it keeps each in
# (XMLAPI_MAX_DECODE_BYTES), checked from the header too.
MAX_DECODE_BYTES = 128 * 1024 * 1024
# A JPEG is decoded reduced (Pillow's draft(): 1/2, 1/4 or 1/8) to no less than twice
# the 512 box. PNG, GIF and WebP decoders cannot reduce: they are decoded whole (which
# MAX_DECODE_BYTES bounds) and then reduced strip by strip, so that no second full-size
# copy is ever made (Pillow's own resize premultiplies RGBA and converts modes whole).
REDUCING_GAP = 2.0
STRIP_BYTES = 4 * 1024 * 1024
# Bytes Pillow keeps a pixel in, by mode (RGB is kept in four); others take four.
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
_SCALABLE_MODES = ("RGB", "RGBA", "L", "LA", "CMYK")
# Pillow's WebP decoder holds the picture three times over while it decodes (libwebp's
# buffer, a bytes copy of it, the image); measured: 5000x5000 RGBA took 376 MB.
_DECODER_COPIES = {"webp": 3}
# A caller waits this long for a decode slot before it gets 503 with Retry-After.
DECODE_WAIT_SECONDS = 5.0
DECODE_RETRY_AFTER = 5
JPEG_QUALITY = 85
SOURCE_NAME_LENGTH = 1023
# EXIF orientation -> the transposition that makes the picture upright.
_ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION = 0x0112
# What Pillow raises on bytes it cannot make sense of.
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)


# The store ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A file written under its temporary name: its length and SHA-256."""

    size: int
    digest: str


@dataclass
class StoredFile:
    """An open stored file; whoever gets it closes ``stream``."""

    stream: BinaryIO
    size: int


@dataclass(frozen=True)
class Entry:
    """A file found in the store: ``name`` as rows hold it; ``pending`` when it still has
    its temporary name."""

    name: str
    pending: bool
    modified: float


class PhotoStore(Protocol):
    """Where photo files live. Names are relative POSIX paths chosen by the catalog."""

    def write(self, name: str, chunks: Iterable[bytes]) -> Written:
        """Write ``chunks`` under ``name``'s temporary name, durably. Raises StorageFull
        or StorageUnavailable when the store cannot take them (what ``chunks`` raises
        passes through); on failure nothing is left behind, or what is left is logged."""

    def read_pending(self, name: str) -> BinaryIO:
        """Open a file that is still under its temporary name."""

    def publish(self, names: Iterable[str]) -> None:
        """Rename written files into place (once their rows have committed)."""

    def discard(self, names: Iterable[str]) -> None:
        """Remove written files that were never published (their rows did not commit);
        never raises: a file it cannot remove is logged, and `xmlapi check` finds it."""

    def open(self, name: str) -> StoredFile:
        """Open a published file; raises FileNotFoundError."""

    def delete(self, names: Iterable[str]) -> None:
        """Remove files (once the rows that named them are gone); missing ones are fine."""

    def entries(self) -> Iterator[Entry]:
        """Every file in the store."""

    def remove(self, entry: Entry) -> None:
        """Remove one file found by ``entries``."""


PENDING = ".part"


class FileSystemStore:
    """Photo files in a directory tree: ``<root>/3f/3f9a..._512.jpg``.

    A file is written as ``<name>.part`` and fsynced with its directory before its row
    commits, so a committed row always has its bytes on disk under one of two names.
    """

    def __init__(self, *, root: Path) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"not a photo file name: {name!r}")
        return self.root.joinpath(*relative.parts)

    def _part(self, name: str) -> Path:
        path = self._path(name)
        return path.with_name(path.name + PENDING)

    def write(self, name: str, chunks: Iterable[bytes]) -> Written:
        part = self._part(name)
        source = _Source(chunks)
        digest, size = hashlib.sha256(), 0
        try:
            self._make_dirs(part.parent)
            with open(part, "xb") as out:
                for chunk in source:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            _fsync_directory(part.parent)
        except OSError as exc:
            if exc is source.error:
                self._remove(part, name)
                raise
            failure = _storage_failure(name, exc)  # logged before the cleanup's own errors
            self._remove(part, name)
            raise failure from exc
        except BaseException:
            self._remove(part, name)
            raise
        return Written(size, digest.hexdigest())

    def _remove(self, path: Path, name: str) -> None:
        """Remove a file of a failed upload; one that stays is logged, never raised."""
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.error(
                "photo file %s%s: could not remove it after a failed upload (%s); "
                "`xmlapi check` reports it as an orphan",
                name,
                PENDING,
                exc,
            )

    def _make_dirs(self, directory: Path) -> None:
        if directory.is_dir():
            return
        directory.mkdir(parents=True, exist_ok=True)
        _fsync_directory(directory.parent)

    def read_pending(self, name: str) -> BinaryIO:
        try:
            return open(self._part(name), "rb")
        except OSError as exc:
            raise _storage_failure(name, exc) from exc

    def publish(self, names: Iterable[str]) -> None:
        # The rows have committed, so nothing here may fail the request: a .part file
        # left behind is finished by its first read (or `xmlapi check --fix`).
        directories = set()
        for name in names:
            try:
                self._finish(name)
            except OSError:
                log.exception("photo file %s: rename into place failed", name)
            directories.add(self._path(name).parent)
        for directory in directories:
            try:
                _fsync_directory(directory)
            except OSError:
                log.exception("photo directory %s: fsync failed", directory)

    def _finish(self, name: str) -> None:
        path = self._path(name)
        try:
            os.replace(self._part(name), path)
        except FileNotFoundError:
            # A reader may have finished it first; only a file gone from both names fails.
            if not path.exists():
                raise

    def discard(self, names: Iterable[str]) -> None:
        for name in names:
            self._remove(self._part(name), name)

    def open(self, name: str) -> StoredFile:
        # The caller closes the stream (it is served after this returns).
        path = self._path(name)
        try:
            stream = open(path, "rb")  # noqa: SIM115
        except FileNotFoundError:
            if not self._part(name).exists():
                raise
            stream = self._open_unfinished(name)
        return StoredFile(stream, os.fstat(stream.fileno()).st_size)

    def _open_unfinished(self, name: str) -> BinaryIO:
        """A committed file still under its temporary name: finish its rename, or, when
        the store cannot (a read-only disk), serve it from where it is."""
        log.warning("photo file %s: finishing an upload interrupted after commit", name)
        try:
            self._finish(name)
        except FileNotFoundError:
            raise
        except OSError as exc:
            log.error("photo file %s: rename into place failed (%s); served as it is", name, exc)
            return open(self._part(name), "rb")
        return open(self._path(name), "rb")

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            for path in (self._path(name), self._part(name)):
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    log.exception("photo file %s: could not remove it; it is an orphan now", name)

    def entries(self) -> Iterator[Entry]:
        if not self.root.is_dir():
            return
        for directory, _dirs, files in os.walk(self.root):
            for file_name in files:
                path = Path(directory, file_name)
                name = path.relative_to(self.root).as_posix()
                pending = name.endswith(PENDING)
                yield Entry(
                    name.removesuffix(PENDING) if pending else name,
                    pending,
                    path.stat().st_mtime,
                )

    def remove(self, entry: Entry) -> None:
        (self._part(entry.name) if entry.pending else self._path(entry.name)).unlink(
            missing_ok=True
        )


class _Source:
    """Chunks to store; remembers what reading them raised, so that a client's failure
    (a reset connection is an OSError too) is never taken for the store's."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._chunks
        except BaseException as exc:
            self.error = exc
            raise


# errno values that mean "no room"; any other OSError means the store cannot be written.
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


def _storage_failure(name: str, exc: OSError) -> StorageFailed:
    """The catalog error for a store that failed; logs the cause (paths stay in the log)."""
    log.error("photo file %s: the store failed: %s", name, exc)
    if exc.errno in _NO_SPACE:
        return StorageFull("The photo store is full; nothing was stored. Try again later.")
    return StorageUnavailable(
        "The photo store cannot be written to right now; nothing was stored. Try again later."
    )


def _fsync_directory(directory: Path) -> None:
    """Make a new or renamed directory entry durable."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def store_from_settings(settings: Settings) -> PhotoStore:
    """The store the service uses: files under ``<data dir>/photos``."""
    return FileSystemStore(root=Path(settings.data_dir) / "photos")


# Scales -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scaled:
    """One made scale, encoded."""

    size: str
    format: str
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class Picture:
    """What an upload turned out to be: its type, upright size and the made scales."""

    format: str
    width: int
    height: int
    scales: list[Scaled] = field(default_factory=list)


def sniff(head: bytes) -> str | None:
    """The image type the first bytes announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


class DecodeSlots:
    """How many images this process decodes at once: each decode holds a slot, and a
    caller that finds none free for ``wait`` seconds gets DecoderBusy."""

    def __init__(self, count: int, *, wait: float = DECODE_WAIT_SECONDS) -> None:
        self._slots = threading.BoundedSemaphore(count)
        self.wait = wait

    @contextmanager
    def held(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait):
            raise DecoderBusy(
                "Too many photos are being processed right now; send it again shortly.",
                DECODE_RETRY_AFTER,
            )
        try:
            yield
        finally:
            self._slots.release()


@dataclass(frozen=True)
class DecodeLimits:
    """What one upload may cost to decode, and the slots decodes share (None: no bound)."""

    max_pixels: int = MAX_PIXELS
    max_bytes: int = MAX_DECODE_BYTES
    slots: DecodeSlots | None = None


NO_SLOTS = DecodeLimits()


def limits_from_settings(settings: Settings) -> DecodeLimits:
    """The limits of one worker process: its own slots."""
    return DecodeLimits(
        max_bytes=settings.max_decode_bytes, slots=DecodeSlots(settings.decodes_per_worker)
    )


def make_scales(stream: BinaryIO, kind: str, *, limits: DecodeLimits = NO_SLOTS) -> Picture:
    """Check the image in ``stream`` and make its 512 and 256 scales, upright.

    Raises ImageTooLarge when the header claims more pixels, or more decoded bytes, than
    ``limits`` allow (nothing is decoded then), DecoderBusy when no decode slot frees up
    in time, and UnsupportedImage when Pillow cannot open, verify or decode it.
    """
    _check(stream, kind, limits.max_pixels)
    try:
        with _open(stream, kind) as image:
            size = image.size
            image.draft(image.mode, _times(_fit(size, 512), REDUCING_GAP))
            _check_decoded_bytes(image, kind, limits.max_bytes)
            with _decoding(limits):
                # A PNG's EXIF may follow its pixels: reading it decodes them.
                orientation = image.getexif().get(_EXIF_ORIENTATION)
                icc_profile = None if image.mode == "CMYK" else image.info.get("icc_profile")
                large = _reduced(image, 512)
                image.close()  # the decoded pixels go before the slot does
        return _picture(kind, size, orientation, icc_profile, large)
    except Image.DecompressionBombError:
        raise ImageTooLarge(_too_large_message(limits.max_pixels)) from None
    except _UNREADABLE as exc:
        raise _unreadable(kind, exc) from None


@contextmanager
def _decoding(limits: DecodeLimits) -> Iterator[None]:
    """Hold a decode slot (when there are slots); afterwards hand freed memory back."""
    with nullcontext() if limits.slots is None else limits.slots.held():
        try:
            yield
        finally:
            _give_back_memory()


def _picture(
    kind: str,
    size: tuple[int, int],
    orientation: int | None,
    icc_profile: bytes | None,
    large: Image.Image,
) -> Picture:
    """The upright scales of a reduced image; ``size`` is the original's, as stored."""
    turn = _ORIENTATIONS.get(orientation)
    width, height = size if orientation not in (5, 6, 7, 8) else size[::-1]
    large.thumbnail((512, 512), reducing_gap=REDUCING_GAP)
    if turn is not None:
        large = large.transpose(turn)
    small = large.copy()
    small.thumbnail((256, 256), reducing_gap=REDUCING_GAP)
    scales = [_encode("512", large, icc_profile), _encode("256", small, icc_profile)]
    return Picture(kind, width, height, scales)


def _check(stream: BinaryIO, kind: str, max_pixels: int) -> None:
    """Open the header only: refuse a bomb by its claimed size, then verify the bytes."""
    try:
        with _open(stream, kind) as image:
            if image.width * image.height > max_pixels:
                raise ImageTooLarge(_too_large_message(max_pixels))
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(_too_large_message(max_pixels)) from None
    except _UNREADABLE as exc:
        raise _unreadable(kind, exc) from None


def _unreadable(kind: str, exc: Exception) -> UnsupportedImage:
    """415 for bytes Pillow refused; its words stay in the log (they can name our files)."""
    log.info("refused an unreadable %s upload: %s", kind, exc)
    return UnsupportedImage(
        f"The bytes are not a readable {kind.upper()} image (damaged, truncated or not "
        "what they claim to be); send the image's raw bytes as the body."
    )


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library has none."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def _give_back_memory() -> None:
    """Return freed pages to the system. glibc keeps what a thread freed in that
    thread's arena: without this, a worker whose threads each decoded one large image
    once keeps that much memory per thread for good."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _check_decoded_bytes(image: Image.Image, kind: str, max_bytes: int) -> None:
    """Refuse, from the header, an image that would take more than ``max_bytes`` decoded
    (at the size it will be decoded at: a JPEG's draft is already set)."""
    pixel_bytes = _PIXEL_BYTES.get(image.mode, 4) * _DECODER_COPIES.get(kind, 1)
    needed = image.width * image.height * pixel_bytes
    if needed > max_bytes:
        raise ImageTooLarge(
            f"The image would take {needed / 1e6:.0f} MB of memory to decode; at most "
            f"{max_bytes / 1e6:.0f} MB are allowed. Send a smaller image (fewer pixels)."
        )


def _open(stream: BinaryIO, kind: str) -> Image.Image:
    stream.seek(0)
    image = Image.open(stream, formats=_DECODERS[kind])
    if _PILLOW_FORMATS.get(image.format) != kind:
        image.close()
        raise UnidentifiedImageError(f"found {image.format}, not {kind.upper()}")
    return image


def _too_large_message(max_pixels: int) -> str:
    return (
        f"The image claims more than {max_pixels} pixels; send one of at most "
        f"{max_pixels // 1_000_000} megapixels."
    )


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """``size`` shrunk to fit a ``box`` square, keeping its aspect; never enlarged."""
    scale = min(box / size[0], box / size[1], 1)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _times(size: tuple[int, int], factor: float) -> tuple[int, int]:
    return round(size[0] * factor), round(size[1] * factor)


def _reduced(image: Image.Image, box: int) -> Image.Image:
    """The decoded image in a mode scales are made in, reduced by a whole factor to no
    less than twice ``box``: converted and reduced strip by strip, never copied whole."""
    fit = _fit(image.size, box)
    factor = tuple(
        max(1, int(whole / part / REDUCING_GAP))
        for whole, part in zip(image.size, fit, strict=True)
    )
    rows = max(1, STRIP_BYTES // (image.width * 4) // factor[1]) * factor[1]
    canvas = None
    for top in range(0, image.height, rows):
        strip = _scalable(image.crop((0, top, image.width, min(image.height, top + rows))))
        if factor != (1, 1):
            strip = strip.reduce(factor)
        if canvas is None:
            size = (-(-image.width // factor[0]), -(-image.height // factor[1]))
            canvas = Image.new(strip.mode, size)
        canvas.paste(strip, (0, top // factor[1]))
    return canvas


def _scalable(image: Image.Image) -> Image.Image:
    """The image in a mode scales can be resized and saved in; 16-bit greys are brought
    down to 8 bits (Pillow would clip them to white)."""
    if image.mode in _SCALABLE_MODES:
        return image
    if image.mode.startswith("I"):
        return image.point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def _encode(size: str, image: Image.Image, icc_profile: bytes | None) -> Scaled:
    """PNG when the scale has transparent pixels, JPEG otherwise."""
    if image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema()[0] < 255:
        fmt, options = "png", {}
    else:
        image = image.convert("L" if image.mode in ("L", "LA") else "RGB")
        fmt, options = "jpeg", {"quality": JPEG_QUALITY}
    if icc_profile:
        options["icc_profile"] = icc_profile
    out = io.BytesIO()
    image.save(out, fmt.upper(), **options)
    return Scaled(size, fmt, image.width, image.height, out.getvalue())


# Rows ---------------------------------------------------------------------------------


def _new_name(size: str, fmt: str, token: str) -> str:
    return f"{token[:2]}/{token}_{size}.{EXTENSIONS[fmt]}"


def _peek(chunks: Iterable[bytes], length: int) -> tuple[bytes, Iterator[bytes]]:
    """The first ``length`` bytes of ``chunks``, and all of them again."""
    iterator, head = iter(chunks), b""
    taken: list[bytes] = []
    for chunk in iterator:
        taken.append(chunk)
        head += chunk
        if len(head) >= length:
            break
    return head[:length], itertools.chain(taken, iterator)


def add(
    session: Session,
    store: PhotoStore,
    product_id: int,
    body: Iterable[bytes],
    *,
    source_name: str | None = None,
    limits: DecodeLimits = NO_SLOTS,
) -> ProductPhoto:
    """Store an uploaded image and its scales as the product's last photo; commits.

    Raises NotFound, UnsupportedImage (not a JPEG, PNG, GIF or WebP we can read),
    ImageTooLarge, DecoderBusy, StorageFull, StorageUnavailable and RuleBroken (a source
    name over 1023 characters); whatever reading ``body`` raises passes through. Nothing
    is left behind on any failure (a file that cannot be removed is logged).
    """
    product = products.get_plain(session, product_id)
    # No transaction stays open while the body arrives and the scales are made.
    session.commit()
    if source_name is not None and len(source_name) > SOURCE_NAME_LENGTH:
        raise RuleBroken(
            "The Content-Location is too long to keep as the photo's source name.",
            {"Content-Location": f"At most {SOURCE_NAME_LENGTH} characters."},
        )
    head, body = _peek(body, 12)
    kind = sniff(head)
    if kind is None:
        raise UnsupportedImage(
            "The request body is empty; send the image's bytes."
            if not head
            else "Not a JPEG, PNG, GIF or WebP image; send the image's raw bytes as the body."
        )
    token = secrets.token_hex(16)
    written: list[str] = []
    try:
        photo = _write_photo(session, store, product, body, kind, token, written, limits)
        photo.source_name = source_name
        stamp(product)
        writes.commit(session)
    except BaseException:
        _undo(session, store, written)
        raise
    store.publish(written)
    return photo


def _undo(session: Session, store: PhotoStore, written: list[str]) -> None:
    """Roll back a failed upload and remove its files; a failure here is logged and
    never replaces the error that made the upload fail."""
    try:
        session.rollback()
    except Exception:
        log.exception("rollback after a failed photo upload failed")
    store.discard(written)


def _write_photo(
    session: Session,
    store: PhotoStore,
    product: Any,
    body: Iterable[bytes],
    kind: str,
    token: str,
    written: list[str],
    limits: DecodeLimits,
) -> ProductPhoto:
    """Write the original and its scales under temporary names (each name is added to
    ``written`` once it is on disk) and add the photo's rows to the session."""
    original = _new_name("original", kind, token)
    saved = store.write(original, body)
    written.append(original)
    started = time.perf_counter()
    with store.read_pending(original) as stream:
        picture = make_scales(stream, kind, limits=limits)
    elapsed = time.perf_counter() - started
    log.debug("scales of a %d-byte %s made in %.3fs", saved.size, kind, elapsed)
    rows = []
    for scaled in picture.scales:
        name = _new_name(scaled.size, scaled.format, token)
        stored = store.write(name, [scaled.data])
        written.append(name)
        rows.append(_scale_row(scaled.size, name, scaled.format, scaled, stored))
    rows.append(_scale_row("original", original, kind, picture, saved))
    last = session.scalar(
        select(func.max(ProductPhoto.sort_order)).where(ProductPhoto.product_id == product.id)
    )
    photo = ProductPhoto(product_id=product.id, sort_order=0 if last is None else last + 1)
    photo.scales = rows
    session.add(photo)
    return photo


def _scale_row(size: str, name: str, fmt: str, image: Any, stored: Written) -> PhotoScale:
    return PhotoScale(
        size=size,
        filename=name,
        format=fmt,
        width=image.width,
        height=image.height,
        byte_size=stored.size,
        digest=stored.digest,
    )


def photos_of(session: Session, product_id: int) -> list[ProductPhoto]:
    """The product's photos with their scales, in sort order; raises NotFound."""
    products.get_plain(session, product_id)
    return list(
        session.scalars(
            select(ProductPhoto)
            .where(ProductPhoto.product_id == product_id)
            .options(selectinload(ProductPhoto.scales))
            .order_by(ProductPhoto.sort_order, ProductPhoto.id)
        )
    )


def get(session: Session, product_id: int, photo_id: int) -> ProductPhoto:
    """A photo of the product with its scales; raises NotFound."""
    photo = session.scalar(
        select(ProductPhoto)
        .where(ProductPhoto.id == photo_id, ProductPhoto.product_id == product_id)
        .options(selectinload(ProductPhoto.scales))
        .execution_options(populate_existing=True)
    )
    if photo is None:
        raise NotFound(f"Product {product_id} has no photo with id {photo_id}.")
    return photo


def update(
    session: Session, product_id: int, photo_id: int, changes: Mapping[str, Any]
) -> ProductPhoto:
    """Change the photo's ``sort_order`` when ``changes`` carries it; commits."""
    photo = get(session, product_id, photo_id)
    if "sort_order" in changes:
        photo.sort_order = changes["sort_order"]
        stamp(products.get_plain(session, product_id))
    writes.commit(session)
    return photo


def delete(session: Session, store: PhotoStore, product_id: int, photo_id: int) -> None:
    """Delete the photo, then its files once the delete has committed."""
    photo = get(session, product_id, photo_id)
    names = [scale.filename for scale in photo.scales]
    session.delete(photo)
    stamp(products.get_plain(session, product_id))
    writes.commit(session)
    store.delete(names)


# Asked for every image fetched: a prebuilt Core statement returning a plain row.
_SCALE = (
    select(
        PhotoScale.photo_id,
        PhotoScale.size,
        PhotoScale.filename,
        PhotoScale.format,
        PhotoScale.digest,
    )
    .join(ProductPhoto, PhotoScale.photo_id == ProductPhoto.id)
    .where(
        ProductPhoto.id == bindparam("photo_id"),
        ProductPhoto.product_id == bindparam("product_id"),
        PhotoScale.size == bindparam("size"),
    )
)


def scale_of(connection: Connection, product_id: int, photo_id: int, size: str) -> Row:
    """The scale ``size`` of a photo of the product (photo_id, size, filename, format,
    digest); raises NotFound."""
    scale = connection.execute(
        _SCALE, {"photo_id": photo_id, "product_id": product_id, "size": size}
    ).first()
    if scale is None:
        raise NotFound(f"Product {product_id} has no photo with id {photo_id}.")
    return scale


def open_scale(store: PhotoStore, scale: Row) -> StoredFile:
    """The scale's file, open; raises PhotoFileMissing (and logs it) when it is gone."""
    try:
        return store.open(scale.filename)
    except FileNotFoundError:
        log.error(
            "PHOTO FILE MISSING: photo %s scale %s names %s, which the store does not have; "
            "run `xmlapi check`",
            scale.photo_id,
            scale.size,
            scale.filename,
        )
        raise PhotoFileMissing(
            f"The file of photo {scale.photo_id} ({scale.size}) is missing; this was logged."
        ) from None


# Checking the store against the rows ----------------------------------------------------


@dataclass
class CheckReport:
    """What ``check`` found: rows whose files are gone, uploads whose rename was cut off
    after their commit, and files no row names."""

    photos: int = 0
    missing: list[tuple[int, str, str]] = field(default_factory=list)  # (photo, size, name)
    unfinished: list[str] = field(default_factory=list)
    orphans: list[Entry] = field(default_factory=list)


def check(session: Session, store: PhotoStore, *, min_age: dt.timedelta) -> CheckReport:
    """Compare the store with the rows. Files younger than ``min_age`` are left out of
    the orphans: they may belong to an upload that has not committed yet."""
    # Files first, rows second: a photo committed in between shows as unfinished, not
    # as missing, and a photo deleted in between shows as an orphan it already is.
    cutoff = time.time() - min_age.total_seconds()
    final, pending = {}, {}
    for entry in store.entries():
        (pending if entry.pending else final)[entry.name] = entry
    report = CheckReport()
    named: set[str] = set()
    for photo_id, size, name in session.execute(
        select(PhotoScale.photo_id, PhotoScale.size, PhotoScale.filename).order_by(
            PhotoScale.photo_id, PhotoScale.id
        )
    ):
        named.add(name)
        if name in final:
            continue
        if name in pending:
            report.unfinished.append(name)
        else:
            report.missing.append((photo_id, size, name))
    report.photos = session.scalar(select(func.count()).select_from(ProductPhoto))
    report.orphans = [
        entry
        for entry in itertools.chain(final.values(), pending.values())
        if entry.name not in named and entry.modified <= cutoff
    ]
    return report


def fix(store: PhotoStore, report: CheckReport) -> None:
    """Finish the unfinished uploads and remove the orphans ``report`` found."""
    store.publish(report.unfinished)
    for entry in report.orphans:
        store.remove(entry)
