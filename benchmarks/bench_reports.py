"""bench_reports: sales analytics over 1,000,000 sale lines against hand-written SQL.

History: a SQLite file store with 5,000 products (50 categories) and 200,000
five-line sales (1,000,000 lines) spread evenly over 90 days, with their tax
breakdowns and tenders, loaded untimed through the raw driver (a recursive CTE
into a temporary table, then ``INSERT ... SELECT`` into ``sales``,
``sale_lines``, ``sale_taxes`` and ``tenders``, so the receipts' totals are the
sums of their lines; the secondary indexes are built after). The store's time
zone is UTC, so the hand-written day is ``substr(completed_at, 1, 10)``.

Timed, each against a hand-written query on a raw ``sqlite3`` connection, taking
turns, best of 3: one day's summary (the Z-like figures,
``Analytics.summary``), sales by day for the 90 days (``Analytics.by_day``,
which groups by UTC quarter-hour and folds into local days in Python), and the
top 20 products by revenue (``Analytics.top_products``). Goals: each < 1 s,
ratio <= 1.5. Peak memory is ``tracemalloc``'s peak during one possdk call
(measured apart from the timing, which it would slow down).

``python -m benchmarks.bench_reports [--lines N] [--products N] [--days N]``
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks._util import best_of_each
from possdk import Catalog, Money, Operator, Product, Role, Settings, Store, TaxCategory, TaxRate
from possdk.reports import Analytics

LINES = 1_000_000
PRODUCTS = 5_000
DAYS = 90
PER_SALE = 5
REPEAT = 3
FIRST = date(2026, 8, 1)
FIRST_EPOCH = 1785542400  # 2026-08-01T00:00:00Z

TABLES = ("sales", "sale_lines", "sale_taxes", "tenders")


def catalog(products: int) -> Catalog:
    """``products`` products in 50 categories; unit prices 5.00 to 204.99."""
    return Catalog(
        [TaxCategory("std", [TaxRate("VAT20", "20")])],
        [
            Product(
                f"SKU{i:04d}",
                f"Product {i}",
                Money.from_minor(_unit_minor(i), "UAH"),
                "std",
                category=f"cat{i % 50:02d}",
            )
            for i in range(products)
        ],
    )


def _unit_minor(i: int) -> int:
    return 500 + (i * 37) % 20000


def load(path: Path, lines: int, products: int, days: int) -> None:
    """The history in one transaction; secondary indexes dropped, then built after."""
    sales = lines // PER_SALE
    step = days * 86400 / sales
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        (session,) = conn.execute("SELECT id FROM register_sessions").fetchone()
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN {TABLES}"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        # Line j: sale j / 5, a product spread by a multiplicative hash, 1-3 pieces.
        conn.execute(
            "CREATE TEMP TABLE tl AS WITH RECURSIVE seq(j) AS (SELECT 0 UNION ALL "
            f"SELECT j + 1 FROM seq WHERE j < {lines - 1}), "
            f"h(j, p) AS (SELECT j, ((j * 2654435761) % 4294967296) % {products} FROM seq) "
            f"SELECT j / {PER_SALE} AS s, j % {PER_SALE} + 1 AS n, p, 1 + j % 3 AS q, "
            f"(1 + j % 3) * (500 + (p * 37) % 20000) AS g FROM h"
        )
        conn.execute(
            "INSERT INTO sale_lines (sale_id, line_no, sku, name, quantity_micro, unit, "
            "unit_price, subtotal_minor, discount_minor, net_minor, tax_minor, gross_minor, "
            "voided, return_of_sale, return_of_line) "
            "SELECT printf('%032x', s), n, printf('SKU%04d', p), 'Product ' || p, "
            "q * 1000000, 'each', printf('%d.%02d', g / q / 100, g / q % 100), g, 0, "
            "g - g / 6, g / 6, g, 0, NULL, NULL FROM tl"
        )
        at = (
            f"strftime('%Y-%m-%dT%H:%M:%S', {FIRST_EPOCH} + CAST(s * {step} AS INTEGER), "
            "'unixepoch') || '.000000+00:00'"
        )
        conn.execute(
            "INSERT INTO sales (id, number, kind, register_id, session_id, operator_id, "
            "currency, started_at, completed_at, subtotal_minor, discount_minor, net_minor, "
            "tax_minor, total_minor, rounding_minor, change_minor, return_of, receipt) "
            f"SELECT printf('%032x', s), 'B-' || s, 'sale', 'till-1', ?, 'c', 'UAH', {at}, "
            f"{at}, SUM(g), 0, SUM(g - g / 6), SUM(g / 6), SUM(g), 0, 0, NULL, '{{}}' "
            "FROM tl GROUP BY s",
            (session,),
        )
        conn.execute(
            "INSERT INTO sale_taxes (sale_id, rate_code, percent, net_minor, tax_minor) "
            "SELECT printf('%032x', s), 'VAT20', '20', SUM(g - g / 6), SUM(g / 6) "
            "FROM tl GROUP BY s"
        )
        conn.execute(
            "INSERT INTO tenders (sale_id, tender_no, kind, amount_minor, tendered_minor, "
            "change_minor, rounding_minor, reference) "
            "SELECT printf('%032x', s), 1, CASE WHEN s % 3 = 0 THEN 'cash' ELSE 'card' END, "
            "SUM(g), SUM(g), 0, 0, NULL FROM tl GROUP BY s"
        )
        conn.execute("DROP TABLE tl")
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _iso(d: date) -> str:
    return f"{d.isoformat()}T00:00:00.000000+00:00"


SUMMARY_SQL = (
    "SELECT kind, COUNT(*), SUM(discount_minor), SUM(net_minor), SUM(tax_minor), "
    "SUM(total_minor) FROM sales WHERE completed_at >= ? AND completed_at < ? "
    "GROUP BY kind"
)
ITEMS_SQL = (  # items sold and items returned, as the summary has both
    "SELECT s.kind, SUM(l.quantity_micro) FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
    "WHERE s.completed_at >= ? AND s.completed_at < ? AND l.voided = 0 GROUP BY s.kind"
)
BY_DAY_SQL = (
    "SELECT substr(completed_at, 1, 10), SUM(kind = 'sale'), SUM(kind = 'return'), "
    "SUM(total_minor), SUM(net_minor) FROM sales "
    "WHERE completed_at >= ? AND completed_at < ? GROUP BY 1 ORDER BY 1"
)
TOP_SQL = (
    "SELECT l.sku, SUM(l.quantity_micro), SUM(l.net_minor), SUM(l.gross_minor) AS gross "
    "FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
    "WHERE s.completed_at >= ? AND s.completed_at < ? AND l.voided = 0 "
    "GROUP BY l.sku ORDER BY gross DESC, l.sku LIMIT 20"
)


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(lines: int = LINES, products: int = PRODUCTS, days: int = DAYS) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.db"
        start = time.perf_counter()
        store = Store.open(
            f"sqlite:///{path}",
            settings=Settings(currency="UAH"),  # UTC: local days are UTC days
            catalog=catalog(products),
            operators=[Operator("c", "Cashier", Role.cashier())],
            load_entry_points=False,
        )
        try:
            store.register("till-1").open_session(operator="c")
            load(path, lines, products, days)
            loaded = time.perf_counter() - start
            raw = sqlite3.connect(path, isolation_level=None)
            analytics = Analytics(store)
            end = FIRST + timedelta(days=days)
            z_day = FIRST + timedelta(days=days // 2)
            z_range = (_iso(z_day), _iso(z_day + timedelta(days=1)))
            whole = (_iso(FIRST), _iso(end))
            try:
                counted = raw.execute("SELECT COUNT(*) FROM sale_lines").fetchone()[0]

                def floor_summary() -> tuple[object, ...]:
                    rows = {r[0]: r[1:] for r in raw.execute(SUMMARY_SQL, z_range)}
                    items = dict(raw.execute(ITEMS_SQL, z_range).fetchall())
                    count, discount, net, tax, total = rows["sale"]
                    return count, discount, net, tax, total, items["sale"], items.get("return", 0)

                def ours_summary() -> tuple[object, ...]:
                    s = analytics.summary(z_day, z_day + timedelta(days=1))
                    return (
                        s.sales,
                        s.discount.minor,
                        s.net.minor,
                        s.tax.minor,
                        s.total.minor,
                        int(s.items * 1_000_000),
                        int(s.items_returned * 1_000_000),
                    )

                def floor_by_day() -> list[tuple[object, ...]]:
                    return [tuple(r) for r in raw.execute(BY_DAY_SQL, whole)]

                def ours_by_day() -> list[tuple[object, ...]]:
                    return [
                        (d.day.isoformat(), d.sales, d.returns, d.total.minor, d.net.minor)
                        for d in analytics.by_day(FIRST, end).days
                        if d.sales or d.returns
                    ]

                def floor_top() -> list[tuple[object, ...]]:
                    return [tuple(r) for r in raw.execute(TOP_SQL, whole)]

                def ours_top() -> list[tuple[object, ...]]:
                    million = Decimal(1_000_000)
                    return [
                        (p.sku, int(p.quantity * million), p.net.minor, p.gross.minor)
                        for p in analytics.top_products(FIRST, end, limit=20).products
                    ]

                out = [
                    f"bench_reports SQLite history: {counted:,} sale lines, "
                    f"{counted // PER_SALE:,} sales over {days} days, {products:,} products "
                    f"(loaded in {loaded:.1f} s, untimed)"
                ]
                cases = (
                    ("one day's summary (Z figures)", ours_summary, floor_summary),
                    (f"sales by day ({days} days)", ours_by_day, floor_by_day),
                    ("top 20 products by revenue", ours_top, floor_top),
                )
                for name, ours, floor in cases:

                    def same(results: dict[str, object]) -> None:
                        assert results["possdk"] == results["floor"], (
                            results["possdk"],
                            results["floor"],
                        )

                    times = best_of_each(
                        {"floor": floor, "possdk": ours}, repeat=REPEAT, check=same
                    )
                    peak = _peak(ours)
                    t_ours, t_floor = times["possdk"], times["floor"]
                    out.append(
                        f"bench_reports {name}: possdk {t_ours:.3f} s [goal < 1 s]; "
                        f"hand-written SQL {t_floor:.3f} s; ratio {t_ours / t_floor:.2f} "
                        f"[goal <= 1.5]; peak memory {peak / 1024:,.0f} KiB"
                    )
                return out
            finally:
                raw.close()
        finally:
            store.close()


def main(argv: list[str] | None = None, emit: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--days", type=int, default=DAYS)
    args = parser.parse_args(argv)
    for line in run(args.lines, args.products, args.days):
        emit(line)


if __name__ == "__main__":
    main()
