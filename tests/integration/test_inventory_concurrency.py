"""Concurrency: 16 processes sell the last 10 units of a blocking item at once.

The store has 10 ``GUM`` on hand at ``main`` and the item may not go below zero
(``negative="block"``). Sixteen processes, each with a session on its own
register (till-1..till-16, all selling from ``main``), ring up their sales, are
released together by a start file and complete with cash. Some of them took
the cash before the start, when nothing was sold yet, so the check before the
first tender passed and only the store's check inside the completing
transaction (the level's upsert locks the row; the check raises and the
transaction rolls back) can stop them; they want more than 10 together, so at
least one of them must be stopped there. The rest pay after the start and may
be stopped at either point. Ten or more sellers want one unit, so exactly 10
must sell whatever the order.

Afterwards: exactly 10 units were sold and nothing more (the acknowledged
quantities add up to 10, on hand is 0 by the level, the ledger and the
database's own sum, and the running sum of the ledger never dips below zero);
each sale's stock moved with it entirely or not at all (a refused sale left no
movement, a completed one moved all its lines); every acknowledged receipt is
kept with its sale id, and nothing else is; the cached levels agree with the
ledger (``check()``), the journal verifies, the tables pass the audit of the
sales concurrency test, and a SQLite file passes its integrity check.

``singles``: 16 sellers of one unit each. ``two lines of one item``: among the
16, two sell 2 units on one line and two sell two lines of 1 unit each.
SQLite writers wait on each other (the busy timeout); that is expected.
"""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest

from possdk import Settings, Store
from possdk.inventory import MovementKind
from tests.conftest import CASHIER, SUPERVISOR, make_catalog
from tests.integration._stock_workers import ITEM, Sellers, parse_spec
from tests.integration._workers import audit, sqlite_integrity

ON_HAND = 10
TIMEOUT_S = 180.0

PLANS = {
    # 11 pay first (11 units: at least one is refused inside the transaction).
    "singles": [f"till-{i}=1" + ("!" if i <= 11 else "") for i in range(1, 17)],
    # 2, 1+1, 2, 1+1, 1, 1 and 1 pay first (11 units); the other 9 sell one each.
    "two lines of one item": [
        "till-1=2!",
        "till-2=1+1!",
        "till-3=2!",
        "till-4=1+1!",
        *(f"till-{i}=1!" for i in range(5, 8)),
        *(f"till-{i}=1" for i in range(8, 17)),
    ],
}


class Sold(NamedTuple):
    """What a seller said it sold: ``ack REGISTER NUMBER QUANTITY SALE_ID``."""

    number: str
    quantity: Decimal
    sale_id: str


def race_for_the_last_units(url: str, workdir: Path, specs: list[str]) -> None:
    plan = {register: (lines, prepaid) for register, lines, prepaid in map(parse_spec, specs)}
    prepaid_units = sum(sum(lines) for lines, prepaid in plan.values() if prepaid)
    assert prepaid_units > ON_HAND  # so the transaction's own check must refuse one
    assert sum(1 for lines, _ in plan.values() if sum(lines) == 1) >= ON_HAND  # exactly 10 sell
    with Store.open(
        url,
        settings=Settings(currency="UAH", locale="uk_UA"),
        catalog=make_catalog(),
        operators=[CASHIER, SUPERVISOR],
        load_entry_points=False,
    ) as store:
        inv = store.inventory
        inv.set_item(ITEM, negative="block")
        inv.receive_stock({ITEM: ON_HAND}, reference="DN-1")

        start = workdir / "start"
        worker = Sellers(["sellers", url, str(start), *specs], workdir / "sellers.stderr")
        try:
            assert worker.until("warm", TIMEOUT_S) == []
            ready: list[str] = []
            deadline = time.monotonic() + TIMEOUT_S
            while len(ready) < len(specs):
                line = worker.line(max(0.0, deadline - time.monotonic()))
                if not line.startswith("ready "):
                    raise worker.trouble(f"said {line!r} before every seller was ready")
                ready.append(line.split()[1])
            assert sorted(ready) == sorted(plan)
            started = time.monotonic()
            start.touch()
            said = worker.until("done", TIMEOUT_S)
            elapsed = time.monotonic() - started
            assert worker.finish(TIMEOUT_S) == []
        finally:
            worker.close()

        exits = {w[1]: w[2] for w in (line.split() for line in said) if w[0] == "exit"}
        assert exits == dict.fromkeys(plan, "0"), said
        acks = {
            w[1]: Sold(w[2], Decimal(w[3]), w[4])
            for w in (line.split() for line in said)
            if w[0] == "ack"
        }
        refused = {w[1]: w[2] for w in (line.split() for line in said) if w[0] == "refused"}
        assert not set(acks) & set(refused) and set(acks) | set(refused) == set(plan), said
        for register, ack in acks.items():
            assert ack.number == f"{register}/000001"
            assert ack.quantity == sum(plan[register][0])
        print(
            f"{url.split(':')[0]}: {len(acks)} sold, refused at pay() "
            f"{sorted(r for r, at in refused.items() if at == 'pay')}, at complete() "
            f"{sorted(r for r, at in refused.items() if at == 'complete')}, in {elapsed:.2f} s"
        )
        # Paid before the start: only the check inside the transaction could stop them.
        assert all(refused[r] == "complete" for r in refused if plan[r][1]), refused
        assert any(plan[r][1] for r in refused), f"no prepaid sale was refused: {refused}"

        # Exactly the stock there was, and not a unit more.
        sold = sum(a.quantity for a in acks.values())
        assert sold == ON_HAND, (sold, said)
        level = inv.level(ITEM)
        assert (level.on_hand, level.reserved) == (0, 0), level
        assert inv.on_hand_from_ledger() == {(ITEM, "main"): 0}
        check = inv.check()
        assert check.ok, check
        running = Decimal(0)
        movements = inv.movements()
        for m in movements:
            running += m.quantity
            assert running >= 0, f"the ledger dips to {running} at {m}"
        # A sale's stock moved with it entirely or not at all.
        sales = [m for m in movements if m.kind is MovementKind.SALE]
        by_sale: dict[str, list[Decimal]] = {}
        for m in sales:
            assert (m.sku, m.location_id) == (ITEM, "main"), m
            by_sale.setdefault(m.reference, []).append(m.quantity)
        assert by_sale == {a.number: [-q for q in plan[r][0]] for r, a in acks.items()}
        assert {str(m.document_id) for m in sales} == {a.sale_id for a in acks.values()}
        assert Counter(m.kind for m in movements) == {
            MovementKind.RECEIPT: 1,
            MovementKind.SALE: sum(len(plan[r][0]) for r in acks),
        }

        # Every acknowledged sale is kept, and nothing else was.
        receipts = {r.number: r for r in store.receipts()}
        assert {n: str(r.sale_id) for n, r in receipts.items()} == {
            a.number: a.sale_id for a in acks.values()
        }
        assert all(r.lines[0].line.sku == ITEM for r in receipts.values())
        stored, journal, problems = audit(url)
        assert not problems, "\n".join(problems[:20])
        assert set(stored) == set(receipts)
        for register in plan:
            kinds = {t: n for (term, t), n in journal.items() if term == register}
            outcome = {"SaleCompleted": 1} if register in acks else {"SaleVoided": 1}
            assert kinds == {"RegisterSessionOpened": 1, **outcome}, (register, kinds)
        report = store.verify_journal()
        assert report.ok, report.as_text()
    if url.startswith("sqlite:"):
        assert sqlite_integrity(Path(url.removeprefix("sqlite:///"))) == "ok"


@pytest.mark.parametrize("plan", sorted(PLANS))
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sixteen_tills_sell_the_last_ten_units_once(
    backend: str, plan: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = str(request.getfixturevalue("postgresql_url"))
    race_for_the_last_units(url, tmp_path, PLANS[plan])
