"""Persistence of report queries (read-only SQL aggregates).

``ReportsRepository`` is mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`;
``ReportsUnitOfWork`` is its part of the :class:`~possdk.storage.UnitOfWork` protocol.

Every query here takes a UTC ``[start, end)`` range of completion times and
returns a handful of grouped rows: sums are made by the database, and no sale
is ever loaded into Python. Sales and returns are summed together (a return's
amounts are negative).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from possdk.storage import _schema as t

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["ReportsRepository", "ReportsUnitOfWork", "SalesDayTotals"]

SalesDayTotals = tuple[int, int, int, int, int, int, int, int]
"""(sales, returns, subtotal, discount, net, tax, total, rounding), minor units."""


class ReportsUnitOfWork(Protocol):
    """The unit of work's methods for report queries (read-only SQL aggregates)."""

    def sales_day_totals(self, currency: str, start: datetime, end: datetime) -> SalesDayTotals:
        """Receipts completed in ``[start, end)``: counts and summed totals (minor units)."""
        ...

    def sales_by_tax_category(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str | None, str | None, int, int]]:
        """(tax category, product kind, net, gross) of the sold lines, summed.

        Category and kind are the product's (None for a SKU not in the catalog).
        """
        ...

    def tax_by_rate(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str, int, int]]:
        """(rate code, net, tax) from the receipts' tax breakdowns, summed."""
        ...

    def tenders_by_kind(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str, int, int]]:
        """(tender kind, amount, cash rounding), summed."""
        ...

    def points_by_kind(self, start: datetime, end: datetime) -> Iterator[tuple[str, int]]:
        """(points ledger kind, points) of movements made in ``[start, end)``, summed."""
        ...

    def cost_of_sales(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str | None, int, int]]:
        """(unit cost or None, quantity in millionths, movements) of a day's sales' stock.

        The sale and return stock movements of receipts completed in ``[start, end)``,
        grouped by cost, so the products are taken exactly in Python (SQLite has no
        exact decimal type); ``None`` counts movements of items with no known cost.
        """
        ...


def _in_range(currency: str, start: datetime, end: datetime) -> list[sa.ColumnElement[bool]]:
    s = t.sales.c
    return [s.completed_at >= start, s.completed_at < end, s.currency == currency]


class ReportsRepository:
    """SQL for report queries (read-only SQL aggregates).

    Needs ``conn``, ``raw`` and ``cursor`` from the unit of work.
    """

    conn: Connection
    raw: Any
    cursor: Any

    def sales_day_totals(self, currency: str, start: datetime, end: datetime) -> SalesDayTotals:
        """Receipts completed in ``[start, end)``: counts and summed totals (minor units)."""
        s = t.sales.c

        def total(col: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
            return sa.func.coalesce(sa.func.sum(col), 0)

        is_return = sa.case((s.kind == "return", 1), else_=0)
        row = self.conn.execute(
            sa.select(
                total(1 - is_return),
                total(is_return),
                total(s.subtotal_minor),
                total(s.discount_minor),
                total(s.net_minor),
                total(s.tax_minor),
                total(s.total_minor),
                total(s.rounding_minor),
            ).where(*_in_range(currency, start, end))
        ).one()
        a, b, c, d, e, f, g, h = (int(x) for x in row)
        return a, b, c, d, e, f, g, h

    def sales_by_tax_category(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str | None, str | None, int, int]]:
        """(tax category, product kind, net, gross) of the sold lines, summed."""
        s, ln, p = t.sales.c, t.sale_lines.c, t.products.c
        stmt = (
            sa.select(
                p.tax_category, p.kind, sa.func.sum(ln.net_minor), sa.func.sum(ln.gross_minor)
            )
            .select_from(
                t.sale_lines.join(t.sales, s.id == ln.sale_id).outerjoin(
                    t.products, p.sku == ln.sku
                )
            )
            .where(*_in_range(currency, start, end), ln.voided == sa.false())
            .group_by(p.tax_category, p.kind)
            .order_by(p.tax_category, p.kind)
        )
        for category, kind, net, gross in self.conn.execute(stmt):
            yield category, kind, int(net), int(gross)

    def tax_by_rate(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str, int, int]]:
        """(rate code, net, tax) from the receipts' tax breakdowns, summed."""
        s, x = t.sales.c, t.sale_taxes.c
        stmt = (
            sa.select(x.rate_code, sa.func.sum(x.net_minor), sa.func.sum(x.tax_minor))
            .select_from(t.sale_taxes.join(t.sales, s.id == x.sale_id))
            .where(*_in_range(currency, start, end))
            .group_by(x.rate_code)
            .order_by(x.rate_code)
        )
        for code, net, tax in self.conn.execute(stmt):
            yield str(code), int(net), int(tax)

    def tenders_by_kind(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str, int, int]]:
        """(tender kind, amount, cash rounding), summed."""
        s, x = t.sales.c, t.tenders.c
        stmt = (
            sa.select(x.kind, sa.func.sum(x.amount_minor), sa.func.sum(x.rounding_minor))
            .select_from(t.tenders.join(t.sales, s.id == x.sale_id))
            .where(*_in_range(currency, start, end))
            .group_by(x.kind)
            .order_by(x.kind)
        )
        for kind, amount, rounding in self.conn.execute(stmt):
            yield str(kind), int(amount), int(rounding)

    def points_by_kind(self, start: datetime, end: datetime) -> Iterator[tuple[str, int]]:
        """(points ledger kind, points) of movements made in ``[start, end)``, summed."""
        from possdk.storage._schema_loyalty import points_ledger

        c = points_ledger.c
        stmt = (
            sa.select(c.kind, sa.func.sum(c.points))
            .where(c.at >= start, c.at < end)
            .group_by(c.kind)
            .order_by(c.kind)
        )
        for kind, points in self.conn.execute(stmt):
            yield str(kind), int(points)

    def cost_of_sales(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str | None, int, int]]:
        """(unit cost or None, quantity in millionths, movements) of a day's sales' stock."""
        s, m = t.sales.c, t.stock_movements.c
        stmt = (
            sa.select(m.unit_cost, sa.func.sum(m.quantity_micro), sa.func.count())
            .select_from(t.stock_movements.join(t.sales, s.id == m.document_id))
            .where(*_in_range(currency, start, end), m.kind.in_(["sale", "return"]))
            .group_by(m.unit_cost)
            .order_by(m.unit_cost)
        )
        for cost, quantity, count in self.conn.execute(stmt):
            yield (None if cost is None else str(cost)), int(quantity), int(count)
