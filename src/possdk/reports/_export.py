"""Exports for ERP and CRM imports: sales lines, customers and stock, streamed as CSV or JSON.

The database filters and orders (``ExportsUnitOfWork``) and hands rows over a
batch at a time; this module makes each row a typed value and writes it at
once, so an export of years of sales never holds more than a batch in memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, ClassVar, Protocol, TypeVar

import attrs

from possdk.core._catalog import Unit
from possdk.core._decimal import EXACT, ZERO, RoundingMode, quantize
from possdk.core._money import Money, currency
from possdk.core._receipt import ReceiptKind
from possdk.errors import ReportError, StorageError
from possdk.reports._accounting import business_day_range

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.storage._backend import UnitOfWork

__all__ = [
    "CustomerRow",
    "ExportRow",
    "SaleLineRow",
    "StockRow",
    "count_customers",
    "count_sales",
    "count_stock",
    "export_customers",
    "export_sales",
    "export_stock",
    "write_csv",
    "write_json",
    "write_jsonl",
]

T = TypeVar("T")

ExportValue = str | int | bool | None
"""A cell of an exported row: text (amounts and quantities as exact decimal text),
an integer, a flag, or None for nothing."""

_MICRO = Decimal(1_000_000)


def _qty(micro: int) -> Decimal:
    return EXACT.divide(Decimal(micro), _MICRO).normalize(EXACT) if micro else ZERO


def _text(value: Decimal) -> str:
    return format(value, "f")


def _time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


# ---- rows ------------------------------------------------------------------------------


class ExportRow(Protocol):
    """A row any writer takes: its columns, in order, and its cells by column."""

    COLUMNS: ClassVar[tuple[str, ...]]
    """The column names, in the order the writers put them."""

    def to_dict(self) -> dict[str, ExportValue]:
        """The row's cells by column; amounts and quantities as exact decimal text."""
        ...


@attrs.frozen
class SaleLineRow:
    """One unvoided line of a completed sale or return, as an ERP imports it.

    A return's quantity and amounts are negative. ``category`` is the product's
    category in the catalog now (None for a SKU not in it).
    """

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "receipt",
        "kind",
        "completed_at",
        "register",
        "operator",
        "customer_id",
        "line_no",
        "sku",
        "name",
        "category",
        "quantity",
        "unit",
        "unit_price",
        "subtotal",
        "discount",
        "net",
        "tax",
        "gross",
        "currency",
    )
    """The column names, in the order the writers put them."""

    receipt: str
    """The receipt number, e.g. ``till-1/000042``."""
    kind: ReceiptKind
    """A sale or a return."""
    completed_at: datetime
    """When the receipt was completed (UTC)."""
    register_id: str
    """The till."""
    operator_id: str
    """The cashier."""
    customer_id: str | None
    """The identified customer, if any."""
    line_no: int
    """The line's number on its receipt, from 1."""
    sku: str
    """The product."""
    name: str
    """The product's name as printed on the receipt."""
    category: str | None
    """The product's catalog category."""
    quantity: Decimal
    """Exact; negative on a return."""
    unit: Unit
    """How it was sold."""
    unit_price: Money
    """The price of one unit (may carry more digits than the minor unit)."""
    subtotal: Money
    """Quantity times unit price, before discounts."""
    discount: Money
    """Discounts on the line (line and basket)."""
    net: Money
    """Without tax."""
    tax: Money
    """The line's tax."""
    gross: Money
    """What the customer paid for the line, tax included."""

    def to_dict(self) -> dict[str, ExportValue]:
        """The row's cells by column; amounts and quantities as exact decimal text."""
        return {
            "receipt": self.receipt,
            "kind": self.kind.value,
            "completed_at": _time(self.completed_at),
            "register": self.register_id,
            "operator": self.operator_id,
            "customer_id": self.customer_id,
            "line_no": self.line_no,
            "sku": self.sku,
            "name": self.name,
            "category": self.category,
            "quantity": _text(self.quantity),
            "unit": self.unit.value,
            "unit_price": _text(self.unit_price.amount),
            "subtotal": _text(self.subtotal.amount),
            "discount": _text(self.discount.amount),
            "net": _text(self.net.amount),
            "tax": _text(self.tax.amount),
            "gross": _text(self.gross.amount),
            "currency": self.gross.currency,
        }


@attrs.frozen
class CustomerRow:
    """One customer's profile, as a CRM imports it (customers erased on request are left out)."""

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "id",
        "name",
        "phone",
        "email",
        "marketing_consent",
        "birth_year",
        "postcode",
        "gender",
        "tier",
        "points",
        "created_at",
    )
    """The column names, in the order the writers put them."""

    id: str
    """The customer's id."""
    name: str
    """The name to greet them by."""
    phone: str | None
    """Digits with an optional leading ``+``."""
    email: str | None
    """Lower-cased."""
    marketing_consent: bool
    """Whether they agreed to marketing messages."""
    birth_year: int | None
    """If collected."""
    postcode: str | None
    """If collected."""
    gender: str | None
    """If collected, as the customer put it."""
    tier: str | None
    """The loyalty tier as last computed."""
    points: int
    """The points balance."""
    created_at: datetime
    """When the profile was made (UTC)."""

    def to_dict(self) -> dict[str, ExportValue]:
        """The row's cells by column."""
        return {
            "id": self.id,
            "name": self.name,
            "phone": self.phone,
            "email": self.email,
            "marketing_consent": self.marketing_consent,
            "birth_year": self.birth_year,
            "postcode": self.postcode,
            "gender": self.gender,
            "tier": self.tier,
            "points": self.points,
            "created_at": _time(self.created_at),
        }


@attrs.frozen
class StockRow:
    """What one location holds of one item, and its value at average cost.

    ``value`` is ``max(on_hand, 0) * average_cost`` rounded half-even to the
    minor unit, the figure ``store.inventory.valuation(location)`` gives the
    item; None when the item has no known cost (valuation() lists it as
    uncosted).
    """

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "sku",
        "name",
        "location",
        "on_hand",
        "reserved",
        "available",
        "average_cost",
        "value",
        "currency",
    )
    """The column names, in the order the writers put them."""

    sku: str
    """The item."""
    name: str | None
    """Its catalog name (None for a SKU not in the catalog)."""
    location_id: str
    """Where."""
    on_hand: Decimal
    """What the location holds (may be negative)."""
    reserved: Decimal
    """Promised to orders not handed over yet."""
    average_cost: Decimal | None
    """The item's average cost per unit, if known."""
    value: Money | None
    """The stock's value at average cost, if the cost is known."""
    currency: str
    """The store's currency (of the cost and the value)."""

    @property
    def available(self) -> Decimal:
        """On hand minus reserved."""
        return EXACT.subtract(self.on_hand, self.reserved)

    def to_dict(self) -> dict[str, ExportValue]:
        """The row's cells by column; quantities and amounts as exact decimal text."""
        return {
            "sku": self.sku,
            "name": self.name,
            "location": self.location_id,
            "on_hand": _text(self.on_hand),
            "reserved": _text(self.reserved),
            "available": _text(self.available),
            "average_cost": None if self.average_cost is None else _text(self.average_cost),
            "value": None if self.value is None else _text(self.value.amount),
            "currency": self.currency,
        }


# ---- reading ---------------------------------------------------------------------------


def _stream(store: Store, read: Callable[[UnitOfWork], Iterator[T]]) -> Generator[T, None, None]:
    """Rows of ``read(uow)`` from one read-only unit of work, kept open while they are taken.

    The unit of work, and its connection, is closed when the rows run out,
    when the generator is closed (or garbage collected) part way, and on an
    error: the ``with`` block is left in every case.
    """
    import sqlalchemy as sa

    errors = getattr(store.backend, "errors", (sa.exc.DBAPIError,))
    try:
        with store.backend.unit_of_work(write=False) as uow:
            yield from read(uow)
    except errors as exc:
        translate = getattr(store.backend, "translate", None)
        raise (translate(exc) if translate else StorageError(str(exc))) from exc


def _period(store: Store, start: date, end: date) -> tuple[datetime, datetime]:
    if not start < end:
        raise ReportError(f"a period needs start < end, got {start} to {end}")
    tz = store.settings.timezone
    return business_day_range(start, tz)[0], business_day_range(end, tz)[0]


def export_sales(store: Store, start: date, end: date) -> Generator[SaleLineRow, None, None]:
    """The unvoided lines of receipts completed from local date ``start`` up to ``end``.

    Dates are local in ``store.settings.timezone``, ``end`` excluded; only
    receipts in the store's currency. Lines come in completion order, then by
    receipt number and line number, streamed: nothing is read until the first
    row is asked for, and the database connection is held until the rows run
    out or the iterator is closed (``contextlib.closing`` or a writer here
    closes it for you).

    Raises:
        ReportError: ``start`` is not before ``end`` (raised at once).
        StorageError: the database failed while the rows were read.
    """
    lo, hi = _period(store, start, end)
    code = store.settings.currency
    exponent = -currency(code).minor_units

    def money(minor: int) -> Money:
        return Money(Decimal(minor).scaleb(exponent, context=EXACT), code)

    def read(uow: UnitOfWork) -> Iterator[SaleLineRow]:
        for r in uow.export_sale_lines(code, lo, hi):
            yield SaleLineRow(
                receipt=r[0],
                kind=ReceiptKind(r[1]),
                completed_at=r[2],
                register_id=r[3],
                operator_id=r[4],
                customer_id=r[5],
                line_no=r[6],
                sku=r[7],
                name=r[8],
                category=r[17],
                quantity=_qty(r[9]),
                unit=Unit(r[10]),
                unit_price=Money(Decimal(r[11]), code),
                subtotal=money(r[12]),
                discount=money(r[13]),
                net=money(r[14]),
                tax=money(r[15]),
                gross=money(r[16]),
            )

    return _stream(store, read)


def count_sales(store: Store, start: date, end: date) -> int:
    """How many lines :func:`export_sales` gives for the same period (one COUNT query).

    Raises:
        ReportError: ``start`` is not before ``end``.
    """
    lo, hi = _period(store, start, end)
    code = store.settings.currency
    return store._read(lambda uow: uow.count_sale_lines(code, lo, hi))


def export_customers(store: Store) -> Generator[CustomerRow, None, None]:
    """Every customer not erased, oldest first, streamed like :func:`export_sales`.

    Raises:
        StorageError: the database failed while the rows were read.
    """

    def read(uow: UnitOfWork) -> Iterator[CustomerRow]:
        for r in uow.export_customers():
            yield CustomerRow(*r)

    return _stream(store, read)


def count_customers(store: Store) -> int:
    """How many rows :func:`export_customers` gives."""
    return store._read(lambda uow: uow.count_customers())


def export_stock(store: Store) -> Generator[StockRow, None, None]:
    """Every stock level, by SKU and location, with its value; streamed like :func:`export_sales`.

    A location's values are the lines of ``store.inventory.valuation(location)``;
    summed over locations they may differ from the whole store's valuation
    by rounding (that one rounds each item's total once).

    Raises:
        StorageError: the database failed while the rows were read.
    """
    code = store.settings.currency
    quantum = currency(code).quantum

    def read(uow: UnitOfWork) -> Iterator[StockRow]:
        for (
            sku,
            name,
            location_id,
            on_hand_micro,
            reserved_micro,
            cost_text,
        ) in uow.export_stock_levels():
            on_hand = _qty(on_hand_micro)
            cost = None if cost_text is None else Decimal(cost_text)
            value = None
            if cost is not None:
                held = max(on_hand, ZERO)  # negative stock is worth nothing, as in valuation()
                value = Money(
                    quantize(EXACT.multiply(held, cost), quantum, RoundingMode.HALF_EVEN), code
                )
            yield StockRow(sku, name, location_id, on_hand, _qty(reserved_micro), cost, value, code)

    return _stream(store, read)


def count_stock(store: Store) -> int:
    """How many rows :func:`export_stock` gives."""
    return store._read(lambda uow: uow.count_stock_levels())


# ---- writing ---------------------------------------------------------------------------

Rows = Iterable[ExportRow | Mapping[str, ExportValue]]
"""What the writers take: typed rows (:class:`SaleLineRow`, ...) or plain mappings."""


def _record(row: ExportRow | Mapping[str, ExportValue]) -> Mapping[str, ExportValue]:
    return row if isinstance(row, Mapping) else row.to_dict()


def _cell(value: ExportValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _close(rows: object) -> None:
    close = getattr(rows, "close", None)
    if callable(close):
        close()


def write_csv(rows: Rows, file: IO[str], *, columns: Iterable[str] | None = None) -> int:
    """Write rows as CSV with a header line, one row at a time; the number of rows.

    ``columns`` is the header (default: the first row's ``COLUMNS``, or a
    mapping's keys); pass it to get a header even when there are no rows.
    Cells: empty for None, ``true``/``false`` for flags, amounts and
    quantities as exact decimals. Lines end in a line feed; a cell with a comma,
    quote or line break is quoted (open files with ``newline=""``). Cells are
    written as they are: a CRM import gets the exact text, with no spreadsheet
    formula escaping.

    ``rows`` is closed (if it has ``close()``) when done or on an error, so a
    stream from :func:`export_sales` and friends releases its connection.
    """
    try:
        it = iter(rows)
        header = None if columns is None else tuple(columns)
        writer = csv.writer(file, lineterminator="\n")
        n = 0
        for row in it:
            record = _record(row)
            if header is None:
                header = tuple(getattr(row, "COLUMNS", None) or record)
            if n == 0:
                writer.writerow(header)
            writer.writerow([_cell(record[c]) for c in header])
            n += 1
        if n == 0 and header is not None:
            writer.writerow(header)
        return n
    finally:
        _close(rows)


def write_json(rows: Rows, file: IO[str]) -> int:
    """Write rows as one JSON array of objects, one element at a time; the number of rows.

    Each object is on its own line, keys in column order; amounts and
    quantities are strings with exact decimals (never JSON numbers), counts
    and points integers, flags booleans, nothing ``null``. No rows give ``[]``.
    ``rows`` is closed as by :func:`write_csv`.
    """
    try:
        n = 0
        for row in rows:
            file.write("[\n" if n == 0 else ",\n")
            file.write(json.dumps(dict(_record(row)), ensure_ascii=False))
            n += 1
        file.write("\n]\n" if n else "[]\n")
        return n
    finally:
        _close(rows)


def write_jsonl(rows: Rows, file: IO[str]) -> int:
    """Write rows as JSON Lines: one JSON object per line, as :func:`write_json`'s elements.

    The number of rows. ``rows`` is closed as by :func:`write_csv`.
    """
    try:
        n = 0
        for row in rows:
            file.write(json.dumps(dict(_record(row)), ensure_ascii=False))
            file.write("\n")
            n += 1
        return n
    finally:
        _close(rows)
