"""bench_stock: on hand from a 1,000,000-movement ledger; the stock a sale moves in its commit.

Ledger: a SQLite file store with 50,000 products (every tenth sold by weight)
and 10 locations, loaded untimed through the raw driver with 1,000,000
movements (receipts and sales over 500,000 item-locations) and the levels that
are their sums. Timed: ``store.inventory.on_hand_from_ledger()`` — possdk's
GROUP BY, with a ``Decimal`` per item-location — against a hand-written
``SELECT sku, location_id, SUM(quantity_micro) FROM stock_movements GROUP BY
sku, location_id`` on a raw ``sqlite3`` connection into a dict of ints; the two
take turns, best of 3 each. Goal: ratio <= 1.5. The same on PostgreSQL with
``--postgres URL`` (or ``POSSDK_BENCH_POSTGRES_URL``, as bench_commit; the floor
through raw psycopg, its SUM cast to bigint).

Commit: 2,000 of bench_commit's 5-line sales on SQLite (WAL, synchronous=FULL)
in each of two stores taking turns sale by sale, only ``complete()`` timed (the
sales are rung up and paid before the clock starts): one with its items
tracked (the commit reads the items' stock rules and the register's location,
upserts each item's level and appends a movement per line), one with
``tracked=False`` for every item. Goal: stock adds < 20% to the commit time.
The tracked store is also compared with bench_commit's floor (which writes the
same stock rows): goal >= 0.5x.

``python -m benchmarks.bench_stock [--movements N] [--items N] [--sales N]
[--synchronous FULL|NORMAL] [--postgres URL] [--check]``
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from benchmarks._util import best_of_each
from benchmarks.bench_commit import LINES, floor_sqlite, open_store, p99
from possdk import Catalog, Money, Operator, Product, Role, Settings, Store, TaxCategory, TaxRate
from possdk.core import Unit
from possdk.inventory import Location

MOVEMENTS = 1_000_000
ITEMS = 50_000
LOCATIONS = 10
SALES = 2_000
REPEAT = 3

FLOOR_SQL = (
    "SELECT sku, location_id, SUM(quantity_micro) FROM stock_movements GROUP BY sku, location_id"
)


def _width(items: int) -> int:
    return len(str(items - 1))


def ledger_catalog(items: int) -> Catalog:
    """``items`` products; every tenth (index ending in 9) sold by the kilogram."""
    w = _width(items)
    return Catalog(
        [TaxCategory("std", [TaxRate("VAT20", "20")])],
        [
            Product(
                f"SKU{i:0{w}d}",
                f"Product {i}",
                Money(f"{i % 9999 + 1}.{i % 100:02d}", "UAH"),
                "std",
                unit=Unit.KILOGRAM if i % 10 == 9 else Unit.EACH,
            )
            for i in range(items)
        ],
    )


def open_ledger_store(url: str, items: int) -> Store:
    store = Store.open(
        url,
        settings=Settings(currency="UAH"),
        catalog=ledger_catalog(items),
        operators=[Operator("c", "Cashier", Role.cashier())],
        load_entry_points=False,
    )
    for k in range(LOCATIONS):
        store.inventory.add_location(Location(f"loc{k:02d}", f"Location {k}"))
    return store


# Movement j of the ledger, the same on both databases: h spreads j over the
# item-locations; a quarter are receipts (24 pieces, or 12.5 kg), the rest sales
# (1-3 pieces, or 0.100-0.999 kg); times (and on SQLite the ids) grow with j.
def _movement_sql(items: int, sqlite: bool) -> str:
    w = _width(items)
    if sqlite:
        sku = f"printf('SKU%0{w}d', h % {items})"
        location = f"printf('loc%02d', (h / {items}) % {LOCATIONS})"
        ident = "printf('%032x', j)"
        at = "strftime('%Y-%m-%dT%H:%M:%S', 1795762800 + j, 'unixepoch') || '.000000+00:00'"
    else:
        sku = f"'SKU' || lpad((h % {items})::text, {w}, '0')"
        location = f"'loc' || lpad(((h / {items}) % {LOCATIONS})::text, 2, '0')"
        ident = "gen_random_uuid()"  # the database may hold an earlier run's movements
        at = "timestamptz '2026-11-27 07:00:00+00' + j * interval '1 second'"
    weighed = f"(h % {items}) % 10 = 9"
    return (
        "INSERT INTO stock_movements (id, at, sku, location_id, kind, quantity_micro, "
        "reason, reference, document_id, line_no, unit_cost, note) "
        f"SELECT {ident}, {at}, {sku}, {location}, "
        "CASE WHEN j % 4 = 0 THEN 'receipt' ELSE 'sale' END, "
        f"CASE WHEN j % 4 = 0 THEN CASE WHEN {weighed} THEN 12500000 ELSE 24000000 END "
        f"ELSE CASE WHEN {weighed} THEN -(100 + j % 900) * 1000 "
        "ELSE -(1 + j % 3) * 1000000 END END, "
        "'', 'bench', NULL, NULL, NULL, '' FROM moves"
    )


LEVELS_SQL = (
    "INSERT INTO stock_levels (sku, location_id, on_hand_micro, reserved_micro, "
    "reorder_point_micro, order_up_to_micro, low) "
    "SELECT sku, location_id, SUM(quantity_micro), 0, NULL, NULL, {false} "
    "FROM stock_movements GROUP BY sku, location_id"
)


def load_sqlite(path: Path, movements: int, items: int) -> None:
    """The ledger and its levels in one transaction, the secondary indexes built after."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'stock_movements' AND sql IS NOT NULL"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        conn.execute(
            f"WITH RECURSIVE seq(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM seq "
            f"WHERE j < {movements - 1}), "
            "moves(j, h) AS (SELECT j, (j * 2654435761) % 4294967296 FROM seq) "
            + _movement_sql(items, sqlite=True)
        )
        conn.execute(LEVELS_SQL.format(false=0))
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def load_postgres(url: str, movements: int, items: int) -> None:
    """The ledger and its levels in one transaction, the secondary indexes built after."""
    import psycopg

    with psycopg.connect(url) as conn, conn.transaction():
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'stock_movements' "
            "AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        # One statement: the new movements, and their sums added to the levels (a database
        # given with --postgres may hold movements already, bench_commit's or an earlier run's).
        conn.execute(
            f"WITH moves AS (SELECT j, (j * 2654435761) % 4294967296 AS h "
            f"FROM generate_series(0::bigint, {movements - 1}) AS j), "
            f"added AS ({_movement_sql(items, sqlite=False)} "
            "RETURNING sku, location_id, quantity_micro) "
            + LEVELS_SQL.format(false="false").replace("FROM stock_movements", "FROM added")
            + " ON CONFLICT (sku, location_id) DO UPDATE SET "
            "on_hand_micro = stock_levels.on_hand_micro + excluded.on_hand_micro"
        )
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE stock_movements")
        conn.execute("ANALYZE stock_levels")


def _race(
    ours: Callable[[], dict[tuple[str, str], Decimal]],
    floor: Callable[[], dict[tuple[str, str], int]],
) -> tuple[dict[str, float], int]:
    """Best times of both, taking turns; the first round proves they agree (untimed)."""
    groups: list[int] = []

    def same(results: dict[str, object]) -> None:
        found, want = results["possdk"], results["floor"]
        assert isinstance(found, dict)
        assert isinstance(want, dict)
        assert len(found) == len(want), (len(found), len(want))
        million = Decimal(1_000_000)
        for key, micro in want.items():
            assert found[key] * million == micro, (key, found[key], micro)
        groups.append(len(want))

    times = best_of_each({"floor": floor, "possdk": ours}, repeat=REPEAT, check=same)
    return times, groups[0]


def _count(row: tuple[int] | None) -> int:
    assert row is not None
    return int(row[0])


def _ledger_line(name: str, rows: int, groups: int, loaded: float, times: dict[str, float]) -> str:
    ours, floor = times["possdk"], times["floor"]
    return (
        f"bench_stock {name} on hand from the ledger ({rows:,} movements, "
        f"{groups:,} item-locations; loaded in {loaded:.1f} s, untimed): "
        f"possdk {ours:.2f} s; hand-written GROUP BY {floor:.2f} s; "
        f"ratio {ours / floor:.2f} [goal <= 1.5]"
    )


def run_ledger_sqlite(movements: int, items: int, check: bool = False) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.db"
        start = time.perf_counter()
        store = open_ledger_store(f"sqlite:///{path}", items)
        try:
            load_sqlite(path, movements, items)
            loaded = time.perf_counter() - start
            raw = sqlite3.connect(path, isolation_level=None)
            try:

                def floor() -> dict[tuple[str, str], int]:
                    return {(s, loc): q for s, loc, q in raw.execute(FLOOR_SQL)}

                def ours() -> dict[tuple[str, str], Decimal]:
                    return store.inventory.on_hand_from_ledger()

                rows = _count(raw.execute("SELECT count(*) FROM stock_movements").fetchone())
                times, groups = _race(ours, floor)
            finally:
                raw.close()
            out = [_ledger_line("SQLite", rows, groups, loaded, times)]
            if check:
                start = time.perf_counter()
                result = store.inventory.check()
                out.append(
                    f"bench_stock SQLite check(): {result.checked:,} levels, "
                    f"{len(result.mismatches)} mismatches in {time.perf_counter() - start:.2f} s"
                )
            return out
        finally:
            store.close()


def run_ledger_postgres(url: str, movements: int, items: int) -> list[str]:
    import psycopg

    start = time.perf_counter()
    store = open_ledger_store(url, items)
    try:
        load_postgres(url, movements, items)
        loaded = time.perf_counter() - start
        with psycopg.connect(url, autocommit=True) as raw:
            floor_sql = FLOOR_SQL.replace("SUM(quantity_micro)", "SUM(quantity_micro)::bigint")

            def floor() -> dict[tuple[str, str], int]:
                return {(s, loc): q for s, loc, q in raw.execute(floor_sql)}

            def ours() -> dict[tuple[str, str], Decimal]:
                return store.inventory.on_hand_from_ledger()

            rows = _count(raw.execute("SELECT count(*) FROM stock_movements").fetchone())
            times, groups = _race(ours, floor)
        return [_ledger_line("PostgreSQL", rows, groups, loaded, times)]
    finally:
        store.close()


# ---- the commit: stock on against stock off ---------------------------------------------


def run_commit(n: int = SALES, synchronous: str = "FULL") -> list[str]:
    """bench_commit's sales in a tracked and an untracked store, taking turns."""
    with tempfile.TemporaryDirectory() as tmp:
        stores = {
            name: open_store(f"sqlite:///{Path(tmp) / name}.db?synchronous={synchronous}")
            for name in ("on", "off")
        }
        try:
            for i in range(50):  # bench_commit's catalog
                stores["off"].inventory.set_item(f"SKU{i}", tracked=False)
            sessions = {
                name: store.register("bench").open_session(operator="c", opening_float="100")
                for name, store in stores.items()
            }
            latencies: dict[str, list[float]] = {"on": [], "off": []}
            for i in range(n):
                for name in ("on", "off") if i % 2 == 0 else ("off", "on"):
                    sale = sessions[name].new_sale()
                    for k in range(LINES):
                        sale.add(f"SKU{(i + k) % 50}", 1 + k % 3)
                    sale.pay("cash" if i % 2 else "card")
                    start = time.perf_counter()
                    sale.complete()
                    latencies[name].append(time.perf_counter() - start)
            moved = len(stores["on"].inventory.movements(sku="SKU0"))
            unmoved = len(stores["off"].inventory.movements(sku="SKU0"))
            assert moved > 0, "the tracked store moved no stock"
            assert unmoved == 0, "the untracked store moved stock"
        finally:
            for store in stores.values():
                store.close()
        floor_db = Path(tmp) / "floor.db"
        open_store(f"sqlite:///{floor_db}").close()
        floor_rate, floor_lat = floor_sqlite(str(floor_db), synchronous, n)

    def rate(lat: list[float]) -> float:
        return len(lat) / sum(lat)

    def ms(x: float) -> str:
        return f"{x * 1e3:.2f} ms"

    on, off = latencies["on"], latencies["off"]
    added = sum(on) / sum(off) - 1
    added_p50 = statistics.median(on) / statistics.median(off) - 1
    return [
        f"bench_stock SQLite {synchronous} commit: stock on {rate(on):,.0f} sales/s "
        f"(p50 {ms(statistics.median(on))}, p99 {ms(p99(on))}); "
        f"stock off {rate(off):,.0f} sales/s "
        f"(p50 {ms(statistics.median(off))}, p99 {ms(p99(off))}); "
        f"stock adds {added:.0%} to the commit (p50 {added_p50:+.0%}) [goal < 20%]",
        f"bench_stock SQLite {synchronous} commit with stock: possdk {rate(on):,.0f} sales/s; "
        f"bench_commit's floor {floor_rate:,.0f} sales/s (p99 {ms(p99(floor_lat))}); "
        f"ratio {rate(on) / floor_rate:.2f} [goal >= 0.5]",
    ]


def run(
    movements: int = MOVEMENTS,
    items: int = ITEMS,
    sales: int = SALES,
    postgres: str | None = None,
    *,
    synchronous: str = "FULL",
    check: bool = False,
) -> list[str]:
    out = run_ledger_sqlite(movements, items, check)
    url = postgres or os.environ.get("POSSDK_BENCH_POSTGRES_URL")
    if url:
        out += run_ledger_postgres(url, movements, items)
    else:
        from possdk.testing import PostgresServer, find_postgres_bin

        if find_postgres_bin() is None:
            out.append("bench_stock PostgreSQL: skipped (no PostgreSQL binaries)")
        else:
            with PostgresServer() as server:
                out += run_ledger_postgres(server.create_database(), movements, items)
    out += run_commit(sales, synchronous)
    return out


def main(argv: list[str] | None = None, emit: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=MOVEMENTS)
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--sales", type=int, default=SALES)
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    parser.add_argument("--postgres", default=None, help="an empty database for the ledger")
    parser.add_argument("--check", action="store_true", help="also run inventory.check()")
    args = parser.parse_args(argv)
    lines = run(
        args.movements,
        args.items,
        args.sales,
        args.postgres,
        synchronous=args.synchronous,
        check=args.check,
    )
    for line in lines:
        emit(line)


if __name__ == "__main__":
    main()
