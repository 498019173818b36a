"""Photo scales: sniffing the type, bounding the decode, and making the 512 and 256 scales.

Decoding is bounded by pixels and by decoded bytes, both read from the header, and by a
few decode slots per process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import logging
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError, features

from xmlapi.catalog.errors import (
    DecoderBusy,
    ImageTooLarge,
    UnsupportedImage,
)
from xmlapi.settings import Settings

log = logging.getLogger(__name__)

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
# The 512 and 256 scales are also kept in these formats, best first, for clients whose
# Accept names them; a Pillow built without one just goes without it. Made at upload
# (measured on a 512 scale: WebP 40 ms, AVIF 75 ms; 256: 8 and 25 ms).
RENDITIONS = tuple(fmt for fmt in ("avif", "webp") if features.check(fmt))
_RENDITION_OPTIONS = {
    "avif": {"quality": 60},
    "webp": {"quality": 80, "method": 4},
}
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
    renditions: list[Scaled] = field(default_factory=list)


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
    renditions = [
        _encode_rendition(size, image, fmt, icc_profile)
        for size, image in (("512", large), ("256", small))
        for fmt in RENDITIONS
    ]
    return Picture(kind, width, height, scales, renditions)


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


def _encode_rendition(size: str, image: Image.Image, fmt: str, icc_profile: bytes | None) -> Scaled:
    """The scale in a modern format (``webp`` or ``avif``), transparency kept."""
    transparent = image.mode in ("RGBA", "LA") and image.getchannel("A").getextrema()[0] < 255
    image = image.convert("RGBA" if transparent else "RGB")
    options = dict(_RENDITION_OPTIONS[fmt])
    if icc_profile:
        options["icc_profile"] = icc_profile
    out = io.BytesIO()
    image.save(out, fmt.upper(), **options)
    return Scaled(size, fmt, image.width, image.height, out.getvalue())


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
