"""bench_commit: complete 5,000 sales of 5 lines, one transaction per sale.

possdk's ``sale.complete()`` against a floor: raw ``sqlite3`` (or raw psycopg)
writing the same rows in one transaction per sale with the same settings —
the register's receipt counter, the session's totals, the stock (the
register's location, the items' stock rules, one upsert per item into
``stock_levels`` returning the new level, one ``stock_movements`` row per
line), the sale with its receipt document, 5 lines, the tax rows, the tender,
the journal entry with its SHA-256 and the journal head. (possdk also keeps a
payment record per tender, which the floor leaves out.) Sales are rung up
before the clock starts; only the commit is timed. Goal: possdk >= 0.5x the
floor's sales/s.

``python -m benchmarks.bench_commit [--sales N] [--postgres URL]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from possdk import (
    Catalog,
    FixedClock,
    Money,
    Operator,
    Product,
    Role,
    Settings,
    Store,
    TaxCategory,
    TaxRate,
)
from possdk.core import Sale

SALES = 5_000
LINES = 5


def catalog() -> Catalog:
    return Catalog(
        [TaxCategory("std", [TaxRate("VAT20", "20")]), TaxCategory("red", [TaxRate("VAT7", "7")])],
        [
            Product(
                f"SKU{i}",
                f"Product {i}",
                Money(f"{10 + i}.{i:02d}", "UAH"),
                "std" if i % 2 else "red",
            )
            for i in range(50)
        ],
    )


def open_store(url: str) -> Store:
    clock = FixedClock(
        datetime(2026, 11, 27, 7, tzinfo=timezone.utc), step=timedelta(milliseconds=3)
    )
    return Store.open(
        url,
        settings=Settings(currency="UAH"),
        catalog=catalog(),
        operators=[Operator("c", "Cashier", Role.cashier())],
        clock=clock,
        load_entry_points=False,
    )


def possdk_run(url: str, n: int) -> tuple[float, list[float]]:
    """Sales per second and per-commit latencies of possdk's complete()."""
    store = open_store(url)
    try:
        session = store.register("bench").open_session(operator="c", opening_float="100")
        latencies: list[float] = []
        total = 0.0
        for i in range(n):
            sale: Sale = session.new_sale()
            for k in range(LINES):
                sale.add(f"SKU{(i + k) % 50}", 1 + k % 3)
            sale.pay("cash" if i % 2 else "card")
            start = time.perf_counter()
            sale.complete()
            spent = time.perf_counter() - start
            latencies.append(spent)
            total += spent
        return n / total, latencies
    finally:
        store.close()


# ---- the floor: the same rows through the raw driver ----------------------------------

SCHEMA_FROM = "possdk"  # the floor writes into a database possdk created, so the tables match


def sample_document() -> str:
    """A real receipt document of a 5-line sale, as possdk stores it.

    The floor writes documents of the same size, so both sides write the same bytes.
    """
    store = open_store("sqlite://")
    try:
        session = store.register("x").open_session(operator="c")
        sale = session.new_sale()
        for k in range(LINES):
            sale.add(f"SKU{k}", 1 + k % 3)
        sale.pay("card")
        number = sale.complete().number
        from possdk.storage._codec import dumps

        return dumps(store.receipt(number))
    finally:
        store.close()


DOCUMENT = ""


def _document(i: int) -> str:
    global DOCUMENT
    if not DOCUMENT:
        DOCUMENT = sample_document()
    return DOCUMENT.replace("x/000001", f"floor/{i + 1:06d}")


def _row_data(i: int) -> dict[str, Any]:
    lines = []
    for k in range(LINES):
        qty = 1 + k % 3
        price = 1000 + ((i + k) % 50) * 101
        lines.append((k + 1, f"SKU{(i + k) % 50}", qty, price, price * qty))
    total = sum(x[4] for x in lines)
    return {"lines": lines, "total": total}


# What possdk writes for a sale's stock: read the register's location and the items'
# stock rules, add each item's quantity to its level (one upsert returning the new
# level, in sku order) and append one movement per line.
STOCK_ITEMS = (
    "SELECT sku, tracked, negative, average_cost, last_cost FROM stock_items WHERE sku IN "
)
REGISTER_LOCATION = "SELECT location_id FROM registers WHERE id = ?"
UPSERT_LEVEL = (
    "INSERT INTO stock_levels (sku, location_id, on_hand_micro, reserved_micro, "
    "reorder_point_micro, order_up_to_micro, low) VALUES (?, ?, ?, 0, NULL, NULL, ?) "
    "ON CONFLICT (sku, location_id) DO UPDATE SET "
    "on_hand_micro = stock_levels.on_hand_micro + excluded.on_hand_micro "
    "RETURNING on_hand_micro, reserved_micro, reorder_point_micro, order_up_to_micro, low"
)
INSERT_MOVEMENT = "INSERT INTO stock_movements VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"


def _stock_deltas(data: dict[str, Any]) -> dict[str, int]:
    """Each item's change in millionths, as the sale moves it."""
    deltas: dict[str, int] = {}
    for _, sku, qty, _, _ in data["lines"]:
        deltas[sku] = deltas.get(sku, 0) - qty * 1_000_000
    return deltas


def floor_sqlite(path: str, synchronous: str, n: int) -> tuple[float, list[float]]:
    """The same rows per sale, through sqlite3, one transaction per sale."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    session_id = uuid.UUID(int=0x0190000000007000800000000000000 + 1).hex
    conn.execute(
        "INSERT OR IGNORE INTO registers (id, receipt_count, z_count) VALUES ('floor', 0, 0)"
    )
    conn.execute(
        "INSERT INTO register_sessions (id, register_id, operator_id, currency, "
        "opening_float_minor, opened_at, totals) VALUES (?, 'floor', 'c', 'UAH', 10000, ?, ?)",
        (session_id, "2026-11-27T07:00:00.000000+00:00", json.dumps({"sale_count": 0, "sales": 0})),
    )
    latencies: list[float] = []
    total_time = 0.0
    prev = "0" * 64
    gt = 0
    for i in range(n):
        data = _row_data(i)
        sale_id = uuid.uuid4().hex
        at = "2026-11-27T07:00:00.000000+00:00"
        receipt = _document(i)
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        count = _one(
            conn.execute("SELECT receipt_count FROM registers WHERE id='floor'").fetchone()
        )
        conn.execute("UPDATE registers SET receipt_count=? WHERE id='floor'", (count + 1,))
        totals = _one(
            conn.execute(
                "SELECT totals FROM register_sessions WHERE id=?", (session_id,)
            ).fetchone()
        )
        t = json.loads(totals)
        t["sale_count"] += 1
        t["sales"] += data["total"]
        conn.execute(
            "UPDATE register_sessions SET totals=? WHERE id=?", (json.dumps(t), session_id)
        )
        number = f"floor/{count + 1:06d}"
        deltas = _stock_deltas(data)
        conn.execute(STOCK_ITEMS + f"({', '.join('?' * len(deltas))})", sorted(deltas)).fetchall()
        location = _one(conn.execute(REGISTER_LOCATION, ("floor",)).fetchone()) or "main"
        for sku in sorted(deltas):
            conn.execute(UPSERT_LEVEL, (sku, location, deltas[sku], 0)).fetchone()
        conn.executemany(
            INSERT_MOVEMENT,
            [
                (
                    uuid.uuid4().hex,
                    at,
                    sku,
                    location,
                    "sale",
                    -qty * 1_000_000,
                    "",
                    number,
                    sale_id,
                    no,
                    None,
                    "",
                )
                for no, sku, qty, _, _ in data["lines"]
            ],
        )
        tax = data["total"] // 6
        conn.execute(
            "INSERT INTO sales VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                sale_id,
                number,
                "sale",
                "floor",
                session_id,
                "c",
                "UAH",
                at,
                at,
                data["total"],
                0,
                data["total"] - tax,
                tax,
                data["total"],
                0,
                0,
                None,
                receipt,
                None,  # customer_id
            ),
        )
        conn.executemany(
            "INSERT INTO sale_lines VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    sale_id,
                    no,
                    sku,
                    sku,
                    qty * 1_000_000,
                    "each",
                    str(price / 100),
                    gross,
                    0,
                    gross - gross // 6,
                    gross // 6,
                    gross,
                    0,
                    None,
                    None,
                )
                for no, sku, qty, price, gross in data["lines"]
            ],
        )
        conn.execute(
            "INSERT INTO sale_taxes VALUES (?,?,?,?,?)",
            (sale_id, "VAT20", "20", data["total"] - tax, tax),
        )
        conn.execute(
            "INSERT INTO tenders VALUES (?,?,?,?,?,?,?,?)",
            (sale_id, 1, "card", data["total"], data["total"], 0, 0, None),
        )
        head = conn.execute(
            "SELECT seq, hash FROM journal_heads WHERE terminal_id='floor'"
        ).fetchone()
        seq = 1 if head is None else head[0] + 1
        gt += data["total"]
        payload = '{"receipt":' + receipt + "}"
        digest = hashlib.sha256(f"{sale_id}|floor|{seq}|{at}|{gt}|{prev}\n{payload}".encode())
        h = digest.hexdigest()
        conn.execute(
            "INSERT INTO journal VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                uuid.uuid4().hex,
                "floor",
                seq,
                at,
                "SaleCompleted",
                data["total"],
                payload,
                gt,
                0,
                prev,
                h,
                None,
            ),
        )
        if head is None:
            conn.execute("INSERT INTO journal_heads VALUES ('floor', ?, ?, ?, 0)", (seq, h, gt))
        else:
            conn.execute(
                "UPDATE journal_heads SET seq=?, hash=?, gt_sales_minor=? "
                "WHERE terminal_id='floor'",
                (seq, h, gt),
            )
        conn.execute("COMMIT")
        spent = time.perf_counter() - start
        latencies.append(spent)
        total_time += spent
        prev = h
    conn.close()
    return n / total_time, latencies


def _one(row: Any) -> Any:
    assert row is not None
    return row[0]


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98]


def _report(name: str, ours: tuple[float, list[float]], floor: tuple[float, list[float]]) -> str:
    rate, lat = ours
    frate, flat = floor
    return (
        f"bench_commit {name}: possdk {rate:,.0f} sales/s "
        f"(p50 {statistics.median(lat) * 1e3:.2f} ms, p99 {p99(lat) * 1e3:.2f} ms); "
        f"floor {frate:,.0f} sales/s (p99 {p99(flat) * 1e3:.2f} ms);"
        f" ratio {rate / frate:.2f} [goal >= 0.5]"
    )


def run_sqlite(n: int = SALES) -> list[str]:
    out = []
    for synchronous in ("FULL", "NORMAL"):
        with tempfile.TemporaryDirectory() as tmp:
            ours_db = Path(tmp) / "possdk.db"
            floor_db = Path(tmp) / "floor.db"
            ours = possdk_run(f"sqlite:///{ours_db}?synchronous={synchronous}", n)
            open_store(f"sqlite:///{floor_db}").close()  # same schema for the floor
            floor = floor_sqlite(str(floor_db), synchronous, n)
        out.append(_report(f"SQLite WAL synchronous={synchronous}", ours, floor))
    return out


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


def floor_postgres(url: str, n: int) -> tuple[float, list[float]]:
    """The same rows per sale through raw psycopg, one transaction per sale."""
    import psycopg

    conn = psycopg.connect(url)
    session_id = uuid.uuid4()
    with conn.transaction():
        conn.execute(
            "INSERT INTO registers (id, receipt_count, z_count) VALUES ('floor', 0, 0) "
            "ON CONFLICT DO NOTHING"
        )
        conn.execute(
            "INSERT INTO register_sessions (id, register_id, operator_id, currency, "
            "opening_float_minor, opened_at, totals) "
            "VALUES (%s, 'floor', 'c', 'UAH', 10000, now(), %s)",
            (session_id, json.dumps({"sale_count": 0, "sales": 0})),
        )
    latencies: list[float] = []
    total_time = 0.0
    prev = "0" * 64
    gt = 0
    for i in range(n):
        data = _row_data(i)
        sale_id = uuid.uuid4()
        at = datetime(2026, 11, 27, 7, tzinfo=timezone.utc)
        receipt = _document(i)
        start = time.perf_counter()
        with conn.transaction():
            count = _one(
                conn.execute(
                    "SELECT receipt_count FROM registers WHERE id='floor' FOR UPDATE"
                ).fetchone()
            )
            conn.execute("UPDATE registers SET receipt_count=%s WHERE id='floor'", (count + 1,))
            totals = _one(
                conn.execute(
                    "SELECT totals FROM register_sessions WHERE id=%s FOR UPDATE", (session_id,)
                ).fetchone()
            )
            t = json.loads(totals)
            t["sale_count"] += 1
            t["sales"] += data["total"]
            conn.execute(
                "UPDATE register_sessions SET totals=%s WHERE id=%s", (json.dumps(t), session_id)
            )
            number = f"floor/{count + 1:06d}"
            deltas = _stock_deltas(data)
            conn.execute(
                STOCK_ITEMS + f"({', '.join(['%s'] * len(deltas))})", sorted(deltas)
            ).fetchall()
            location = _one(conn.execute(_pg(REGISTER_LOCATION), ("floor",)).fetchone()) or "main"
            for sku in sorted(deltas):
                conn.execute(_pg(UPSERT_LEVEL), (sku, location, deltas[sku], False)).fetchone()
            with conn.cursor() as cur:
                cur.executemany(
                    _pg(INSERT_MOVEMENT),
                    [
                        (
                            uuid.uuid4(),
                            at,
                            sku,
                            location,
                            "sale",
                            -qty * 1_000_000,
                            "",
                            number,
                            sale_id,
                            no,
                            None,
                            "",
                        )
                        for no, sku, qty, _, _ in data["lines"]
                    ],
                )
            tax = data["total"] // 6
            conn.execute(
                "INSERT INTO sales VALUES "
                "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (
                    sale_id,
                    number,
                    "sale",
                    "floor",
                    session_id,
                    "c",
                    "UAH",
                    at,
                    at,
                    data["total"],
                    0,
                    data["total"] - tax,
                    tax,
                    data["total"],
                    0,
                    0,
                    None,
                    receipt,
                    None,  # customer_id
                ),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO sale_lines VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    [
                        (
                            sale_id,
                            no,
                            sku,
                            sku,
                            qty * 1_000_000,
                            "each",
                            str(price / 100),
                            gross,
                            0,
                            gross - gross // 6,
                            gross // 6,
                            gross,
                            False,
                            None,
                            None,
                        )
                        for no, sku, qty, price, gross in data["lines"]
                    ],
                )
            conn.execute(
                "INSERT INTO sale_taxes VALUES (%s,%s,%s,%s,%s)",
                (sale_id, "VAT20", "20", data["total"] - tax, tax),
            )
            conn.execute(
                "INSERT INTO tenders VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                (sale_id, 1, "card", data["total"], data["total"], 0, 0, None),
            )
            conn.execute(
                "INSERT INTO journal_heads VALUES ('floor', 0, %s, 0, 0) ON CONFLICT DO NOTHING",
                ("0" * 64,),
            )
            seq = _one(
                conn.execute(
                    "SELECT seq FROM journal_heads WHERE terminal_id='floor' FOR UPDATE"
                ).fetchone()
            )
            seq += 1
            gt += data["total"]
            payload = '{"receipt":' + receipt + "}"
            digest = hashlib.sha256(f"{sale_id}|floor|{seq}|{at}|{gt}|{prev}\n{payload}".encode())
            h = digest.hexdigest()
            conn.execute(
                "INSERT INTO journal VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (
                    uuid.uuid4(),
                    "floor",
                    seq,
                    at,
                    "SaleCompleted",
                    data["total"],
                    payload,
                    gt,
                    0,
                    prev,
                    h,
                    None,
                ),
            )
            conn.execute(
                "UPDATE journal_heads SET seq=%s, hash=%s, gt_sales_minor=%s "
                "WHERE terminal_id='floor'",
                (seq, h, gt),
            )
        spent = time.perf_counter() - start
        latencies.append(spent)
        total_time += spent
        prev = h
    conn.close()
    return n / total_time, latencies


def run_postgres(url: str, n: int) -> list[str]:
    ours = possdk_run(url, n)
    floor = floor_postgres(url, n)
    return [_report("PostgreSQL", ours, floor)]


def run(n: int = SALES, postgres: str | None = None) -> list[str]:
    out = run_sqlite(n)
    url = postgres or os.environ.get("POSSDK_BENCH_POSTGRES_URL")
    if url:
        out += run_postgres(url, n)
        return out
    from possdk.testing import PostgresServer, find_postgres_bin

    if find_postgres_bin() is None:
        return [*out, "bench_commit PostgreSQL: skipped (no PostgreSQL binaries)"]
    with PostgresServer() as server:
        out += run_postgres(server.create_database(), n)
    return out


def main(argv: list[str] | None = None, emit: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=int, default=SALES)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args(argv)
    for line in run(args.sales, args.postgres):
        emit(line)


if __name__ == "__main__":
    main()
