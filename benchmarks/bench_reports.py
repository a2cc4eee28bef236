"""bench_reports: sales analytics over 1,000,000 sale lines against hand-written SQL.

History: a store with 5,000 products (50 categories) and 200,000 five-line
sales (1,000,000 lines) spread evenly over 90 days, with their tax breakdowns
and tenders (no promotions, no customers), in SQLite and in PostgreSQL. The
store creates its schema; the history is loaded untimed through the raw
driver, the same rows on both: line j belongs to sale j / 5, its product is
spread by a multiplicative hash, 1-3 pieces. SQLite builds it with a recursive
CTE, PostgreSQL with ``generate_series``, into a temporary table, then
``INSERT ... SELECT`` into ``sales``, ``sale_lines``, ``sale_taxes`` and
``tenders`` in time order (so the receipts' totals are the sums of their
lines, and a day's sales share pages as a till's would), the secondary indexes
(on PostgreSQL the foreign keys too) dropped before and built after, then
ANALYZE (on PostgreSQL ``VACUUM (ANALYZE)``, so no timed read pays for setting
the new rows' hint bits). The store's time zone is UTC, so the hand-written
day is ``substr(completed_at, 1, 10)`` on SQLite and ``(completed_at AT TIME
ZONE 'UTC')::date`` on PostgreSQL (grouped without ORDER BY, which would make
PostgreSQL sort every sale; the 90 rows are sorted in Python).

Timed, each against a hand-written query (raw ``sqlite3``, or raw psycopg with
its SUMs cast to bigint), the two taking turns, 5 runs each: one day's summary
(the Z-like figures, ``Analytics.summary``), sales by day for the 90 days
(``Analytics.by_day``; one UTC offset holds, so the database names the days)
and the top 20 products by revenue (``Analytics.top_products``, which then
reads those products' costs). The first round proves both sides return the
same figures; when both engines run, their figures are compared too. Printed:
the median and best of each side and the ratios of both. Goals: each < 1 s,
ratio <= 1.5. Peak memory is ``tracemalloc``'s peak during one possdk call
(measured apart from the timing, which it would slow down).

PostgreSQL: ``--postgres URL`` (or ``POSSDK_BENCH_POSTGRES_URL``) names a
database holding no sales in the history's period; otherwise a throwaway
server (``possdk.testing.PostgresServer``), or "skipped" without binaries.

``python -m benchmarks.bench_reports [--lines N] [--products N] [--days N]
[--engine sqlite|postgresql|both] [--postgres URL]``
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks._util import times_of_each
from possdk import Catalog, Money, Operator, Product, Role, Settings, Store, TaxCategory, TaxRate
from possdk.reports import Analytics

if TYPE_CHECKING:
    import psycopg

LINES = 1_000_000
PRODUCTS = 5_000
DAYS = 90
PER_SALE = 5
REPEAT = 5
FIRST = date(2026, 8, 1)
FIRST_EPOCH = 1785542400  # 2026-08-01T00:00:00Z
REGISTER = "till-1"

TABLES = ("sales", "sale_lines", "sale_taxes", "tenders")
ENGINES = ("sqlite", "postgresql")

Cases = dict[str, Callable[[], object]]
"""One side of each race ("summary", "by_day", "top"), returning comparable figures."""


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


def open_history_store(url: str, products: int) -> Store:
    """The store the history goes into: UTC, so local days are UTC days."""
    return Store.open(
        url,
        settings=Settings(currency="UAH"),
        catalog=catalog(products),
        operators=[Operator("c", "Cashier", Role.cashier())],
        load_entry_points=False,
    )


def _step(lines: int, days: int) -> float:
    """Seconds between two sales' completion (a float, multiplied alike on both engines)."""
    return days * 86400 / (lines // PER_SALE)


def load_sqlite(path: Path, session_id: str, lines: int, products: int, days: int) -> int:
    """The history in one transaction; secondary indexes dropped, then built after.

    Returns the number of sale lines loaded.
    """
    step = _step(lines, days)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN {TABLES}"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        conn.execute(
            "CREATE TEMP TABLE tl AS WITH RECURSIVE seq(j) AS (SELECT 0 UNION ALL "
            f"SELECT j + 1 FROM seq WHERE j < {lines - 1}), "
            f"h(j, p) AS (SELECT j, ((j * 2654435761) % 4294967296) % {products} FROM seq) "
            f"SELECT j / {PER_SALE} AS s, j % {PER_SALE} + 1 AS n, p, 1 + j % 3 AS q, "
            f"(1 + j % 3) * (500 + (p * 37) % 20000) AS g FROM h"
        )
        loaded = conn.execute(
            "INSERT INTO sale_lines (sale_id, line_no, sku, name, quantity_micro, unit, "
            "unit_price, subtotal_minor, discount_minor, net_minor, tax_minor, gross_minor, "
            "voided, return_of_sale, return_of_line) "
            "SELECT printf('%032x', s), n, printf('SKU%04d', p), 'Product ' || p, "
            "q * 1000000, 'each', printf('%d.%02d', g / q / 100, g / q % 100), g, 0, "
            "g - g / 6, g / 6, g, 0, NULL, NULL FROM tl"
        ).rowcount
        at = (
            f"strftime('%Y-%m-%dT%H:%M:%S', {FIRST_EPOCH} + CAST(s * {step!r} AS INTEGER), "
            "'unixepoch') || '.000000+00:00'"
        )
        conn.execute(
            "INSERT INTO sales (id, number, kind, register_id, session_id, operator_id, "
            "currency, started_at, completed_at, subtotal_minor, discount_minor, net_minor, "
            "tax_minor, total_minor, rounding_minor, change_minor, return_of, receipt) "
            f"SELECT printf('%032x', s), 'B-' || s, 'sale', '{REGISTER}', ?, 'c', 'UAH', "
            f"{at}, {at}, SUM(g), 0, SUM(g - g / 6), SUM(g / 6), SUM(g), 0, 0, NULL, '{{}}' "
            "FROM tl GROUP BY s",
            (session_id,),
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
    return int(loaded)


def load_postgres(url: str, session_id: uuid.UUID, lines: int, products: int, days: int) -> int:
    """The same history as :func:`load_sqlite`, built by the server in one transaction.

    The foreign keys are dropped with the secondary indexes and added back
    after. Returns the number of sale lines loaded.
    """
    import psycopg

    step = _step(lines, days)
    sale_id = "lpad(to_hex(s), 32, '0')::uuid"  # the same ids as printf('%032x', s)
    with psycopg.connect(url) as conn:
        with conn.transaction():
            indexes = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() AND tablename = ANY(%s) "
                "AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                (list(TABLES),),
            ).fetchall()
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            # The foreign keys too: checked row by row (a lookup and a row lock on the
            # referenced sale) they cost more than the rows; added back, each is one join.
            keys = conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
                (list(TABLES),),
            ).fetchall()
            for table, name, _ in keys:
                conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            # The temporary tables stay in memory; the sums are hashed, not spilled.
            conn.execute("SET LOCAL temp_buffers = '256MB'")
            conn.execute("SET LOCAL work_mem = '256MB'")
            conn.execute(
                "CREATE TEMP TABLE tl ON COMMIT DROP AS "
                f"SELECT j / {PER_SALE} AS s, j % {PER_SALE} + 1 AS n, p, 1 + j % 3 AS q, "
                "(1 + j % 3) * (500 + (p * 37) % 20000) AS g "
                f"FROM generate_series(0::bigint, {lines - 1}) AS j, "
                f"LATERAL (SELECT ((j * 2654435761) % 4294967296) % {products} AS p) AS h"
            )
            # Each sale's sums, made once for the sale, its taxes and tenders. They go in in
            # time order (ts is hashed), as a till writes them: a day's sales share pages.
            conn.execute(
                "CREATE TEMP TABLE ts ON COMMIT DROP AS SELECT s, SUM(g) AS g, "
                "SUM(g - g / 6) AS net, SUM(g / 6) AS tax FROM tl GROUP BY s"
            )
            # float8 times float8, truncated: the same seconds as SQLite's CAST(s * step).
            at = f"to_timestamp({FIRST_EPOCH} + floor(s * {step!r}::float8))"
            conn.execute(
                "INSERT INTO sales (id, number, kind, register_id, session_id, operator_id, "
                "currency, started_at, completed_at, subtotal_minor, discount_minor, net_minor, "
                "tax_minor, total_minor, rounding_minor, change_minor, return_of, receipt) "
                f"SELECT {sale_id}, 'B-' || s, 'sale', '{REGISTER}', %s, 'c', 'UAH', "
                f"{at}, {at}, g, 0, net, tax, g, 0, 0, NULL, '{{}}' FROM ts ORDER BY s",
                (session_id,),
            )
            loaded = conn.execute(
                "INSERT INTO sale_lines (sale_id, line_no, sku, name, quantity_micro, unit, "
                "unit_price, subtotal_minor, discount_minor, net_minor, tax_minor, gross_minor, "
                "voided, return_of_sale, return_of_line) "
                f"SELECT {sale_id}, n, 'SKU' || lpad(p::text, greatest(4, length(p::text)), '0'), "
                "'Product ' || p, q * 1000000, 'each', "
                "(g / q / 100) || '.' || lpad((g / q % 100)::text, 2, '0'), g, 0, "
                "g - g / 6, g / 6, g, false, NULL, NULL FROM tl"
            ).rowcount
            conn.execute(
                "INSERT INTO sale_taxes (sale_id, rate_code, percent, net_minor, tax_minor) "
                f"SELECT {sale_id}, 'VAT20', '20', net, tax FROM ts ORDER BY s"
            )
            conn.execute(
                "INSERT INTO tenders (sale_id, tender_no, kind, amount_minor, tendered_minor, "
                "change_minor, rounding_minor, reference) "
                f"SELECT {sale_id}, 1, CASE WHEN s % 3 = 0 THEN 'cash' ELSE 'card' END, "
                "g, g, 0, 0, NULL FROM ts ORDER BY s"
            )
            for _, sql in indexes:
                conn.execute(sql)
            for table, name, definition in keys:
                conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        conn.autocommit = True  # VACUUM runs outside a transaction
        conn.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")
    return int(loaded)


# ---- the hand-written side ------------------------------------------------------------

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

PG_SUMMARY_SQL = (
    "SELECT kind, COUNT(*), SUM(discount_minor)::bigint, SUM(net_minor)::bigint, "
    "SUM(tax_minor)::bigint, SUM(total_minor)::bigint FROM sales "
    "WHERE completed_at >= %s AND completed_at < %s GROUP BY kind"
)
PG_ITEMS_SQL = (
    "SELECT s.kind, SUM(l.quantity_micro)::bigint FROM sale_lines l "
    "JOIN sales s ON s.id = l.sale_id "
    "WHERE s.completed_at >= %s AND s.completed_at < %s AND NOT l.voided GROUP BY s.kind"
)
PG_BY_DAY_SQL = (  # no ORDER BY: PostgreSQL would sort 200,000 rows to group them
    "SELECT (completed_at AT TIME ZONE 'UTC')::date, COUNT(*) FILTER (WHERE kind = 'sale'), "
    "COUNT(*) FILTER (WHERE kind = 'return'), SUM(total_minor)::bigint, "
    "SUM(net_minor)::bigint FROM sales WHERE completed_at >= %s AND completed_at < %s "
    "GROUP BY 1"
)
PG_TOP_SQL = (
    "SELECT l.sku, SUM(l.quantity_micro)::bigint, SUM(l.net_minor)::bigint, "
    "SUM(l.gross_minor)::bigint AS gross FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
    "WHERE s.completed_at >= %s AND s.completed_at < %s AND NOT l.voided "
    "GROUP BY l.sku ORDER BY gross DESC, l.sku LIMIT 20"
)


def _z_day(days: int) -> date:
    return FIRST + timedelta(days=days // 2)


def _summary_row(rows: dict[str, tuple[int, ...]], items: dict[str, int]) -> tuple[object, ...]:
    count, discount, net, tax, total = rows["sale"]
    return count, discount, net, tax, total, items["sale"], items.get("return", 0)


def sqlite_floors(raw: sqlite3.Connection, days: int) -> Cases:
    """The three cases by hand on a raw ``sqlite3`` connection (times are ISO text)."""

    def iso(d: date) -> str:
        return f"{d.isoformat()}T00:00:00.000000+00:00"

    z_day = _z_day(days)
    z_range = (iso(z_day), iso(z_day + timedelta(days=1)))
    whole = (iso(FIRST), iso(FIRST + timedelta(days=days)))

    def summary() -> tuple[object, ...]:
        rows = {r[0]: tuple(r[1:]) for r in raw.execute(SUMMARY_SQL, z_range)}
        return _summary_row(rows, dict(raw.execute(ITEMS_SQL, z_range).fetchall()))

    def by_day() -> list[tuple[object, ...]]:
        return [tuple(r) for r in raw.execute(BY_DAY_SQL, whole)]

    def top() -> list[tuple[object, ...]]:
        return [tuple(r) for r in raw.execute(TOP_SQL, whole)]

    return {"summary": summary, "by_day": by_day, "top": top}


def postgres_floors(raw: psycopg.Connection[Any], days: int) -> Cases:
    """The three cases by hand on a raw psycopg connection (in autocommit)."""

    def utc(d: date) -> datetime:
        return datetime.combine(d, clock_time(0), timezone.utc)

    z_day = _z_day(days)
    z_range = (utc(z_day), utc(z_day + timedelta(days=1)))
    whole = (utc(FIRST), utc(FIRST + timedelta(days=days)))

    def summary() -> tuple[object, ...]:
        rows = {r[0]: tuple(r[1:]) for r in raw.execute(PG_SUMMARY_SQL, z_range)}
        items = {r[0]: r[1] for r in raw.execute(PG_ITEMS_SQL, z_range)}
        return _summary_row(rows, items)

    def by_day() -> list[tuple[object, ...]]:
        return sorted((d.isoformat(), *rest) for d, *rest in raw.execute(PG_BY_DAY_SQL, whole))

    def top() -> list[tuple[object, ...]]:
        return [tuple(r) for r in raw.execute(PG_TOP_SQL, whole)]

    return {"summary": summary, "by_day": by_day, "top": top}


# ---- possdk's side, the race and the report -----------------------------------------


def possdk_cases(analytics: Analytics, days: int) -> Cases:
    """The three cases through ``Analytics``, as the hand-written side returns them."""
    end = FIRST + timedelta(days=days)
    z_day = _z_day(days)
    million = Decimal(1_000_000)

    def summary() -> tuple[object, ...]:
        s = analytics.summary(z_day, z_day + timedelta(days=1))
        return (
            s.sales,
            s.discount.minor,
            s.net.minor,
            s.tax.minor,
            s.total.minor,
            int(s.items * million),
            int(s.items_returned * million),
        )

    def by_day() -> list[tuple[object, ...]]:
        return [
            (d.day.isoformat(), d.sales, d.returns, d.total.minor, d.net.minor)
            for d in analytics.by_day(FIRST, end).days
            if d.sales or d.returns
        ]

    def top() -> list[tuple[object, ...]]:
        return [
            (p.sku, int(p.quantity * million), p.net.minor, p.gross.minor)
            for p in analytics.top_products(FIRST, end, limit=20).products
        ]

    return {"summary": summary, "by_day": by_day, "top": top}


def _cases(days: int) -> tuple[tuple[str, str], ...]:
    return (
        ("summary", "one day's summary (Z figures)"),
        ("by_day", f"sales by day ({days} days)"),
        ("top", "top 20 products by revenue"),
    )


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _case(
    engine: str, name: str, ours: Callable[[], object], floor: Callable[[], object]
) -> tuple[str, object]:
    """One case's report line, and the figures both sides agreed on."""
    agreed: list[object] = []

    def same(results: dict[str, object]) -> None:
        assert results["possdk"] == results["floor"], (results["possdk"], results["floor"])
        agreed.append(results["floor"])

    runs = times_of_each({"floor": floor, "possdk": ours}, repeat=REPEAT, check=same)
    peak = _peak(ours)
    mine, theirs = runs["possdk"], runs["floor"]
    m_ours, m_floor = statistics.median(mine), statistics.median(theirs)
    b_ours, b_floor = min(mine), min(theirs)
    line = (
        f"bench_reports {engine} {name}: possdk median {m_ours:.3f} s (best {b_ours:.3f}) "
        f"[goal < 1 s]; hand-written SQL median {m_floor:.3f} s (best {b_floor:.3f}); "
        f"ratio of medians {m_ours / m_floor:.2f}, of bests {b_ours / b_floor:.2f} "
        f"[goal <= 1.5]; peak memory {peak / 1024:,.0f} KiB"
    )
    return line, agreed[0]


def _race(
    engine: str, analytics: Analytics, floors: Cases, days: int
) -> tuple[list[str], dict[str, object]]:
    out, figures = [], {}
    ours = possdk_cases(analytics, days)
    for key, name in _cases(days):
        line, figures[key] = _case(engine, name, ours[key], floors[key])
        out.append(line)
    return out, figures


def _history_line(engine: str, lines: int, products: int, days: int, loaded: float) -> str:
    return (
        f"bench_reports {engine} history: {lines:,} sale lines, "
        f"{lines // PER_SALE:,} sales over {days} days, {products:,} products "
        f"(loaded in {loaded:.1f} s, untimed)"
    )


Result = tuple[list[str], dict[str, object] | None]
"""Report lines, and the figures the cases agreed on (None if skipped)."""


def run_sqlite(lines: int, products: int, days: int) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.db"
        start = time.perf_counter()
        store = open_history_store(f"sqlite:///{path}", products)
        try:
            session = store.register(REGISTER).open_session(operator="c")
            loaded = load_sqlite(path, session.id.hex, lines, products, days)
            seconds = time.perf_counter() - start
            raw = sqlite3.connect(path, isolation_level=None)
            try:
                out, figures = _race("SQLite", Analytics(store), sqlite_floors(raw, days), days)
            finally:
                raw.close()
            return [_history_line("SQLite", loaded, products, days, seconds), *out], figures
        finally:
            store.close()


def run_postgres(url: str, lines: int, products: int, days: int) -> Result:
    import psycopg

    start = time.perf_counter()
    store = open_history_store(url, products)
    try:
        with psycopg.connect(url, autocommit=True) as raw:
            held = raw.execute(
                "SELECT count(*) FROM sales WHERE completed_at >= %s AND completed_at < %s",
                (
                    datetime.combine(FIRST, clock_time(0), timezone.utc),
                    datetime.combine(FIRST + timedelta(days=days), clock_time(0), timezone.utc),
                ),
            ).fetchone()
            if held is not None and held[0]:
                return [
                    f"bench_reports PostgreSQL: skipped (the database already holds "
                    f"{held[0]:,} sales from {FIRST} to {FIRST + timedelta(days=days)}; "
                    "give it an empty one)"
                ], None
            session = store.register(REGISTER).open_session(operator="c")
            loaded = load_postgres(url, session.id, lines, products, days)
            seconds = time.perf_counter() - start
            out, figures = _race("PostgreSQL", Analytics(store), postgres_floors(raw, days), days)
        return [_history_line("PostgreSQL", loaded, products, days, seconds), *out], figures
    finally:
        store.close()


def run(
    lines: int = LINES,
    products: int = PRODUCTS,
    days: int = DAYS,
    postgres: str | None = None,
    *,
    engine: str = "both",
) -> list[str]:
    if engine not in (*ENGINES, "both"):
        raise ValueError(f"engine must be 'sqlite', 'postgresql' or 'both', not {engine!r}")
    out: list[str] = []
    figures: dict[str, dict[str, object] | None] = {}
    if engine in ("sqlite", "both"):
        lines_out, figures["sqlite"] = run_sqlite(lines, products, days)
        out += lines_out
    if engine in ("postgresql", "both"):
        url = postgres or os.environ.get("POSSDK_BENCH_POSTGRES_URL")
        if url:
            lines_out, figures["postgresql"] = run_postgres(url, lines, products, days)
        else:
            from possdk.testing import PostgresServer, find_postgres_bin

            if find_postgres_bin() is None:
                lines_out = ["bench_reports PostgreSQL: skipped (no PostgreSQL binaries)"]
            else:
                with PostgresServer() as server:
                    lines_out, figures["postgresql"] = run_postgres(
                        server.create_database(), lines, products, days
                    )
        out += lines_out
    lite, pg = figures.get("sqlite"), figures.get("postgresql")
    if lite is not None and pg is not None:
        differ = [name for key, name in _cases(days) if lite[key] != pg[key]]
        out.append(
            "bench_reports SQLite and PostgreSQL: "
            + (f"figures DIFFER in {', '.join(differ)}" if differ else "the same figures")
        )
    return out


def main(argv: list[str] | None = None, emit: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--engine", default="both", choices=[*ENGINES, "both"])
    parser.add_argument(
        "--postgres", default=None, help="a database with no sales in the history's period"
    )
    args = parser.parse_args(argv)
    for line in run(args.lines, args.products, args.days, args.postgres, engine=args.engine):
        emit(line)


if __name__ == "__main__":
    main()
