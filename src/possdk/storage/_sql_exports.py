"""Persistence of exports for ERP and CRM imports (read-only SQL that streams its rows).

``ExportsRepository`` is mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`;
``ExportsUnitOfWork`` is its part of the :class:`~possdk.storage.UnitOfWork` protocol.

Each export is one ordered ``SELECT`` whose rows are fetched in batches of
:data:`BATCH` while the caller iterates (a server-side cursor on PostgreSQL;
SQLite's cursor is lazy already), so an export of years of sales holds a
batch in memory, never the whole result. Each has a ``count_*`` twin that
counts the same rows (for a progress bar). Amounts stay integer minor units
and quantities integer millionths here; :mod:`possdk.reports._export` makes
them values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from possdk.storage import _schema as t
from possdk.storage import _schema_loyalty as tl

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = [
    "BATCH",
    "CustomerExportRow",
    "ExportsRepository",
    "ExportsUnitOfWork",
    "SaleLineExportRow",
    "StockExportRow",
]

BATCH = 1000
"""Rows fetched from the database at a time while an export streams."""

SaleLineExportRow = tuple[
    str, str, datetime, str, str, str | None, int, str, str, int, str, str,
    int, int, int, int, int, str | None,
]  # fmt: skip
"""(receipt number, kind, completed at, register, operator, customer id, line no, SKU,
name, quantity in millionths, unit, unit price text, subtotal, discount, net, tax, gross,
product category); amounts in minor units."""

CustomerExportRow = tuple[
    str, str, str | None, str | None, bool, int | None, str | None, str | None,
    str | None, int, datetime,
]  # fmt: skip
"""(id, name, phone, e-mail, marketing consent, birth year, postcode, gender, tier,
points balance, created at)."""

StockExportRow = tuple[str, str | None, str, int, int, str | None]
"""(SKU, catalog name, location, on hand in millionths, reserved in millionths,
average cost text or None)."""


class ExportsUnitOfWork(Protocol):
    """The unit of work's methods for exports (read-only SQL that streams its rows)."""

    def export_sale_lines(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[SaleLineExportRow]:
        """The unvoided lines of receipts completed in UTC ``[start, end)``, streamed.

        In completion order, then by receipt number and line number; a return's
        amounts and quantities are negative.
        """
        ...

    def count_sale_lines(self, currency: str, start: datetime, end: datetime) -> int:
        """How many rows :meth:`export_sale_lines` gives for the same arguments."""
        ...

    def export_customers(self) -> Iterator[CustomerExportRow]:
        """Every customer not erased, oldest first, streamed."""
        ...

    def count_customers(self) -> int:
        """How many rows :meth:`export_customers` gives."""
        ...

    def export_stock_levels(self) -> Iterator[StockExportRow]:
        """Every stock level, by SKU and location, streamed."""
        ...

    def count_stock_levels(self) -> int:
        """How many rows :meth:`export_stock_levels` gives."""
        ...


def _sale_lines_where(currency: str, start: datetime, end: datetime) -> list[Any]:
    s, ln = t.sales.c, t.sale_lines.c
    return [
        s.completed_at >= start,
        s.completed_at < end,
        s.currency == currency,
        ln.voided == sa.false(),
    ]


def _count(conn: Connection, stmt: sa.Select[Any]) -> int:
    return int(conn.execute(stmt).scalar_one())


class ExportsRepository:
    """SQL for exports (read-only SQL that streams its rows).

    Needs ``conn`` from the unit of work.
    """

    conn: Connection

    def _stream(self, stmt: sa.Select[Any]) -> Iterator[Sequence[Any]]:
        # Per statement, not on the connection: Connection.execution_options()
        # changes the unit of work's connection for everything after it.
        result = self.conn.execute(stmt.execution_options(yield_per=BATCH))
        try:
            yield from result
        finally:
            result.close()  # a stream closed early frees its server-side cursor now

    def export_sale_lines(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[SaleLineExportRow]:
        """The unvoided lines of receipts completed in UTC ``[start, end)``, streamed."""
        s, ln, p = t.sales.c, t.sale_lines.c, t.products.c
        stmt = (
            sa.select(
                s.number,
                s.kind,
                s.completed_at,
                s.register_id,
                s.operator_id,
                s.customer_id,
                ln.line_no,
                ln.sku,
                ln.name,
                ln.quantity_micro,
                ln.unit,
                ln.unit_price,
                ln.subtotal_minor,
                ln.discount_minor,
                ln.net_minor,
                ln.tax_minor,
                ln.gross_minor,
                p.category,
            )
            .select_from(
                t.sale_lines.join(t.sales, s.id == ln.sale_id).outerjoin(
                    t.products, p.sku == ln.sku
                )
            )
            .where(*_sale_lines_where(currency, start, end))
            .order_by(s.completed_at, s.number, ln.line_no)
        )
        for r in self._stream(stmt):
            yield (
                str(r[0]),
                str(r[1]),
                r[2],
                str(r[3]),
                str(r[4]),
                None if r[5] is None else str(r[5]),
                int(r[6]),
                str(r[7]),
                str(r[8]),
                int(r[9]),
                str(r[10]),
                str(r[11]),
                int(r[12]),
                int(r[13]),
                int(r[14]),
                int(r[15]),
                int(r[16]),
                r[17],
            )

    def count_sale_lines(self, currency: str, start: datetime, end: datetime) -> int:
        """How many rows :meth:`export_sale_lines` gives for the same arguments."""
        s, ln = t.sales.c, t.sale_lines.c
        stmt = (
            sa.select(sa.func.count())
            .select_from(t.sale_lines.join(t.sales, s.id == ln.sale_id))
            .where(*_sale_lines_where(currency, start, end))
        )
        return _count(self.conn, stmt)

    def export_customers(self) -> Iterator[CustomerExportRow]:
        """Every customer not erased, oldest first, streamed."""
        c = tl.customers.c
        stmt = (
            sa.select(
                c.id,
                c.name,
                c.phone,
                c.email,
                c.marketing_consent,
                c.birth_year,
                c.postcode,
                c.gender,
                c.tier,
                c.points,
                c.created_at,
            )
            .where(c.erased_at.is_(None))
            .order_by(c.created_at, c.id)
        )
        for r in self._stream(stmt):
            yield (
                str(r[0]),
                str(r[1]),
                r[2],
                r[3],
                bool(r[4]),
                None if r[5] is None else int(r[5]),
                r[6],
                r[7],
                r[8],
                int(r[9]),
                r[10],
            )

    def count_customers(self) -> int:
        """How many rows :meth:`export_customers` gives."""
        c = tl.customers.c
        return _count(self.conn, sa.select(sa.func.count()).where(c.erased_at.is_(None)))

    def export_stock_levels(self) -> Iterator[StockExportRow]:
        """Every stock level, by SKU and location, streamed."""
        lv, item, p = t.stock_levels.c, t.stock_items.c, t.products.c
        stmt = (
            sa.select(
                lv.sku,
                p.name,
                lv.location_id,
                lv.on_hand_micro,
                lv.reserved_micro,
                item.average_cost,
            )
            .select_from(
                t.stock_levels.outerjoin(t.stock_items, item.sku == lv.sku).outerjoin(
                    t.products, p.sku == lv.sku
                )
            )
            .order_by(lv.sku, lv.location_id)
        )
        for r in self._stream(stmt):
            yield str(r[0]), r[1], str(r[2]), int(r[3]), int(r[4]), r[5]

    def count_stock_levels(self) -> int:
        """How many rows :meth:`export_stock_levels` gives."""
        return _count(self.conn, sa.select(sa.func.count()).select_from(t.stock_levels))
