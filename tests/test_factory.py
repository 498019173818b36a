"""The app factory and the WSGI entry point refuse to start when they should."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xmlapi import create_app
from xmlapi.migrate import SchemaOutdated
from xmlapi.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_refuses_an_unmigrated_database(tmp_path):
    with pytest.raises(SchemaOutdated, match="xmlapi init-db"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'new.db'}"))


def test_refuses_a_database_older_than_the_code(tmp_path):
    from alembic import command

    from xmlapi.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "base")
    with pytest.raises(SchemaOutdated):
        create_app(Settings(database_url=url))


def _wsgi(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_wsgi_stops_with_one_line_on_a_bad_setting(tmp_path):
    result = _wsgi(
        {
            "XMLAPI_DATA_DIR": str(tmp_path),
            "XMLAPI_TAX_INCLUSIVE": "perhaps",
            "PATH": "/usr/bin:/bin",
        }
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "xmlapi: XMLAPI_TAX_INCLUSIVE='perhaps': expected 1/0, true/false, yes/no or on/off"
    ]


def test_wsgi_stops_with_one_line_on_an_old_schema(tmp_path):
    result = _wsgi({"XMLAPI_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "xmlapi init-db" in lines[0]
