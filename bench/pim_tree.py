"""How long the PIM face takes to upsert a three-level tree (1 style, 10 colours, 10
sizes each: 111 products) in one request, and to list it with root_products_only=true:
``python -m bench.pim_tree [--rounds 3]`` (SQLite; XMLAPI_BENCH_DATABASE_URL for
another database, which must be empty and migrated). Prints the times; target < 2 s."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import event
from werkzeug.security import generate_password_hash

from xmlapi import create_app, migrate
from xmlapi.db import session_scope
from xmlapi.models import Membership, User
from xmlapi.settings import Settings


def tree(index: int, colours: int = 10, sizes: int = 10) -> dict:
    return {
        "code": f"style-{index}",
        "name": f"Style {index}",
        "price_items": [{"price_book_name": "Default", "amount": 49}],
        "variants": {
            f"c{c}": {
                "code": f"style-{index}-c{c}",
                "product_attributes": {"colour": f"Colour {c}"},
                "variants": {
                    f"s{s}": {
                        "code": f"style-{index}-c{c}-s{s}",
                        "product_attributes": {"size": f"Size {s}"},
                        "inventories": [{"inventory_source": "DC1", "qty": 5}],
                    }
                    for s in range(sizes)
                },
            }
            for c in range(colours)
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        url = (
            os.environ.get("XMLAPI_BENCH_DATABASE_URL") or f"sqlite:///{Path(directory) / 'pim.db'}"
        )
        migrate.upgrade(url)
        app = create_app(Settings(data_dir=Path(directory), database_url=url))
        with session_scope(app.extensions["xmlapi.engine"]) as session:
            user = User(name="bench", password_hash=generate_password_hash("bench password"))
            session.add(user)
            session.flush()
            session.add(Membership(user_id=user.id, organization_id=1))
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = "Basic YmVuY2g6YmVuY2ggcGFzc3dvcmQ="
        client.get("/api/pim/products")  # log in once: the password hash is not measured
        statements = _Statements(app.extensions["xmlapi.engine"])
        for round_ in range(args.rounds):
            started = time.perf_counter()
            with statements:
                response = client.post("/api/pim/products", json={"product": tree(round_)})
            created = time.perf_counter() - started
            assert response.status_code == 200, response.get_data(as_text=True)
            creating = statements.count
            started = time.perf_counter()
            with statements:
                response = client.post("/api/pim/products", json={"product": tree(round_)})
            updated = time.perf_counter() - started
            started = time.perf_counter()
            listed = client.get("/api/pim/products?per_page=250")
            listing = time.perf_counter() - started
            assert listed.status_code == 200
            print(
                f"round {round_ + 1}: upsert of 111 new products {created:.3f} s, "
                f"the same again (updates) {updated:.3f} s, "
                f"list of {round_ + 1} trees {listing:.3f} s (target < 2 s); "
                f"statements {creating} / {statements.count}"
            )


class _Statements:
    """Counts the SQL statements sent through ``engine`` inside ``with``."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _record(self, *_args) -> None:
        self.count += 1

    def __enter__(self) -> None:
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._record)

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


if __name__ == "__main__":
    main()
