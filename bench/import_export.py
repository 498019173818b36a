"""Bulk import and export figures: ``python -m bench.import_export [--rows 100000]``
(``make bench-import``). A fresh SQLite database, a generated CSV of ``--rows`` products;
prints the import's and the export's time and the process's peak memory."""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

from xmlapi import migrate
from xmlapi.catalog.pricing import Pricing
from xmlapi.db import make_engine
from xmlapi.transfer import run as transfer

HEADER = ["code", "description", "sell", "current", "weight", "supplier_code", "upc"]


def write_catalog(path: Path, rows: int) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow(
                [
                    f"B-{i:07}",
                    f"Bench product {i}",
                    f"{i % 500}.{i % 100:02}",
                    "true",
                    "0.25",
                    f"SUP-{i % 977}",
                    f"{400000000000 + i}",
                ]
            )


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        url = f"sqlite:///{root / 'bench.db'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        source = root / "catalog.csv"
        write_catalog(source, args.rows)
        started = time.perf_counter()
        outcome = transfer.import_file(engine, source, "csv", Pricing(), progress=False)
        imported = time.perf_counter() - started
        assert outcome.created == args.rows and not outcome.refused, outcome
        after_import = peak_mib()
        started = time.perf_counter()
        with (root / "out.csv").open("w", newline="") as out:
            exported_rows = transfer.export_file(engine, out, "csv")
        exported = time.perf_counter() - started
        engine.dispose()
    print(
        f"import {args.rows} CSV rows (SQLite): {imported:.1f} s "
        f"({args.rows / imported:,.0f} rows/s), peak RSS {after_import:.0f} MiB; "
        f"export {exported_rows} rows: {exported:.1f} s, peak RSS {peak_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
