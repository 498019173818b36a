"""The ``xmlapi`` command: set up the database, add users, load a demo catalog."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from xmlapi import db, migrate
from xmlapi.catalog import auth, demo
from xmlapi.settings import Settings, SettingsError, from_environ


def _settings() -> Settings:
    try:
        return from_environ()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _engine(settings: Settings) -> Engine:
    if settings.database_url.startswith("sqlite"):
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    return db.make_engine(settings.database_url)


@contextmanager
def _migrated_session() -> Iterator[Session]:
    """A session on the configured database, which must be at the code's schema."""
    engine = _engine(_settings())
    try:
        migrate.check_schema(engine)
        with db.session_scope(engine) as session:
            yield session
    except migrate.SchemaOutdated as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


@click.group()
def main() -> None:
    """Run and administer the XML product service (settings: XMLAPI_* variables)."""


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    settings = _settings()
    _engine(settings).dispose()
    migrate.upgrade(settings.database_url)
    click.echo(f"database at revision {migrate.head_revision(settings.database_url)}")


@main.command("create-user")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--read-only", is_flag=True, help="May read but not write or lock.")
def create_user(name: str, password: str, read_only: bool) -> None:
    """Create an API user (or reset an existing user's password and access)."""
    with _migrated_session() as session:
        try:
            created = auth.save_user(session, name, password, read_only=read_only)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(
        f"{'created' if created else 'updated'} user {name}{' (read-only)' if read_only else ''}"
    )


@main.command("load-demo")
def load_demo() -> None:
    """Load a small believable catalog (skipped when products exist already)."""
    with _migrated_session() as session:
        loaded = demo.load(session)
    click.echo(f"loaded {loaded} demo products" if loaded else "catalog not empty; nothing loaded")


@main.command("register-app")
@click.argument("app_id")
@click.option(
    "--private-id",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="The secret the app sends in X-PAPPID.",
)
@click.option("--read-only", is_flag=True, help="The app may read but not write or lock.")
def register_app(app_id: str, private_id: str, read_only: bool) -> None:
    """Register a client application (checked when XMLAPI_REQUIRE_REGISTERED_APPS=1)."""
    with _migrated_session() as session:
        try:
            created = auth.register_app(session, app_id, private_id, read_only=read_only)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(
        f"{'registered' if created else 'updated'} app {app_id}"
        f"{' (read-only)' if read_only else ''}"
    )
