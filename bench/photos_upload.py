"""How long an upload of a 12-megapixel JPEG keeps its request busy.

Prints the median time of making the 512 and 256 scales (what Pillow does inside the
request), and of the whole catalog upload: writing the original and the scales under
temporary names with fsync, the rows, the commit and the renames (SQLite in a temporary
directory). Run: .venv/bin/python bench/photos_upload.py [rounds]
"""

from __future__ import annotations

import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from xmlapi import db, migrate
from xmlapi.catalog import photo_store, photos, scales
from xmlapi.models import Product
from xmlapi.settings import Settings

WIDTH, HEIGHT = 4000, 3000  # 12 megapixels, a common phone camera


def photo_like_jpeg() -> bytes:
    """A 12 MP JPEG with gradients and grain, about the size a camera writes."""
    gradient = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    grain = Image.effect_noise((WIDTH, HEIGHT), 24)
    image = Image.merge("RGB", (gradient, grain, gradient.transpose(Image.Transpose.ROTATE_180)))
    exif = Image.Exif()
    exif[0x0112] = 6  # taken in portrait: the scales must be turned
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def timed(call, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(rounds: int) -> None:
    data = photo_like_jpeg()
    print(f"12 MP JPEG ({WIDTH}x{HEIGHT}), {len(data) / 1e6:.1f} MB, median of {rounds} rounds")
    made = timed(lambda: scales.make_scales(io.BytesIO(data), "jpeg"), rounds)
    print(f"  scales 512 + 256 made:          {made * 1000:7.1f} ms")
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory))
        migrate.upgrade(settings.database_url)
        engine = db.make_engine(settings.database_url)
        store = photo_store.store_from_settings(settings)
        try:
            with db.session_scope(engine) as session:
                product = Product(code="BENCH")
                session.add(product)
                session.flush()
                product_id = product.id
            with db.session_scope(engine) as session:
                chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
                upload = timed(lambda: photos.add(session, store, product_id, chunks), rounds)
        finally:
            engine.dispose()
    print(f"  whole upload (files, rows, commit): {upload * 1000:7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
