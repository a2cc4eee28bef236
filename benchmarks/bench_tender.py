"""bench_tender: 2,000 sales with a three-way split tender against single cash tenders.

Both runs ring up the same 5-line sales on SQLite (WAL, synchronous=FULL) and
time the tendering and the completion: one cash tender, against cash + a
card on the terminal simulator (its idempotency key committed before the call)
+ a gift card (debited inside the sale's transaction). Goal: the split-tender
run at >= 0.5x the sales/s of the cash run.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.bench_commit import LINES, catalog
from possdk import FixedClock, Money, Operator, Role, Settings, Store
from possdk.core import TenderKind
from possdk.payments import CardTerminalSimulator

SALES = 2_000


def _store(url: str) -> Store:
    from datetime import datetime, timedelta, timezone

    clock = FixedClock(
        datetime(2026, 11, 27, 7, tzinfo=timezone.utc), step=timedelta(milliseconds=3)
    )
    return Store.open(
        url,
        settings=Settings(currency="UAH"),
        catalog=catalog(),
        operators=[Operator("c", "Cashier", Role.cashier())],
        clock=clock,
        plugins=[CardTerminalSimulator(id="bench-card")],
        load_entry_points=False,
    )


def run_one(url: str, n: int, split: bool) -> tuple[float, list[float]]:
    store = _store(url)
    try:
        if split:
            store.payments.open_account(TenderKind.GIFT_CARD, "GC-BENCH", Money("10000000", "UAH"))
        session = store.register("bench").open_session(operator="c", opening_float="100")
        latencies: list[float] = []
        total = 0.0
        for i in range(n):
            sale = session.new_sale()
            for k in range(LINES):
                sale.add(f"SKU{(i + k) % 50}", 1 + k % 3)
            start = time.perf_counter()
            if split:
                sale.pay(TenderKind.CARD, "20.00")
                sale.pay(TenderKind.GIFT_CARD, "10.00", reference="GC-BENCH")
            sale.pay(TenderKind.CASH)
            sale.complete()
            spent = time.perf_counter() - start
            latencies.append(spent)
            total += spent
        return n / total, latencies
    finally:
        store.close()


def run(n: int = SALES) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        cash = run_one(f"sqlite:///{Path(tmp) / 'cash.db'}", n, split=False)
        split = run_one(f"sqlite:///{Path(tmp) / 'split.db'}", n, split=True)

    def p99(lat: list[float]) -> float:
        return statistics.quantiles(lat, n=100)[98]

    return [
        f"bench_tender SQLite FULL: cash + card + gift card {split[0]:,.0f} sales/s "
        f"(p99 {p99(split[1]) * 1e3:.2f} ms); single cash tender {cash[0]:,.0f} sales/s "
        f"(p99 {p99(cash[1]) * 1e3:.2f} ms); ratio {split[0] / cash[0]:.2f} [goal >= 0.5]"
    ]


if __name__ == "__main__":
    print("\n".join(run()))
