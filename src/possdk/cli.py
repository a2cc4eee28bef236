"""The ``possdk`` command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager, suppress
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click

from possdk import __version__

if TYPE_CHECKING:
    from possdk import Store
    from possdk.drivers import Device, Devices, DeviceStatus
    from possdk.reports import ExportRow

R = TypeVar("R", bound="ExportRow")

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
@click.option(
    "--devices",
    type=click.Choice(["sim"]),
    default=None,
    help="Give till-1 devices: sim prints receipts on a virtual ESC/POS printer and shows "
    "what it printed, with the customer display's frames.",
)
@click.option(
    "--html",
    "html",
    default=None,
    metavar="PATH",
    help="Where to write the day's HTML sales report [default: possdk-demo-report.html, "
    "in the temporary directory when --db sqlite://].",
)
def demo(
    locale: str, currency_code: str, width: int, db: str, devices: str | None, html: str | None
) -> None:
    """Run a scripted trading day and print its receipts, the Z report and an HTML report."""
    import tempfile
    from pathlib import Path

    from possdk._demo import run_demo
    from possdk.errors import PossdkError

    if html is None:
        folder = Path(tempfile.gettempdir()) if db == "sqlite://" else Path.cwd()
        html = str(folder / "possdk-demo-report.html")
    try:
        store = run_demo(
            locale=locale,
            currency_code=currency_code.upper(),
            width=width,
            out=click.echo,
            db=db,
            devices=devices,
            html_report=Path(html).resolve(),
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


@main.group()
def report() -> None:
    """Sales reports over a period, from the store's database."""


def _period(start: str, end: str | None) -> tuple[Any, Any]:
    from datetime import date, timedelta

    try:
        first = date.fromisoformat(start)
        last = date.fromisoformat(end) if end else first
    except ValueError as exc:
        raise click.BadParameter(f"dates are YYYY-MM-DD ({exc})") from None
    if last < first:
        raise click.BadParameter(f"--to {last} is before --from {first}")
    return first, last + timedelta(days=1)  # --to is the last day, included


@contextmanager
def _opened(db: str) -> Iterator[Store]:
    """The store at ``db`` for one command; a possdk error ends the command with one line."""
    from possdk.errors import PossdkError

    try:
        with _open_store(db) as store:
            yield store
    except PossdkError as exc:
        _fail(exc)


def _open_store(db: str) -> Store:
    """The store at ``db``, opened as kept; a SQLite path with no database is refused, not made."""
    from possdk import Store
    from possdk.errors import StorageError
    from possdk.storage import StoreURL
    from possdk.storage._migrate import _missing_file

    if _missing_file(db):
        raise StorageError(f"no database at {StoreURL.parse(db)}: check the path")
    return Store.open(db)


LONG_PERIOD_DAYS = 7
"""Periods longer than this get a progress bar by default (see ``_wants_progress``)."""

progress_option = click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar on stderr. Default: when stderr is a terminal and the data "
    "goes to --out, a file or a pipe.",
)


def who_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--register`` and ``--operator``: narrow a report to one till or one cashier."""
    command = click.option(
        "--operator", "operator_id", default=None, help="One cashier (default: all)."
    )(command)
    return click.option(
        "--register", "register_id", default=None, help="One till (default: every till)."
    )(command)


def _isatty(stream: IO[Any]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def _wants_progress(progress: bool | None, out: str | None = None) -> bool:
    """Whether to draw a progress bar.

    ``--progress``/``--no-progress`` as given; else when a person watches stderr
    and the data is not drawn on that same screen (a bar would tear it).
    """
    if progress is not None:
        return progress
    return _isatty(sys.stderr) and (out is not None or not _isatty(sys.stdout))


@contextmanager
def _progress(show: bool, length: int, label: str) -> Iterator[Callable[[int], None]]:
    """``update(n)`` for a bar on stderr (never stdout: it carries the data), or a no-op."""
    if not show:
        yield lambda n: None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True) as bar:
        yield bar.update


@report.command("sales")
@db_option
@click.option("--from", "start", required=True, metavar="DATE", help="The first day, YYYY-MM-DD.")
@click.option("--to", "end", default=None, metavar="DATE", help="The last day (default: --from).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "json"]),
    default="text",
    show_default=True,
    help="How to print it.",
)
@click.option("--top", default=10, show_default=True, help="How many top products.")
@click.option(
    "--html",
    "html",
    default=None,
    metavar="PATH",
    help="Write the HTML report (charts, heat map, top products) there instead.",
)
@who_options
@progress_option
def report_sales(
    db: str,
    start: str,
    end: str | None,
    fmt: str,
    top: int,
    html: str | None,
    register_id: str | None,
    operator_id: str | None,
    progress: bool | None,
) -> None:
    """The period's summary, its sales by day and its top products (local dates, inclusive).

    Also: the top products by margin (where costs are known), sales by category,
    tender and tax rate, and the discounts given by promotion. With --html, the
    period as one HTML page a browser opens.
    """
    from possdk.reports import Analytics

    first, after = _period(start, end)
    who: dict[str, Any] = {"register_id": register_id, "operator_id": operator_id}
    if html is not None:
        _write_html_report(db, first, after, top, html, who)
        return
    long = (after - first).days > LONG_PERIOD_DAYS
    show = _wants_progress(progress) and (long or progress is True)
    with _opened(db) as store, _progress(show, 9, "sales report") as update:
        # Nine queries, each summing the whole period in the database: the bar
        # counts them (the days are summed inside each one).
        analytics = Analytics(store)
        parts: dict[str, Any] = {}
        for name, run in (
            ("summary", analytics.summary),
            ("by_day", analytics.by_day),
            ("top_products", lambda a, b, **w: analytics.top_products(a, b, limit=top, **w)),
            (
                "top_by_margin",
                lambda a, b, **w: analytics.top_products(a, b, by="margin", limit=top, **w),
            ),
            ("slow_movers", lambda a, b, **w: analytics.slow_movers(a, b, limit=top, **w)),
            ("by_category", analytics.by_category),
            ("by_tender", analytics.by_tender),
            ("by_tax_rate", analytics.by_tax_rate),
            ("discounts", analytics.discounts_by_promotion),
        ):
            parts[name] = run(first, after, **who)
            update(1)
    _print_parts(parts, fmt)


def _print_parts(parts: dict[str, Any], fmt: str, *, width: int = 80) -> None:
    """Several report results as one JSON object, CSV blocks or text blocks."""
    import json

    if fmt == "json":
        click.echo(json.dumps({k: json.loads(v.to_json()) for k, v in parts.items()}, indent=2))
    elif fmt == "csv":
        click.echo("\n".join(v.to_csv() for v in parts.values()), nl=False)
    else:
        click.echo("\n\n".join(v.as_text(width=width).rstrip("\n") for v in parts.values()))


@report.command("customers")
@db_option
@click.option("--from", "start", required=True, metavar="DATE", help="The first day, YYYY-MM-DD.")
@click.option("--to", "end", default=None, metavar="DATE", help="The last day (default: --from).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "json"]),
    default="text",
    show_default=True,
    help="How to print it.",
)
@click.option(
    "-k",
    "k",
    default=5,
    show_default=True,
    type=click.IntRange(1),
    help="The smallest group of customers shown in the demographics.",
)
@click.option(
    "--area-digits",
    default=3,
    show_default=True,
    type=click.IntRange(1),
    help="Postcode characters that make an area.",
)
@who_options
def report_customers(
    db: str,
    start: str,
    end: str | None,
    fmt: str,
    k: int,
    area_digits: int,
    register_id: str | None,
    operator_id: str | None,
) -> None:
    """New vs returning, visit frequency, RFM segments and demographics (local dates, inclusive).

    RFM looks back a year from the last day. Demographic groups with fewer than
    k customers are merged or hidden, so no one customer can be picked out.
    """
    from datetime import timedelta

    from possdk.reports import CustomerReports

    first, after = _period(start, end)
    who: dict[str, Any] = {"register_id": register_id, "operator_id": operator_id}
    with _opened(db) as store:
        reports = CustomerReports(store)
        parts = {
            "new_vs_returning": reports.new_vs_returning(first, after, **who),
            "visit_frequency": reports.visit_frequency(first, after, **who),
            "rfm": reports.rfm(after - timedelta(days=1), **who),
            "age_bands": reports.demographics(first, after, by="age_band", k=k, **who),
            "areas": reports.demographics(
                first, after, by="area", k=k, area_digits=area_digits, **who
            ),
        }
    _print_parts(parts, fmt)


@report.command("z")
@db_option
@click.option("--register", "register_id", default=None, help="One till (default: every till).")
@click.option(
    "--number", type=click.IntRange(1), default=None, help="One Z number (default: the last)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "json"]),
    default="text",
    show_default=True,
    help="Text for the printer, or the JSON or CSV export forms.",
)
@click.option("--width", default=42, show_default=True, type=click.IntRange(32, 80))
@click.option("--locale", default="en_US", show_default=True, help="CLDR locale for the text.")
def report_z(
    db: str, register_id: str | None, number: int | None, fmt: str, width: int, locale: str
) -> None:
    """A Z report taken at a close, printed again (a copy: it never changes)."""
    with _opened(db) as store:
        kept = [z for z in store.z_reports() if register_id is None or z.register_id == register_id]
    if number is not None:
        kept = [z for z in kept if z.number == number]
    if not kept:
        where = f" of {register_id}" if register_id else ""
        which = f" No.{number}" if number else ""
        click.echo(f"error: no Z report{which}{where} in {_shown(db)}", err=True)
        sys.exit(1)
    if register_id is None and number is not None and len(kept) > 1:
        tills = ", ".join(sorted({z.register_id for z in kept}))
        click.echo(f"error: Z No.{number} exists on {tills}; name one with --register", err=True)
        sys.exit(2)
    z = kept[-1]
    if fmt == "json":
        click.echo(z.to_json())
    elif fmt == "csv":
        click.echo(z.to_csv(), nl=False)
    else:
        click.echo(z.as_text(width=width, locale=locale), nl=False)


@report.command("liabilities")
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print it.",
)
def report_liabilities(db: str, fmt: str) -> None:
    """What the shop owes its customers now: gift card balances and loyalty points."""
    import json

    with _opened(db) as store:
        owed = {
            "gift_cards": store.loyalty.gift_cards.outstanding(),
            "loyalty_points": store.loyalty.points.outstanding(),
        }
    total = owed["gift_cards"] + owed["loyalty_points"]
    if fmt == "json":
        rows = {k: format(v.amount, "f") for k, v in {**owed, "total": total}.items()}
        click.echo(json.dumps({"currency": total.currency, **rows}, indent=2))
        return
    click.echo(f"Gift cards outstanding      {format(owed['gift_cards'].amount, 'f'):>14}")
    click.echo(f"Loyalty points outstanding  {format(owed['loyalty_points'].amount, 'f'):>14}")
    click.echo(f"Total owed ({total.currency})            {format(total.amount, 'f'):>14}")


@report.command("stock")
@db_option
@click.option("--location", default=None, help="One location (default: the whole store).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "json"]),
    default="text",
    show_default=True,
    help="How to print it.",
)
def report_stock(db: str, location: str | None, fmt: str) -> None:
    """Stock on hand at average cost, and what is at or below its reorder point."""
    from possdk.reports import stock_reports

    with _opened(db) as store:
        on_hand, due = stock_reports(store, location)
    _print_parts({"on_hand": on_hand, "reorder": due}, fmt)
    if on_hand.uncosted:
        click.echo(f"no cost known for: {', '.join(on_hand.uncosted)}", err=True)


def _write_html_report(
    db: str, first: Any, after: Any, top: int, html: str, who: dict[str, Any]
) -> None:
    from pathlib import Path

    from possdk.reports import sales_report_html

    target = Path(html)
    with _opened(db) as store:
        page = sales_report_html(store, first, after, top=top, **who)
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        _fail(exc)
    click.echo(f"wrote {target.resolve()}", err=True)


@main.group()
def export() -> None:
    """Data for other systems: accounting, sales, customers, stock."""


@export.command("accounting")
@db_option
@click.option("--from", "start", required=True, metavar="DATE", help="The first day, YYYY-MM-DD.")
@click.option("--to", "end", default=None, metavar="DATE", help="The last day (default: --from).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["beancount", "csv"]),
    default="beancount",
    show_default=True,
    help="A beancount ledger or one CSV row per posting.",
)
@progress_option
def export_accounting(
    db: str, start: str, end: str | None, fmt: str, progress: bool | None
) -> None:
    """Each business day as balanced double-entry postings (local dates, inclusive)."""
    from datetime import timedelta

    from possdk.errors import PossdkError
    from possdk.reports import postings_for_day, to_beancount, to_csv

    first, after = _period(start, end)
    length = (after - first).days
    show = _wants_progress(progress) and (length > LONG_PERIOD_DAYS or progress is True)
    try:
        with _open_store(db) as store, _progress(show, length, "business days") as update:
            days = []
            day = first
            while day < after:
                days.append(postings_for_day(store, day))
                update(1)
                day += timedelta(days=1)
    except PossdkError as exc:
        _fail(exc)
    click.echo(to_beancount(days) if fmt == "beancount" else to_csv(days), nl=False)


# ---- exports for ERP and CRM imports ------------------------------------------------------

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl"]),
    default="csv",
    show_default=True,
    help="CSV with a header line, one JSON array, or JSON Lines (one object a line).",
)
out_option = click.option(
    "--out",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to FILE (replaced only once complete) instead of stdout.",
)

_TICK = 500  # rows between progress bar updates: drawing it costs more than a row


def _ticking(
    rows: Generator[R, None, None], update: Callable[[int], None]
) -> Generator[R, None, None]:
    """``rows``, moving the bar as they pass; closing this closes ``rows``."""
    n = 0
    try:
        for row in rows:
            yield row
            n += 1
            if n % _TICK == 0:
                update(_TICK)
        update(n % _TICK)
    finally:
        rows.close()


@contextmanager
def _output(out: str | None) -> Iterator[IO[str]]:
    """UTF-8 text to stdout, or to a file beside ``out`` moved over it only once complete."""
    import io
    import os
    import secrets

    if out is None:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # stdout replaced by a text-only stream: use it as it is
            yield sys.stdout
            return
        sys.stdout.flush()
        stdout = io.TextIOWrapper(buffer, "utf-8", newline="")  # data is UTF-8, whatever the locale
        try:
            yield stdout
            stdout.flush()
        finally:
            stdout.detach()  # leave sys.stdout's buffer open
        return
    target = os.path.abspath(out)
    partial = f"{target}.{secrets.token_hex(4)}.partial"
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise click.FileError(out, hint=exc.strerror or str(exc)) from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as file:
            yield file
        os.replace(partial, target)
    except BaseException:
        os.unlink(partial)  # an export cut short leaves no file that looks complete
        raise


def _export(
    db: str,
    rows: Callable[[Store], Generator[R, None, None]],
    count: Callable[[Store], int],
    *,
    columns: tuple[str, ...],
    fmt: str,
    out: str | None,
    progress: bool | None,
    label: str,
) -> None:
    """Stream ``rows(store)`` as ``fmt`` to ``out`` or stdout, a bar of ``count(store)`` rows."""
    import os

    from possdk.errors import PossdkError
    from possdk.reports import write_csv, write_json, write_jsonl

    show = _wants_progress(progress, out)
    try:
        with _opened(db) as store:
            total = count(store) if show else 0
            with _output(out) as file, _progress(show, total, f"exporting {label}") as update:
                stream = _ticking(rows(store), update)
                if fmt == "csv":
                    written = write_csv(stream, file, columns=columns)
                elif fmt == "json":
                    written = write_json(stream, file)
                else:
                    written = write_jsonl(stream, file)
    except PossdkError as exc:
        _fail(exc)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other Unix tools do.
        with suppress(OSError, ValueError, AttributeError):  # unless stdout is not a file
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if out is not None:
        click.echo(f"{written} {label} written to {out}", err=True)


@export.command("sales")
@db_option
@click.option("--from", "start", required=True, metavar="DATE", help="The first day, YYYY-MM-DD.")
@click.option("--to", "end", default=None, metavar="DATE", help="The last day (default: --from).")
@format_option
@out_option
@progress_option
def export_sales(
    db: str, start: str, end: str | None, fmt: str, out: str | None, progress: bool | None
) -> None:
    """Receipt lines of a period, for an ERP (local dates, inclusive).

    One row per unvoided line of every sale and return completed in the
    period; a return's quantity and amounts are negative. Streamed: the rows
    are written as the database hands them over.
    """
    from possdk.reports import SaleLineRow
    from possdk.reports import count_sales as count
    from possdk.reports import export_sales as rows

    first, after = _period(start, end)
    _export(
        db,
        lambda store: rows(store, first, after),
        lambda store: count(store, first, after),
        columns=SaleLineRow.COLUMNS,
        fmt=fmt,
        out=out,
        progress=progress,
        label="sales lines",
    )


@export.command("customers")
@db_option
@format_option
@out_option
@progress_option
def export_customers(db: str, fmt: str, out: str | None, progress: bool | None) -> None:
    """Customer profiles and points balances, for a CRM.

    Customers erased on request are left out.
    """
    from possdk.reports import CustomerRow
    from possdk.reports import count_customers as count
    from possdk.reports import export_customers as rows

    _export(
        db, rows, count, columns=CustomerRow.COLUMNS, fmt=fmt, out=out, progress=progress,
        label="customers",
    )  # fmt: skip


@export.command("stock")
@db_option
@format_option
@out_option
@progress_option
def export_stock(db: str, fmt: str, out: str | None, progress: bool | None) -> None:
    """Stock levels by item and location, valued at average cost, for an ERP.

    A value is what store.inventory.valuation(location) gives the item (empty
    when its cost is unknown).
    """
    from possdk.reports import StockRow
    from possdk.reports import count_stock as count
    from possdk.reports import export_stock as rows

    _export(
        db, rows, count, columns=StockRow.COLUMNS, fmt=fmt, out=out, progress=progress,
        label="stock levels",
    )  # fmt: skip


@main.group()
def devices() -> None:
    """Devices on the counter: list them, test them."""


config_option = click.option(
    "--config",
    "config",
    required=True,
    metavar="FILE",
    help="The device configuration: [[device]] tables in TOML, or JSON (.json).",
)


def _load_devices(config: str) -> Devices:
    from possdk.drivers import Devices

    registry = Devices.from_plugins()
    registry.load(config)
    return registry


def _status_text(status: DeviceStatus) -> str:
    from possdk.drivers import PaperState

    if not status.online:
        return f"offline: {status.message}" if status.message else "offline"
    notes = []
    if status.paper in (PaperState.LOW, PaperState.OUT):
        notes.append(f"paper {status.paper.value}")
    if status.cover_open:
        notes.append("cover open")
    if status.drawer_open is not None:
        notes.append("drawer open" if status.drawer_open else "drawer closed")
    if status.scale is not None:
        notes.append(f"scale {status.scale.value}")
    if status.message:
        notes.append(status.message)
    head = "ready" if status.ready else "not ready"
    return head + (f" ({', '.join(notes)})" if notes else "")


@devices.command("list")
@config_option
def devices_list(config: str) -> None:
    """Show the configured devices and how each is (opening each one to ask)."""
    from possdk.errors import DeviceError, PossdkError

    try:
        registry = _load_devices(config)
    except PossdkError as exc:
        _fail(exc)
    rows = [("NAME", "KIND", "REGISTER", "URL", "STATUS")]
    try:
        for device in registry.all():
            spec = device.spec
            try:
                device.open()
                status = _status_text(device.status())
            except DeviceError as exc:
                status = f"offline: {exc}"
            rows.append((spec.name, spec.kind.value, spec.register_id or "any", spec.url, status))
    finally:
        registry.close()
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        click.echo("  ".join([*cells, row[4]]))


def _test_device(device: Device) -> list[str]:
    """Make a device do its job once; what it did, line by line. Raises DeviceError."""
    from possdk.drivers import (
        BarcodeScanner,
        CashDrawer,
        CustomerDisplay,
        ReceiptPrinter,
        Scale,
        ScaleState,
    )
    from possdk.errors import DeviceNotReadyError

    device.open()
    status = device.status()
    if not status.online or not status.ready:
        raise DeviceNotReadyError(device.spec.name, _status_text(status), status)
    if isinstance(device, ReceiptPrinter):
        device.print_lines(
            ["possdk test receipt", f"printer {device.spec.name}", device.spec.url, "", "OK"]
        )
        done = ["printed a test receipt"]
        lines = getattr(device, "lines", None)  # a virtual printer shows what it printed
        if callable(lines):
            done += [f"  | {line}".rstrip() for line in lines()]
        return done
    if isinstance(device, CashDrawer):
        device.open_drawer()
        return ["kicked the drawer open"]
    if isinstance(device, Scale):
        reading = device.read_weight()
        if reading.state in (ScaleState.OVERLOAD, ScaleState.UNDER_ZERO):
            raise DeviceNotReadyError(
                device.spec.name, f"it reads {reading.kilograms} kg, {reading.state.value}"
            )
        return [f"read {reading.kilograms} kg ({reading.state.value})"]
    if isinstance(device, CustomerDisplay):
        device.show("possdk test", device.spec.name)
        return [f"showed a test message ({device.width} characters wide)"]
    if isinstance(device, BarcodeScanner):
        device.start(lambda scan: None)
        device.stop()
        return ["started and stopped reading"]
    return ["opened"]


@devices.command("test")
@config_option
@click.argument("name", required=False)
def devices_test(config: str, name: str | None) -> None:
    """Print a test receipt, kick drawers, read scales, show a message; exit 1 if any fails.

    With NAME, only that device.
    """
    from possdk.errors import DeviceError, PossdkError

    try:
        registry = _load_devices(config)
        chosen = [registry.get(name)] if name else list(registry.all())
    except PossdkError as exc:
        _fail(exc)
    failed = 0
    try:
        for device in chosen:
            label = f"{device.spec.name} ({device.spec.kind.value})"
            try:
                done = _test_device(device)
            except DeviceError as exc:
                failed += 1
                click.echo(f"{label}: FAILED: {exc}")
                continue
            click.echo(f"{label}: {done[0]}")
            for line in done[1:]:
                click.echo(line)
    finally:
        registry.close()
    if failed:
        click.echo(f"{failed} of {len(chosen)} device(s) failed", err=True)
        sys.exit(1)


@main.group()
def webhooks() -> None:
    """Webhook subscriptions, deliveries, the delivery log and dead letters."""


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an id (a UUID, as `list` shows)") from None


@webhooks.command("subscribe")
@db_option
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar="TYPE",
    help="An event type to deliver (repeat for more), e.g. SaleCompleted; default: all.",
)
@click.option("--secret", default=None, help="The shared HMAC key (16-200 chars; default: new).")
@click.option(
    "--since",
    default=None,
    metavar="TIME",
    help="Also deliver events from this ISO date or time on (default: from now).",
)
def webhooks_subscribe(
    db: str, url: str, events: tuple[str, ...], secret: str | None, since: str | None
) -> None:
    """Deliver the store's events to URL; prints the subscription's id and secret."""
    from datetime import datetime, timezone

    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise click.BadParameter(f"--since {since!r} is not an ISO date or time") from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
    with _opened(db) as store:
        sub = store.webhooks.subscribe(url, events or "*", secret, since=start)
    click.echo(f"subscribed {sub.id} to {sub.url}")
    click.echo(f"secret: {sub.secret}  (give it to the receiver to verify signatures)")


@webhooks.command("unsubscribe")
@db_option
@click.argument("subscription_id")
def webhooks_unsubscribe(db: str, subscription_id: str) -> None:
    """Stop delivering to a subscription (its log stays)."""
    with _opened(db) as store:
        store.webhooks.unsubscribe(_uuid(subscription_id))
    click.echo(f"unsubscribed {subscription_id}")


@webhooks.command("rotate")
@db_option
@click.argument("subscription_id")
@click.option("--secret", default=None, help="The new shared key (16-200 chars; default: new).")
def webhooks_rotate(db: str, subscription_id: str, secret: str | None) -> None:
    """Give a subscription a new secret; prints it (every later POST is signed with it)."""
    with _opened(db) as store:
        sub = store.webhooks.rotate_secret(_uuid(subscription_id), secret)
    click.echo(f"secret: {sub.secret}  (the receiver can accept the old and the new one meanwhile)")


@webhooks.command("list")
@db_option
def webhooks_list(db: str) -> None:
    """The subscriptions (secrets are not shown)."""
    with _opened(db) as store:
        subs = store.webhooks.subscriptions()
    for sub in subs:
        events = sub.events if sub.events == "*" else ",".join(sub.events)
        state = "active" if sub.active else "stopped"
        click.echo(f"{sub.id}  {state:7}  {sub.url}  {events}  since {sub.since.isoformat()}")


@webhooks.command("deliver")
@db_option
@click.option(
    "--every",
    "interval",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="Keep delivering, a pass every SECONDS, until interrupted (Ctrl-C).",
)
def webhooks_deliver(db: str, interval: float | None) -> None:
    """Run a delivery pass (or keep running them): take new events, POST what is due."""
    import time

    from possdk.errors import PossdkError

    try:
        with _open_store(db) as store:
            while True:
                done = store.webhooks.deliver()
                click.echo(
                    f"queued {done.queued}, delivered {done.delivered}, "
                    f"failed {done.failed}, dead {done.dead}"
                )
                if interval is None:
                    break
                time.sleep(interval)
    except PossdkError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@webhooks.command("log")
@db_option
@click.option("--dead", is_flag=True, help="Only the dead letters.")
@click.option("--attempts", is_flag=True, help="Each delivery's attempts too.")
def webhooks_log(db: str, dead: bool, attempts: bool) -> None:
    """The delivery log, oldest event first."""
    with _opened(db) as store:
        hooks = store.webhooks
        rows = hooks.dead_letters() if dead else hooks.delivery_log()
        history = {d.id: hooks.attempts(d.id) for d in rows} if attempts else {}
    for d in rows:
        last = f"HTTP {d.last_status}" if d.last_status is not None else (d.last_error or "-")
        click.echo(
            f"{d.id}  {d.status.value:9}  {d.event_type}  {d.event_at.isoformat()}  "
            f"attempts {d.attempts}  last {last}"
        )
        for a in history.get(d.id, ()):
            status = a.http_status if a.http_status is not None else "no answer"
            click.echo(f"    #{a.attempt} {a.at.isoformat()} {status} -> {a.outcome.value}")


@webhooks.command("redeliver")
@db_option
@click.argument("delivery_id")
def webhooks_redeliver(db: str, delivery_id: str) -> None:
    """Queue a delivery again (a dead letter, once the receiver is fixed)."""
    with _opened(db) as store:
        again = store.webhooks.redeliver(_uuid(delivery_id))
    click.echo(f"{again.id} is pending again; the next pass delivers it")


@webhooks.command("prune")
@db_option
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Forget acknowledged deliveries of events older than this.",
)
def webhooks_prune(db: str, days: int) -> None:
    """Forget old acknowledged deliveries (pending and dead ones stay)."""
    from datetime import timedelta

    with _opened(db) as store:
        removed = store.webhooks.prune(timedelta(days=days))
    click.echo(f"pruned {removed} deliveries")


if __name__ == "__main__":  # pragma: no cover
    main()
