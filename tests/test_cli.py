"""The xmlapi command: init-db, create-user, load-demo."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text

from tests.conftest import empty_tables
from xmlapi import models
from xmlapi.catalog.auth import authenticate
from xmlapi.cli import main
from xmlapi.db import session_scope


@pytest.fixture
def run(database_url, engine, tmp_path):
    runner = CliRunner()

    def invoke(*args, url=database_url, **env):
        env = {"XMLAPI_DATABASE_URL": url, "XMLAPI_DATA_DIR": str(tmp_path), **env}
        return runner.invoke(main, list(args), env=env)

    yield invoke
    empty_tables(engine)


def test_init_db_creates_the_schema_and_is_idempotent(run, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'x.db'}"
    first = run("init-db", url=url, XMLAPI_DATA_DIR=str(tmp_path / "fresh"))
    assert first.exit_code == 0, first.output
    second = run("init-db", url=url, XMLAPI_DATA_DIR=str(tmp_path / "fresh"))
    assert second.exit_code == 0
    assert first.output == second.output
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM products")) == 0
    engine.dispose()


def test_a_bad_setting_is_one_line_naming_it(run):
    result = run("init-db", XMLAPI_MAX_BODY_BYTES="lots")
    assert result.exit_code != 0
    assert "XMLAPI_MAX_BODY_BYTES" in result.output
    assert "Traceback" not in result.output


def test_create_user_stores_a_slow_hash(run, engine):
    result = run("create-user", "alice", "--password", "correct horse")
    assert result.exit_code == 0, result.output
    with session_scope(engine) as session:
        user = session.scalar(select(models.User))
        assert user.name == "alice"
        assert "correct horse" not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert authenticate(session, "alice", "correct horse").id == user.id
        assert authenticate(session, "alice", "wrong password") is None
        assert user.read_only is False


def test_create_user_again_resets_password_and_access(run, engine):
    run("create-user", "bob", "--password", "first password")
    result = run("create-user", "bob", "--password", "second password", "--read-only")
    assert result.exit_code == 0
    assert "updated" in result.output
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.User)) == 1
        assert authenticate(session, "bob", "second password").read_only is True


def test_create_user_refuses_short_passwords(run):
    result = run("create-user", "carol", "--password", "short")
    assert result.exit_code != 0
    assert "at least" in result.output


def test_load_demo_loads_a_catalog_once(run, engine):
    result = run("load-demo")
    assert result.exit_code == 0, result.output
    with session_scope(engine) as session:
        count = session.scalar(select(func.count()).select_from(models.Product))
        master = session.scalar(select(models.Product).where(models.Product.code == "OXF"))
        children = session.scalars(
            select(models.Product).where(models.Product.master_id == master.id)
        ).all()
        cost_count = session.scalar(select(func.count()).select_from(models.SupplierCost))
        serial_count = session.scalar(select(func.count()).select_from(models.SerialNumber))
    assert count >= 10
    assert cost_count >= 5 and serial_count >= 1
    assert master.master_model is True
    assert len(children) == 6
    assert {child.code for child in children} >= {"OXF-NVY-S", "OXF-RED-L"}
    assert "nothing loaded" in run("load-demo").output


def test_commands_refuse_an_unmigrated_database(run, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run("create-user", "dave", "--password", "long enough", url=url)
    assert result.exit_code != 0
    assert "xmlapi init-db" in result.output
