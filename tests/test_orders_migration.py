"""Migration 0010 (orders, boxes, box items) goes up and down on the suite's database
kind: SQLite, or PostgreSQL in a scratch database of its own."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from tests.conftest import _reset_postgresql, _worker_database, worker_name
from xmlapi.migrate import alembic_config

TABLES = {"orders", "boxes", "box_items"}


@pytest.fixture
def scratch_url(tmp_path) -> str:
    url = os.environ.get("XMLAPI_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'migration.db'}"
    scratch = _worker_database(url, f"orders_migration{worker_name()}")
    _reset_postgresql(scratch)
    return scratch


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_orders_tables_come_and_go_with_their_migration(scratch_url):
    config = alembic_config(scratch_url)
    command.upgrade(config, "0010")
    assert tables(scratch_url) >= TABLES
    engine = create_engine(scratch_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO orders (organization_id, number, created_at, updated_at) "
                    "VALUES (1, 'SO-1', :now, :now)"
                ),
                {"now": "2026-01-01 00:00:00"},
            )
    finally:
        engine.dispose()
    command.downgrade(
        config, ScriptDirectory.from_config(config).get_revision("0010").down_revision
    )
    assert not TABLES & tables(scratch_url)
    assert "products" in tables(scratch_url)
    command.upgrade(config, "0010")
    assert tables(scratch_url) >= TABLES
