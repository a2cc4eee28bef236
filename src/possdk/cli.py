"""The ``possdk`` command."""

from __future__ import annotations

import sys

import click

from possdk import __version__

__all__ = ["main"]

DEFAULT_DEMO_DB = "sqlite:///possdk-demo.db"

db_option = click.option(
    "--db",
    "db",
    required=True,
    metavar="URL",
    help="The store: sqlite:///path/shop.db or postgresql://user@host/db.",
)


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


def _shown(url: str) -> str:
    """A URL safe to print: any password masked."""
    from possdk.errors import PossdkError
    from possdk.storage import StoreURL

    try:
        return StoreURL.parse(url).redacted()
    except PossdkError:
        return url


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="possdk")
def main() -> None:
    """possdk: a Python library for building point-of-sale software."""


@main.command()
@click.option("--locale", default="uk_UA", show_default=True, help="CLDR locale for receipts.")
@click.option(
    "--currency",
    "currency_code",
    default="UAH",
    show_default=True,
    help="ISO 4217 currency of the shop.",
)
@click.option(
    "--width",
    default=42,
    show_default=True,
    type=click.IntRange(32, 80),
    help="Receipt width in characters (32, 42, 48).",
)
@click.option(
    "--db",
    "db",
    default=DEFAULT_DEMO_DB,
    show_default=True,
    metavar="URL",
    help="Where the demo shop is kept; each run is its next trading day. sqlite:// keeps nothing.",
)
def demo(locale: str, currency_code: str, width: int, db: str) -> None:
    """Run a scripted trading day and print its receipts and the Z report."""
    from possdk._demo import run_demo
    from possdk.errors import PossdkError

    try:
        store = run_demo(
            locale=locale, currency_code=currency_code.upper(), width=width, out=click.echo, db=db
        )
        store.close()
    except PossdkError as exc:
        _fail(exc)
    if db != "sqlite://":
        shown = _shown(db)
        click.echo(f"\nkept in {shown}; check it with: possdk journal verify --db {shown}")


@main.group()
def db() -> None:
    """Database schema: upgrade, revision."""


@db.command("upgrade")
@db_option
@click.option("--revision", default="head", show_default=True, help="The revision to go to.")
def db_upgrade(db: str, revision: str) -> None:
    """Migrate a store's database to the newest schema (back it up first)."""
    from possdk.errors import PossdkError
    from possdk.storage import upgrade

    try:
        before, after = upgrade(db, revision)
    except PossdkError as exc:
        _fail(exc)
    if before == after:
        click.echo(f"{_shown(db)}: already at schema {after}")
    else:
        click.echo(f"{_shown(db)}: schema {before or '(empty)'} -> {after}")


@db.command("revision")
@db_option
def db_revision(db: str) -> None:
    """Show the schema revision of a store's database."""
    from possdk.errors import PossdkError
    from possdk.storage import SCHEMA_REVISION, current_revision

    try:
        current = current_revision(db)
    except PossdkError as exc:
        _fail(exc)
    click.echo(f"{_shown(db)}: schema {current or '(empty)'}; this possdk uses {SCHEMA_REVISION}")


@main.group()
def journal() -> None:
    """The tamper-evident journal."""


@journal.command("verify")
@db_option
def journal_verify(db: str) -> None:
    """Re-read every chain: exit 0 if it verifies, 1 naming the first bad entry if not."""
    from possdk.errors import PossdkError
    from possdk.storage import verify_journal

    try:
        report = verify_journal(db)
    except PossdkError as exc:
        _fail(exc)
    click.echo(report.as_text())
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":  # pragma: no cover
    main()
