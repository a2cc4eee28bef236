"""The ``possdk`` command."""

from __future__ import annotations

import sys

import click

from possdk import __version__

__all__ = ["main"]


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
def demo(locale: str, currency_code: str, width: int) -> None:
    """Run a scripted trading day and print its receipts and the Z report."""
    from possdk._demo import run_demo
    from possdk.errors import PossdkError

    try:
        run_demo(locale=locale, currency_code=currency_code.upper(), width=width, out=click.echo)
    except PossdkError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
