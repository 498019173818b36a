"""The ``xmlapi`` command: set up the database, add users, load a demo catalog, check the
photo files against their rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from xmlapi import db, migrate
from xmlapi.catalog import auth, demo, organizations, photos
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


@main.command("create-org")
@click.argument("name")
def create_org(name: str) -> None:
    """Create an organization; prints its id."""
    with _migrated_session() as session:
        try:
            organization = organizations.create_organization(session, name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        ident = organization.id
    click.echo(f"created organization {ident}: {name.strip()}")


@main.command("create-user")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--read-only", is_flag=True, help="May read but not write or lock.")
@click.option(
    "--org",
    "organization_ids",
    type=click.IntRange(min=1),
    multiple=True,
    help="Make the user a member of this organization (repeatable; the first one is "
    "where the XML API works). Default for a new user: organization 1.",
)
def create_user(
    name: str, password: str, read_only: bool, organization_ids: tuple[int, ...]
) -> None:
    """Create an API user (or reset an existing user's password and access, ending the
    sessions and locks the old password opened)."""
    with _migrated_session() as session:
        try:
            created = auth.save_user(
                session,
                name,
                password,
                read_only=read_only,
                organization_ids=organization_ids or None,
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    access = " (read-only)" if read_only else ""
    click.echo(
        f"created user {name}{access}"
        if created
        else f"updated user {name}{access}; its sessions and their locks have ended"
    )


@main.command("create-token")
@click.argument("user")
@click.option(
    "--org",
    "organization_id",
    type=click.IntRange(min=1),
    help="The organization the token works in (default: the user's first).",
)
@click.option("--read-only", is_flag=True, help="The token may only read.")
@click.option(
    "--expires", "days", type=click.IntRange(min=1), help="Days until it expires (default: never)."
)
def create_token(user: str, organization_id: int | None, read_only: bool, days: int | None) -> None:
    """Create an API token for USER and print it (the only time it is shown; only its
    SHA-256 is stored)."""
    lifetime = dt.timedelta(days=days) if days is not None else None
    with _migrated_session() as session:
        try:
            token, row = organizations.create_token(
                session, user, organization_id, read_only=read_only, lifetime=lifetime
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        details = f"organization {row.organization_id}" + (" read-only" if read_only else "")
        if row.expires is not None:
            details += f", expires {row.expires.isoformat(timespec='seconds')}"
    click.echo(token)
    click.echo(f"token for {user} ({details}); it is not shown again", err=True)


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


@main.command("check")
@click.option("--fix", is_flag=True, help="Remove orphan files; finish cut-off uploads.")
@click.option(
    "--min-age",
    type=click.IntRange(min=0),
    default=3600,
    show_default=True,
    help="Seconds a file without a row must be old to count as an orphan "
    "(younger ones may be uploads in progress).",
)
def check(fix: bool, min_age: int) -> None:
    """Check the photo files against their rows: report rows whose files are missing and
    files no row names (orphans); exit 1 while anything is wrong."""
    store = photos.store_from_settings(_settings())
    with _migrated_session() as session:
        report = photos.check(session, store, min_age=dt.timedelta(seconds=min_age))
    for photo_id, size, name in report.missing:
        click.echo(f"missing: photo {photo_id} ({size}): {name} is missing from the store")
    for name in report.unfinished:
        click.echo(f"unfinished: {name} was committed but not renamed into place")
    for entry in report.orphans:
        click.echo(f"orphan: {entry.name}{photos.PENDING if entry.pending else ''}")
    problems = len(report.missing) + len(report.unfinished) + len(report.orphans)
    click.echo(
        f"{report.photos} photos; {len(report.missing)} missing files, "
        f"{len(report.unfinished)} unfinished, {len(report.orphans)} orphan files"
        + ("" if problems else ": no problems")
    )
    if fix and (report.unfinished or report.orphans):
        photos.fix(store, report)
        click.echo(
            f"finished {len(report.unfinished)} uploads, removed {len(report.orphans)} orphan files"
        )
    if report.missing or (not fix and problems):
        raise SystemExit(1)
