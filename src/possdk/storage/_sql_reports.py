"""Persistence of report queries (read-only SQL aggregates).

``ReportsRepository`` is mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`;
``ReportsUnitOfWork`` is its part of the :class:`~possdk.storage.UnitOfWork` protocol.

Every query here takes a UTC ``[start, end)`` range of completion times and
returns a handful of grouped rows: sums are made by the database, and no sale
is ever loaded into Python. Sales and returns are summed together (a return's
amounts are negative).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import sqlalchemy as sa

from possdk.storage import _schema as t

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = [
    "ReportsRepository",
    "ReportsUnitOfWork",
    "SalesDayTotals",
    "SalesFilter",
    "SalesKindTotals",
]

SalesDayTotals = tuple[int, int, int, int, int, int, int, int]
"""(sales, returns, subtotal, discount, net, tax, total, rounding), minor units."""


SalesKindTotals = tuple[str, int, int, int, int, int, int, int, int]
"""(kind, receipts, subtotal, discount, net, tax, total, items in millionths, lines).

Amounts in minor units; items and lines count the receipts' unvoided lines.
"""


@attrs.frozen
class SalesFilter:
    """Which receipts an analytics query reads.

    Completed in UTC ``[start, end)``, in ``currency``, optionally at one
    register and by one operator.
    """

    currency: str
    start: datetime
    end: datetime
    register_id: str | None = None
    operator_id: str | None = None


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

    def tax_by_rate(self, where: SalesFilter) -> Iterator[tuple[str, str, int, int]]:
        """(rate code, percent, net, tax) from the receipts' tax breakdowns, summed."""
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

    def gift_cards_outside_sales(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str, int]]:
        """(``"issue"`` or ``"expire"``, amount) of gift card changes outside a sale, summed.

        Issued as goodwill, or lapsed by the expiry policy (negative).
        """
        ...

    def cash_movements(self, start: datetime, end: datetime) -> Iterator[str]:
        """The journal payloads (JSON) of cash paid in or out in ``[start, end)``."""
        ...

    def stock_value_moves(
        self, start: datetime, end: datetime
    ) -> Iterator[tuple[str, str | None, int, int]]:
        """(kind, unit cost or None, quantity in millionths, movements), summed.

        Of the deliveries, adjustments and count corrections made in ``[start, end)``.
        """
        ...

    # ---- analytics ------------------------------------------------------------

    def sales_by_kind(self, where: SalesFilter) -> Iterator[SalesKindTotals]:
        """Per receipt kind (``sale``, ``return``): counts, summed amounts and items."""
        ...

    def sales_by_bucket(self, where: SalesFilter) -> Iterator[tuple[datetime, int, int, int, int]]:
        """(UTC quarter-hour start, sales, returns, total, net) of the receipts, summed.

        Quarter-hours, so every real time zone's local hours and days are whole
        sums of them (offsets are multiples of 15 minutes); at most 96 rows a day.
        """
        ...

    def sales_by_local_day(
        self, where: SalesFilter, offset_minutes: int
    ) -> Iterator[tuple[date, int, int, int, int]]:
        """(local date, sales, returns, total, net), the date taken at a fixed UTC offset.

        Exact only for a period with no offset change inside it (the caller checks).
        """
        ...

    def sales_by_category(
        self, where: SalesFilter
    ) -> Iterator[tuple[str | None, int, int, int, int]]:
        """(product category, lines, quantity in millionths, net, gross) of unvoided lines."""
        ...

    def tenders_taken(self, where: SalesFilter) -> Iterator[tuple[str, int, int]]:
        """(tender kind, tenders, amount) of the receipts' tenders, summed."""
        ...

    def top_products(
        self, where: SalesFilter, by: str, limit: int
    ) -> Iterator[tuple[str, str | None, int, int, int]]:
        """(SKU, catalog name, quantity in millionths, net, gross) of the ``limit`` best SKUs.

        ``by`` is ``"revenue"`` (gross) or ``"quantity"``; returns are netted in.
        """
        ...

    def products_not_sold_since(
        self, currency: str, since: datetime
    ) -> Iterator[tuple[str, str, datetime | None]]:
        """(SKU, name, last sale or None) of active catalog goods not sold since ``since``."""
        ...

    def sales_by_product(
        self, where: SalesFilter
    ) -> Iterator[tuple[str, str | None, int, int, int]]:
        """(SKU, catalog name, quantity in millionths, net, gross) of every SKU sold.

        One row per product (not per sale); gift cards are left out.
        """
        ...

    def slowest_products(
        self, where: SalesFilter, limit: int
    ) -> Iterator[tuple[str, str, int, int, int]]:
        """(SKU, name, quantity in millionths, net, gross) of the goods that sold least.

        Active catalog goods in the store's currency; those that did not sell
        at all in the period first.
        """
        ...

    def product_costs(
        self, where: SalesFilter, skus: Sequence[str] | None = None
    ) -> Iterator[tuple[str, str | None, int]]:
        """(SKU, unit cost or None, quantity in millionths) of the receipts' stock movements.

        Grouped by SKU and cost, so the products are taken exactly in Python; the
        quantity is what went out (sales positive, returns negative). ``skus``
        narrows it to those products.
        """
        ...

    def discounts_by_promotion(self, where: SalesFilter) -> Iterator[tuple[str, str, int, int]]:
        """(promotion id, latest description, receipts, amount) of the promotions given."""
        ...


def _in_range(currency: str, start: datetime, end: datetime) -> list[sa.ColumnElement[bool]]:
    s = t.sales.c
    return [s.completed_at >= start, s.completed_at < end, s.currency == currency]


def _filtered(where: SalesFilter) -> list[sa.ColumnElement[bool]]:
    s = t.sales.c
    out = _in_range(where.currency, where.start, where.end)
    if where.register_id is not None:
        out.append(s.register_id == where.register_id)
    if where.operator_id is not None:
        out.append(s.operator_id == where.operator_id)
    return out


def _not_gift_card(sku: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """Not a gift card: money put on a card is not a product sold."""
    p = t.products.c
    return sku.not_in(sa.select(p.sku).where(p.kind == "gift_card"))


def _sold_by_sku(where: SalesFilter, *also: sa.ColumnElement[bool]) -> sa.Subquery:
    """(sku, quantity, net, gross) of the receipts' unvoided lines, summed per SKU."""
    s, ln = t.sales.c, t.sale_lines.c
    return (
        sa.select(
            ln.sku,
            sa.func.sum(ln.quantity_micro).label("quantity"),
            sa.func.sum(ln.net_minor).label("net"),
            sa.func.sum(ln.gross_minor).label("gross"),
        )
        .select_from(t.sale_lines.join(t.sales, s.id == ln.sale_id))
        .where(*_filtered(where), ln.voided == sa.false(), *also)
        .group_by(ln.sku)
        .subquery()
    )


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

    def tax_by_rate(self, where: SalesFilter) -> Iterator[tuple[str, str, int, int]]:
        """(rate code, percent, net, tax) from the receipts' tax breakdowns, summed."""
        s, x = t.sales.c, t.sale_taxes.c
        stmt = (
            sa.select(
                x.rate_code,
                sa.func.max(x.percent),
                sa.func.sum(x.net_minor),
                sa.func.sum(x.tax_minor),
            )
            .select_from(t.sale_taxes.join(t.sales, s.id == x.sale_id))
            .where(*_filtered(where))
            .group_by(x.rate_code)
            .order_by(x.rate_code)
        )
        for code, percent, net, tax in self.conn.execute(stmt):
            yield str(code), str(percent), int(net), int(tax)

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

    def gift_cards_outside_sales(
        self, currency: str, start: datetime, end: datetime
    ) -> Iterator[tuple[str, int]]:
        """(``"issue"`` or ``"expire"``, amount) of gift card changes outside a sale, summed."""
        e, a = t.account_entries.c, t.accounts.c
        kind = sa.case((e.key.like("gc:issue:%"), "issue"), else_="expire")
        stmt = (
            sa.select(kind, sa.func.sum(e.amount_minor))
            .select_from(t.account_entries.join(t.accounts, a.number == e.number))
            .where(
                e.at >= start,
                e.at < end,
                a.currency == currency,
                sa.or_(e.key.like("gc:issue:%"), e.key.like("gc:expire:%")),
            )
            .group_by(kind)
            .order_by(kind)
        )
        for k, amount in self.conn.execute(stmt):
            yield str(k), int(amount)

    def cash_movements(self, start: datetime, end: datetime) -> Iterator[str]:
        """The journal payloads (JSON) of cash paid in or out in ``[start, end)``."""
        j = t.journal.c
        stmt = (
            sa.select(j.payload)
            .where(j.type == "CashMoved", j.at >= start, j.at < end)
            .order_by(j.at, j.id)
        )
        for (payload,) in self.conn.execute(stmt):
            yield str(payload)

    def stock_value_moves(
        self, start: datetime, end: datetime
    ) -> Iterator[tuple[str, str | None, int, int]]:
        """(kind, unit cost or None, quantity in millionths, movements), summed.

        Of the deliveries, adjustments and count corrections made in ``[start, end)``.
        """
        m = t.stock_movements.c
        stmt = (
            sa.select(m.kind, m.unit_cost, sa.func.sum(m.quantity_micro), sa.func.count())
            .where(m.at >= start, m.at < end, m.kind.in_(["receipt", "adjustment", "count"]))
            .group_by(m.kind, m.unit_cost)
            .order_by(m.kind, m.unit_cost)
        )
        for kind, cost, quantity, count in self.conn.execute(stmt):
            yield str(kind), (None if cost is None else str(cost)), int(quantity), int(count)

    # ---- analytics ------------------------------------------------------------

    def sales_by_kind(self, where: SalesFilter) -> Iterator[SalesKindTotals]:
        """Per receipt kind (``sale``, ``return``): counts, summed amounts and items."""
        s, ln = t.sales.c, t.sale_lines.c
        totals = (
            sa.select(
                s.kind,
                sa.func.count(),
                sa.func.sum(s.subtotal_minor),
                sa.func.sum(s.discount_minor),
                sa.func.sum(s.net_minor),
                sa.func.sum(s.tax_minor),
                sa.func.sum(s.total_minor),
            )
            .where(*_filtered(where))
            .group_by(s.kind)
        )
        items = (
            sa.select(s.kind, sa.func.sum(ln.quantity_micro), sa.func.count())
            .select_from(t.sale_lines.join(t.sales, s.id == ln.sale_id))
            .where(*_filtered(where), ln.voided == sa.false())
            .group_by(s.kind)
        )
        counted = {str(k): (int(q), int(n)) for k, q, n in self.conn.execute(items)}
        for kind, n, sub, disc, net, tax, total in self.conn.execute(totals):
            q, lines = counted.get(str(kind), (0, 0))
            yield str(kind), int(n), int(sub), int(disc), int(net), int(tax), int(total), q, lines

    def sales_by_bucket(self, where: SalesFilter) -> Iterator[tuple[datetime, int, int, int, int]]:
        """(UTC quarter-hour start, sales, returns, total, net) of the receipts, summed."""
        s = t.sales.c
        is_return = sa.case((s.kind == "return", 1), else_=0)
        sums = (
            sa.func.sum(1 - is_return),
            sa.func.sum(is_return),
            sa.func.sum(s.total_minor),
            sa.func.sum(s.net_minor),
        )
        if self.conn.dialect.name == "sqlite":
            # ISO text in UTC: the hour is a prefix, the quarter is in the minutes.
            hour = sa.func.substr(s.completed_at, 1, 13)
            quarter = sa.cast(sa.func.substr(s.completed_at, 15, 2), sa.Integer) // 15
            stmt = sa.select(hour, quarter, *sums).where(*_filtered(where)).group_by(hour, quarter)
            for h, q, n, r, total, net in self.conn.execute(stmt):
                at = datetime.fromisoformat(f"{h}:00:00+00:00") + timedelta(minutes=15 * int(q))
                yield at, int(n), int(r), int(total), int(net)
            return
        epoch = sa.func.floor(sa.extract("epoch", s.completed_at) / 900)
        bucket = sa.cast(epoch, sa.BigInteger)
        stmt = sa.select(bucket, *sums).where(*_filtered(where)).group_by(bucket)
        for b, n, r, total, net in self.conn.execute(stmt):
            at = datetime.fromtimestamp(int(b) * 900, timezone.utc)
            yield at, int(n), int(r), int(total), int(net)

    def sales_by_local_day(
        self, where: SalesFilter, offset_minutes: int
    ) -> Iterator[tuple[date, int, int, int, int]]:
        """(local date, sales, returns, total, net), the date taken at a fixed UTC offset."""
        s = t.sales.c
        if self.conn.dialect.name == "sqlite":
            # ISO text in UTC: the date is a prefix; date() shifts it only when needed.
            day: sa.ColumnElement[Any] = (
                sa.func.substr(s.completed_at, 1, 10)
                if offset_minutes == 0
                else sa.func.date(
                    sa.func.substr(s.completed_at, 1, 19), f"{offset_minutes:+d} minutes"
                )
            )
        else:
            shifted = sa.func.timezone("UTC", s.completed_at) + timedelta(minutes=offset_minutes)
            day = sa.cast(shifted, sa.Date)
        is_return = sa.case((s.kind == "return", 1), else_=0)
        stmt = (
            sa.select(
                day,
                sa.func.sum(1 - is_return),
                sa.func.sum(is_return),
                sa.func.sum(s.total_minor),
                sa.func.sum(s.net_minor),
            )
            .where(*_filtered(where))
            .group_by(day)
        )
        for d, n, r, total, net in self.conn.execute(stmt):
            local = d if isinstance(d, date) else date.fromisoformat(d)
            yield local, int(n), int(r), int(total), int(net)

    def sales_by_category(
        self, where: SalesFilter
    ) -> Iterator[tuple[str | None, int, int, int, int]]:
        """(product category, lines, quantity in millionths, net, gross) of unvoided lines."""
        s, ln, p = t.sales.c, t.sale_lines.c, t.products.c
        stmt = (
            sa.select(
                p.category,
                sa.func.count(),
                sa.func.sum(ln.quantity_micro),
                sa.func.sum(ln.net_minor),
                sa.func.sum(ln.gross_minor),
            )
            .select_from(
                t.sale_lines.join(t.sales, s.id == ln.sale_id).outerjoin(
                    t.products, p.sku == ln.sku
                )
            )
            .where(*_filtered(where), ln.voided == sa.false(), _not_gift_card(ln.sku))
            .group_by(p.category)
            .order_by(p.category)
        )
        for category, n, quantity, net, gross in self.conn.execute(stmt):
            yield category, int(n), int(quantity), int(net), int(gross)

    def tenders_taken(self, where: SalesFilter) -> Iterator[tuple[str, int, int]]:
        """(tender kind, tenders, amount) of the receipts' tenders, summed."""
        s, x = t.sales.c, t.tenders.c
        stmt = (
            sa.select(x.kind, sa.func.count(), sa.func.sum(x.amount_minor))
            .select_from(t.tenders.join(t.sales, s.id == x.sale_id))
            .where(*_filtered(where))
            .group_by(x.kind)
            .order_by(x.kind)
        )
        for kind, n, amount in self.conn.execute(stmt):
            yield str(kind), int(n), int(amount)

    def top_products(
        self, where: SalesFilter, by: str, limit: int
    ) -> Iterator[tuple[str, str | None, int, int, int]]:
        """(SKU, catalog name, quantity in millionths, net, gross) of the ``limit`` best SKUs."""
        s, ln, p = t.sales.c, t.sale_lines.c, t.products.c
        quantity = sa.func.sum(ln.quantity_micro).label("quantity")
        gross = sa.func.sum(ln.gross_minor).label("gross")
        key = gross if by == "revenue" else quantity
        best = (
            sa.select(ln.sku, quantity, sa.func.sum(ln.net_minor).label("net"), gross)
            .select_from(t.sale_lines.join(t.sales, s.id == ln.sale_id))
            .where(*_filtered(where), ln.voided == sa.false(), _not_gift_card(ln.sku))
            .group_by(ln.sku)
            .order_by(key.desc(), ln.sku)
            .limit(limit)
            .subquery()
        )
        b = best.c
        order = b.gross if by == "revenue" else b.quantity
        stmt = (
            sa.select(b.sku, p.name, b.quantity, b.net, b.gross)
            .select_from(best.outerjoin(t.products, p.sku == b.sku))
            .order_by(order.desc(), b.sku)
        )
        for sku, name, q, net, g in self.conn.execute(stmt):
            yield str(sku), name, int(q), int(net), int(g)

    def products_not_sold_since(
        self, currency: str, since: datetime
    ) -> Iterator[tuple[str, str, datetime | None]]:
        """(SKU, name, last sale or None) of active catalog goods not sold since ``since``."""
        s, ln, p = t.sales.c, t.sale_lines.c, t.products.c
        last = (
            sa.select(ln.sku, sa.func.max(s.completed_at).label("last"))
            .select_from(t.sale_lines.join(t.sales, s.id == ln.sale_id))
            .where(s.kind == "sale", s.currency == currency, ln.voided == sa.false())
            .group_by(ln.sku)
            .subquery()
        )
        stmt = (
            sa.select(p.sku, p.name, last.c.last)
            .select_from(t.products.outerjoin(last, last.c.sku == p.sku))
            .where(
                p.active == sa.true(),
                p.kind == "goods",
                sa.or_(last.c.last.is_(None), last.c.last < since),
            )
            .order_by(last.c.last.is_not(None), last.c.last, p.sku)
        )
        for sku, name, when in self.conn.execute(stmt):
            yield str(sku), str(name), when

    def sales_by_product(
        self, where: SalesFilter
    ) -> Iterator[tuple[str, str | None, int, int, int]]:
        """(SKU, catalog name, quantity in millionths, net, gross) of every SKU sold."""
        p = t.products.c
        sold = _sold_by_sku(where, _not_gift_card(t.sale_lines.c.sku))
        b = sold.c
        stmt = (
            sa.select(b.sku, p.name, b.quantity, b.net, b.gross)
            .select_from(sold.outerjoin(t.products, p.sku == b.sku))
            .order_by(b.sku)
        )
        for sku, name, q, net, gross in self.conn.execute(stmt):
            yield str(sku), name, int(q), int(net), int(gross)

    def product_costs(
        self, where: SalesFilter, skus: Sequence[str] | None = None
    ) -> Iterator[tuple[str, str | None, int]]:
        """(SKU, unit cost or None, quantity in millionths) of the receipts' stock movements."""
        s, m = t.sales.c, t.stock_movements.c
        conditions = [*_filtered(where), m.kind.in_(["sale", "return"])]
        if skus is not None:
            conditions.append(m.sku.in_(list(skus)))
        stmt = (
            sa.select(m.sku, m.unit_cost, -sa.func.sum(m.quantity_micro))
            .select_from(t.stock_movements.join(t.sales, s.id == m.document_id))
            .where(*conditions)
            .group_by(m.sku, m.unit_cost)
            .order_by(m.sku, m.unit_cost)
        )
        for sku, cost, quantity in self.conn.execute(stmt):
            yield str(sku), (None if cost is None else str(cost)), int(quantity)

    def discounts_by_promotion(self, where: SalesFilter) -> Iterator[tuple[str, str, int, int]]:
        """(promotion id, latest description, receipts, amount) of the promotions given."""
        s, x = t.sales.c, t.sale_promotions.c
        stmt = (
            sa.select(
                x.promotion_id,
                sa.func.max(x.description),
                sa.func.count(sa.distinct(x.sale_id)),
                sa.func.sum(x.amount_minor),
            )
            .select_from(t.sale_promotions.join(t.sales, s.id == x.sale_id))
            .where(*_filtered(where))
            .group_by(x.promotion_id)
            .order_by(sa.func.sum(x.amount_minor).desc(), x.promotion_id)
        )
        for pid, description, receipts, amount in self.conn.execute(stmt):
            yield str(pid), str(description), int(receipts), int(amount)

    def slowest_products(
        self, where: SalesFilter, limit: int
    ) -> Iterator[tuple[str, str, int, int, int]]:
        """(SKU, name, quantity in millionths, net, gross) of the goods that sold least."""
        p = t.products.c
        sold = _sold_by_sku(where)
        quantity = sa.func.coalesce(sold.c.quantity, 0)
        gross = sa.func.coalesce(sold.c.gross, 0)
        stmt = (
            sa.select(p.sku, p.name, quantity, sa.func.coalesce(sold.c.net, 0), gross)
            .select_from(t.products.outerjoin(sold, sold.c.sku == p.sku))
            .where(p.active == sa.true(), p.kind == "goods", p.currency == where.currency)
            .order_by(sa.case((sold.c.sku.is_(None), 0), else_=1), quantity, gross, p.sku)
            .limit(limit)
        )
        for sku, name, q, net, g in self.conn.execute(stmt):
            yield str(sku), str(name), int(q), int(net), int(g)
