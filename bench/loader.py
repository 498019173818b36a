"""Bulk loading of a generated catalog straight into the database (SQLAlchemy Core).

The HTTP create path is measured separately (the ``create`` scenario); this loader is
how a big catalog gets there in seconds: batches of executemany inserts.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import secrets
import sys
import time
from decimal import Decimal
from pathlib import Path, PurePosixPath

from PIL import Image
from sqlalchemy import Engine, insert

from xmlapi import models
from xmlapi.catalog import photos, scales

BATCH = 2000
RAW_SHARE = Decimal("0.55")
LINKS_PER_SEED = 50_000  # what a product costs, as a share of its sell
FAMILIES = ("Shirts", "Socks", "Mugs", "Boots", "Belts", "Caps", "Bags", "Gloves")
WORDS = (
    "linen",
    "merino",
    "enamel",
    "trail",
    "leather",
    "canvas",
    "wool",
    "cotton",
    "crème",
    "brûlée",
    "summer",
    "winter",
    "navy",
    "red",
    "olive",
    "sand",
)


def progress(label: str, done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(
        f"\r{label:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({rate:,.0f}/s)"
    )
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _reference_data(engine: Engine) -> dict[str, list[int]]:
    with engine.begin() as connection:
        currency = connection.execute(
            insert(models.Currency)
            .values(code="USD", name="US dollar", exchange_rate=Decimal(1))
            .returning(models.Currency.id)
        ).scalar_one()
        suppliers = (
            connection.execute(
                insert(models.Supplier).returning(models.Supplier.id),
                [
                    {"name": f"Supplier {i}", "code": f"S{i}", "currency_id": currency}
                    for i in range(10)
                ],
            )
            .scalars()
            .all()
        )
        classes = (
            connection.execute(
                insert(models.ProductClass).returning(models.ProductClass.id),
                [{"name": name} for name in ("Apparel", "Footwear", "Kitchen")],
            )
            .scalars()
            .all()
        )
    return {"currency": [currency], "suppliers": list(suppliers), "classes": list(classes)}


def _product(i: int, rng: random.Random, refs: dict[str, list[int]]) -> dict:
    sell = Decimal(rng.randrange(100, 50_000)) / 100
    words = " ".join(rng.sample(WORDS, 3))
    return {
        "code": f"BENCH-{i:07d}",
        "description": f"{words.capitalize()} item {i}",
        "family": rng.choice(FAMILIES),
        "sell": sell,
        "class_id": rng.choice(refs["classes"]),
        "currency_id": refs["currency"][0],
        "upc": f"{rng.randrange(10**11, 10**12)}",
        "available": Decimal(rng.randrange(0, 500)),
        "web": i % 3 == 0,
        "supplier_id": rng.choice(refs["suppliers"]),
        "supplier_code": f"SC-{i}",
    }


def load(engine: Engine, count: int, seed: int = 7, photo_rows=None) -> list[int]:
    """Insert ``count`` products, each with one default supplier cost (and, when
    ``photo_rows`` is given, the photo rows it makes per product id); returns the ids."""
    rng = random.Random(seed)
    refs = _reference_data(engine)
    started = time.perf_counter()
    ids: list[int] = []
    for start in range(0, count, BATCH):
        batch = [_product(i, rng, refs) for i in range(start, min(start + BATCH, count))]
        with engine.begin() as connection:
            new_ids = (
                connection.execute(
                    insert(models.Product).returning(
                        models.Product.id, sort_by_parameter_order=True
                    ),
                    batch,
                )
                .scalars()
                .all()
            )
            connection.execute(
                insert(models.SupplierCost),
                [
                    {
                        "product_id": pid,
                        "supplier_id": row["supplier_id"],
                        "supplier_product_code": row["supplier_code"],
                        "raw": (row["sell"] * RAW_SHARE).quantize(Decimal("0.0001")),
                        "is_default": True,
                    }
                    for pid, row in zip(new_ids, batch, strict=True)
                ],
            )
            if photo_rows is not None:
                photo_rows(connection, new_ids)
        ids.extend(new_ids)
        progress("products", len(ids), count, started)
    return ids


class PhotoFiles:
    """One photo made by the service's own scaling code, given to every product: each
    product gets its own rows and file names, hard links to the same bytes (a catalog of
    100 000 photos in seconds, without 300 000 copies)."""

    def __init__(self, root: Path):
        self.root = root
        image = Image.linear_gradient("L").resize((1600, 1200))
        original = io.BytesIO()
        Image.merge("RGB", (image, image.rotate(90), image.rotate(180))).save(
            original, "JPEG", quality=85
        )
        picture = scales.make_scales(io.BytesIO(original.getvalue()), "jpeg")
        made = [(s.size, s.format, s.width, s.height, s.data) for s in picture.scales]
        made.append(("original", "jpeg", picture.width, picture.height, original.getvalue()))
        self.scales = [(*scale, hashlib.sha256(scale[-1]).hexdigest()) for scale in made]
        self.linked = 0
        self._new_seeds()

    def _new_seeds(self) -> None:
        """Fresh files to link to (ext4 allows 65 000 links to one file)."""
        self.seeds = {}
        for size, fmt, _w, _h, data, _digest in self.scales:
            seed = self.root / "_bench_seed" / f"{self.linked}_{size}.{fmt}"
            seed.parent.mkdir(parents=True, exist_ok=True)
            seed.write_bytes(data)
            self.seeds[size] = seed

    def scale_path(self, name: str) -> Path:
        return self.root.joinpath(*PurePosixPath(name).parts)

    def add(self, connection, product_ids: list[int]) -> None:
        photo_ids = (
            connection.execute(
                insert(models.ProductPhoto).returning(
                    models.ProductPhoto.id, sort_by_parameter_order=True
                ),
                [
                    {"product_id": pid, "sort_order": 0, "source_name": "bench.jpg"}
                    for pid in product_ids
                ],
            )
            .scalars()
            .all()
        )
        scale_rows = []
        for photo_id in photo_ids:
            if self.linked and self.linked % LINKS_PER_SEED == 0:
                self._new_seeds()
            self.linked += 1
            token = secrets.token_hex(16)
            for size, fmt, width, height, data, digest in self.scales:
                name = f"{token[:2]}/{token}_{size}.{photos.EXTENSIONS[fmt]}"
                path = self.scale_path(name)
                path.parent.mkdir(exist_ok=True)
                os.link(self.seeds[size], path)
                scale_rows.append(
                    {
                        "photo_id": photo_id,
                        "size": size,
                        "filename": name,
                        "format": fmt,
                        "width": width,
                        "height": height,
                        "byte_size": len(data),
                        "digest": digest,
                    }
                )
        connection.execute(insert(models.PhotoScale), scale_rows)
