"""The ``xmlapi`` command: set up the database, add users, load a demo catalog, check the
photo files against their rows."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from xmlapi import cli_feed, db, migrate
from xmlapi.catalog import (
    auth,
    demo,
    organizations,
    photo_check,
    photo_move,
    photo_store,
    pim_reads,
)
from xmlapi.catalog.pricing import Pricing
from xmlapi.settings import Settings, SettingsError, from_environ
from xmlapi.transfer import formats
from xmlapi.transfer import run as transfer


def _settings() -> Settings:
    try:
        return from_environ()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _engine(settings: Settings) -> Engine:
    if settings.database_url.startswith("sqlite"):
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    return db.engine_for(settings)


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


@main.command("pim-settings")
@click.argument("organization_id", type=int)
@click.option("--response-version", type=click.Choice(["1", "2"]), help='1: products under "en".')
@click.option("--require", "required", multiple=True, help="An attribute code products need.")
def pim_settings(
    organization_id: int, response_version: str | None, required: tuple[str, ...]
) -> None:
    """Set an organization's PIM answers: their version, and required attributes."""
    with _migrated_session() as session:
        try:
            if response_version is not None:
                pim_reads.set_response_version(session, organization_id, int(response_version))
            pim_reads.require_attributes(session, organization_id, list(required))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"PIM settings of organization {organization_id} saved")


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


STORES = ("file", "postgresql")


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
@click.option(
    "--store",
    "kind",
    type=click.Choice(STORES),
    help="The store to check (default: XMLAPI_PHOTO_STORE's).",
)
def check(fix: bool, min_age: int, kind: str | None) -> None:
    """Check the photo files against their rows: report rows whose files are missing and
    files no row names (orphans); exit 1 while anything is wrong."""
    settings = _settings()
    engine = _engine(settings)
    try:
        store = photo_store.store_named(kind or settings.photo_store, settings, engine)
        _check(store, fix, min_age)
    finally:
        engine.dispose()


def _check(store: photo_store.PhotoStore, fix: bool, min_age: int) -> None:
    with _migrated_session() as session:
        report = photo_check.check(session, store, min_age=dt.timedelta(seconds=min_age))
    for photo_id, size, name in report.missing:
        click.echo(f"missing: photo {photo_id} ({size}): {name} is missing from the store")
    for name in report.unfinished:
        click.echo(f"unfinished: {name} was committed but not renamed into place")
    for entry in report.orphans:
        click.echo(f"orphan: {entry.name}{photo_store.PENDING if entry.pending else ''}")
    problems = len(report.missing) + len(report.unfinished) + len(report.orphans)
    click.echo(
        f"{report.photos} photos; {len(report.missing)} missing files, "
        f"{len(report.unfinished)} unfinished, {len(report.orphans)} orphan files"
        + ("" if problems else ": no problems")
    )
    if fix and (report.unfinished or report.orphans):
        photo_check.fix(store, report)
        click.echo(
            f"finished {len(report.unfinished)} uploads, removed {len(report.orphans)} orphan files"
        )
    if report.missing or (not fix and problems):
        raise SystemExit(1)


@main.group("photos")
def photos_group() -> None:
    """Administer the photo stores."""


@photos_group.command("move")
@click.option("--to", "target_kind", type=click.Choice(STORES), required=True)
@click.option(
    "--from",
    "source_kind",
    type=click.Choice(STORES),
    help="The store to copy from (default: the other one).",
)
def move_photos(target_kind: str, source_kind: str | None) -> None:
    """Copy every photo file into the store --to, checking each against its digest.

    The service keeps serving from its store meanwhile; files the target has already are
    skipped, so run it again to resume, and once more after switching XMLAPI_PHOTO_STORE
    to copy what was uploaded in between. Exit 1 when a file could not be copied.
    """
    from tqdm import tqdm

    settings = _settings()
    source_kind = source_kind or next(kind for kind in STORES if kind != target_kind)
    if source_kind == target_kind:
        raise click.ClickException("--from and --to name the same store")
    engine = _engine(settings)
    try:
        migrate.check_schema(engine)
        source = photo_store.store_named(source_kind, settings, engine)
        target = photo_store.store_named(target_kind, settings, engine)
        count, total = photo_move.files_to_move(engine)
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"{count} files") as bar:
            report = photo_move.move(engine, source, target, progress=bar.update)
    except migrate.SchemaOutdated as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    for name, why in report.failed:
        click.echo(f"not copied: {name}: {why}")
    click.echo(
        f"{source_kind} -> {target_kind}: {report.copied} copied, {report.present} already "
        f"there, {report.vanished} deleted meanwhile, {len(report.failed)} not copied"
    )
    if report.failed:
        raise SystemExit(1)


@contextmanager
def _migrated_engine() -> Iterator[tuple[Settings, Engine]]:
    settings = _settings()
    engine = _engine(settings)
    try:
        migrate.check_schema(engine)
        yield settings, engine
    except migrate.SchemaOutdated as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


@main.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(formats.FORMATS),
    help="csv, xml or jsonl (default: by the file's extension).",
)
@click.option("--dry-run", is_flag=True, help="Check every record; change nothing.")
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the last committed line is kept (default: SOURCE.import-state).",
)
@click.option("--restart", is_flag=True, help="Ignore the state of an earlier import.")
@click.option("--batch-size", type=click.IntRange(min=1), default=transfer.BATCH, show_default=True)
def import_(
    source: Path,
    file_format: str | None,
    dry_run: bool,
    state_path: Path | None,
    restart: bool,
    batch_size: int,
) -> None:
    """Create or update products from SOURCE, matched by code: CSV with a header row of
    field names (code, description, sell, ... or paths such as sells/sell), XML
    <product> documents (under a <products> root), or JSON Lines. Refused records are
    listed with their line and change nothing; exit 1 when there were any. Cut off, it
    resumes after the last committed batch when run again."""
    try:
        file_format = formats.format_of(source, file_format)
        state = transfer.State.of(
            source, state_path or source.with_name(source.name + ".import-state")
        )
        if restart:
            state.clear()
        state.load()
    except formats.FileError as exc:
        raise click.ClickException(str(exc)) from None
    if state.line and not dry_run:
        click.echo(f"resuming after line {state.line}", err=True)
    with _migrated_engine() as (settings, engine):
        pricing = Pricing(settings.tax_inclusive, settings.default_tax_rate)
        try:
            outcome = transfer.import_file(
                engine,
                source,
                file_format,
                pricing,
                dry_run=dry_run,
                state=None if dry_run else state,
                batch_size=batch_size,
            )
        except formats.FileError as exc:
            raise click.ClickException(f"{source.name}: {exc}") from None
    for refusal in outcome.refused:
        click.echo(f"line {refusal.line}: {refusal.reason}", err=True)
    verb = "would be" if dry_run else "were"
    click.echo(
        f"{outcome.created} products {verb} created, {outcome.updated} updated, "
        f"{len(outcome.refused)} records refused"
    )
    if not dry_run:
        state.clear()
    if outcome.refused:
        raise SystemExit(1)


@main.command("export")
@click.option("--format", "file_format", type=click.Choice(formats.FORMATS), default="csv")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (default: standard output).",
)
def export(file_format: str, output: Path | None) -> None:
    """Write every product, streaming, in the format import reads."""
    with _migrated_engine() as (_, engine):
        if output is None:
            count = transfer.export_file(engine, sys.stdout, file_format)
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                count = transfer.export_file(engine, out, file_format)
    click.echo(f"exported {count} products", err=True)


cli_feed.register(main, _migrated_session, _migrated_engine)
