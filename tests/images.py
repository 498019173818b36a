"""Real images made by Pillow for the photo tests (small unless a size matters)."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Iterable

from PIL import Image

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 160, 0)
ORIENTATION = 0x0112


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def halves(size: tuple[int, int], left=RED, right=BLUE, mode: str = "RGB") -> Image.Image:
    """Left half one colour, right half another: shows which way a scale was turned."""
    image = Image.new(mode, size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def jpeg(size=(40, 20), orientation: int | None = None, **options) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    return encode(halves(size), "JPEG", exif=exif, quality=95, **options)


def png_with_alpha(size=(30, 20)) -> bytes:
    """Opaque red on the left, fully transparent on the right."""
    return encode(halves(size, (*RED, 255), (0, 0, 0, 0), mode="RGBA"), "PNG")


def opaque_rgba_png(size=(30, 20)) -> bytes:
    return encode(halves(size, (*RED, 255), (*BLUE, 255), mode="RGBA"), "PNG")


def gif(size=(30, 20), transparent: bool = False) -> bytes:
    image = halves(size).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    if transparent:
        return encode(image, "GIF", transparency=image.getpixel((size[0] - 1, 0)))
    return encode(image, "GIF")


def webp(size=(30, 20)) -> bytes:
    return encode(halves(size), "WEBP", quality=90)


def noise_png(byte_count: int) -> bytes:
    """A PNG of random pixels at least ``byte_count`` bytes long (noise does not compress)."""
    import os

    side = int((byte_count / 3) ** 0.5) + 2
    return encode(Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)), "PNG")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width=50_000, height=50_000) -> bytes:
    """A PNG of a few dozen bytes whose header claims ``width`` x ``height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def jpeg_bomb(width=50_000, height=50_000) -> bytes:
    """A small real JPEG whose frame header is rewritten to claim a huge size."""
    data = bytearray(jpeg((16, 16)))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _png(width: int, height: int, depth: int, colour_type: int, rows: Iterable[bytes]) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(b"\x00" + row) for row in rows) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


@functools.cache
def rgba16_png(width: int = 9400, height: int = 9400) -> bytes:
    """A transparent 16-bit RGBA PNG: the 9400x9400 default is 687 KB of bytes, 88
    megapixels (under the pixel cap) and 353 MB once decoded."""
    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    data = _zeros_zlib(height * (1 + width * 8))  # every row: filter 0, then zeros
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def _zeros_zlib(length: int, block: int = 1 << 23) -> bytes:
    """zlib data of ``length`` zero bytes, made in a blink: the compressor starts afresh
    after a full flush, so one compressed block of zeros stands for every other one
    (compressing the 700 MB of such an image would take seconds)."""
    count, rest = divmod(length, block)
    blocks = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = blocks.compress(bytes(block)) + blocks.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    end = last.compress(bytes(rest)) + last.flush()
    adler32 = (length % 65521) << 16 | 1  # of zeros: a stays 1, b counts them
    return b"\x78\xda" + one * count + end + struct.pack(">I", adler32)


def grey16_gradient_png(width: int = 600, height: int = 300) -> bytes:
    """A 16-bit greyscale PNG, black on the left to white on the right."""
    row = b"".join(struct.pack(">H", x * 65535 // (width - 1)) for x in range(width))
    return _png(width, height, 16, 0, (row for _ in range(height)))
