"""Concurrency: 16 processes spend one gift card and enter one single-use coupon at once.

The card holds 100.00 and the coupon ``ONLY-ONE`` may be used once. Sixteen
processes, each with a session on its own register, ring up two sales of a
book: sale A with the coupon, sale B without; each pays 9.00 from the card
and the rest in cash *before* the start, when the card covered it and the
coupon was unused, so only the store's checks inside the completing
transaction (the card's conditional debit, the coupon's locked conditional
update) can stop them. Released together by a start file, each completes A,
then B.

The first sale to commit is an A (every seller completes A first) and finds
the card full and the coupon unused, so exactly one A completes; the other A
sales are refused for the coupon (or for the card, which is debited first,
once it has run out). The card is asked for 9.00 by the 16 B sales alone,
more than its 100.00 covers, so exactly 11 payments (99.00) go through and
1.00 is left.

Afterwards: the total redeemed never exceeds the balance, the card's ledger
sums to its balance and never dips below zero, the coupon has exactly one
redemption, that of the one A kept; every acknowledged receipt is kept and
nothing else (refused sales left no receipt, no ledger entry, no redemption),
the journal verifies and a SQLite file passes its integrity check.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from possdk import Money, Settings, Store
from tests.conftest import CASHIER, SUPERVISOR, make_catalog
from tests.integration._loyalty_workers import SPEND, Sellers
from tests.integration._workers import audit, sqlite_integrity

SELLERS = 16
BALANCE = Money("100.00", "UAH")
COUPON = "ONLY-ONE"
TIMEOUT_S = 180.0


def race_for_one_card_and_one_coupon(url: str, workdir: Path) -> None:
    with Store.open(
        url,
        settings=Settings(currency="UAH", locale="uk_UA"),
        catalog=make_catalog(),
        operators=[CASHIER, SUPERVISOR],
        load_entry_points=False,
    ) as store:
        cards = store.loyalty.gift_cards
        card = cards.issue(BALANCE).number
        store.loyalty.coupons.create(COUPON)
        registers = [f"till-{i}" for i in range(1, SELLERS + 1)]

        start = workdir / "start"
        worker = Sellers(
            ["sellers", url, str(start), card, COUPON, *registers], workdir / "sellers.stderr"
        )
        try:
            assert worker.until("warm", TIMEOUT_S) == []
            ready: list[str] = []
            deadline = time.monotonic() + TIMEOUT_S
            while len(ready) < SELLERS:
                line = worker.line(max(0.0, deadline - time.monotonic()))
                if not line.startswith("ready "):
                    raise worker.trouble(f"said {line!r} before every seller was ready")
                ready.append(line.split()[1])
            assert sorted(ready) == sorted(registers)
            started = time.monotonic()
            start.touch()
            said = worker.until("done", TIMEOUT_S)
            elapsed = time.monotonic() - started
            assert worker.finish(TIMEOUT_S) == []
        finally:
            worker.close()

        words = [line.split() for line in said]
        exits = {w[1]: w[2] for w in words if w[0] == "exit"}
        assert exits == dict.fromkeys(registers, "0"), said
        acks = {(w[1], w[2]): (w[3], w[4]) for w in words if w[0] == "ack"}
        refused = {(w[1], w[2]): (w[3], w[4]) for w in words if w[0] == "refused"}
        every = {(r, s) for r in registers for s in "AB"}
        assert not set(acks) & set(refused) and set(acks) | set(refused) == every, said
        print(
            f"{url.split(':')[0]}: {len(acks)} kept, refused for the coupon "
            f"{sum(1 for why, _ in refused.values() if why == 'coupon')}, for the card "
            f"{sum(1 for why, _ in refused.values() if why == 'card')}, in {elapsed:.2f} s"
        )

        # The coupon: used by exactly one sale, an A. Another A is refused for the
        # coupon, or for the card if that ran out first (it is debited first); a B
        # only for the card.
        kept_a = [key for key in acks if key[1] == "A"]
        assert len(kept_a) == 1, acks
        assert any(why == "coupon" for why, _ in refused.values()), refused
        assert all(why == "card" for (_, name), (why, _) in refused.items() if name == "B")
        [redemption] = store.loyalty.coupons.redemptions(COUPON)
        assert str(redemption.sale_id) == acks[kept_a[0]][1]
        assert store.loyalty.coupons.get(COUPON).uses == 1

        # The card: never more than its balance, exactly as much as it covered.
        spend = Money(SPEND, "UAH")
        kept_payments = len(acks)  # every kept sale paid SPEND from the card
        assert spend * kept_payments <= BALANCE
        assert kept_payments == int(BALANCE.amount // spend.amount) == 11
        left = BALANCE - spend * kept_payments
        assert cards.balance(card) == left == Money("1.00", "UAH")
        history = cards.history(card)
        running = Decimal(0)
        for entry in history:
            running += entry.amount.amount
            assert running >= 0, f"the ledger dips to {running} at {entry}"
            assert entry.balance.amount == running
        assert running == left.amount
        redeemed = [e for e in history if e.kind.value == "redeem"]
        assert len(redeemed) == kept_payments
        assert sum((e.amount for e in redeemed), Money("0", "UAH")) == -spend * kept_payments
        assert cards.outstanding() == left

        # Refused sales left nothing behind; kept ones are kept whole.
        receipts = {str(r.sale_id): r for r in store.receipts()}
        assert set(receipts) == {sale_id for _, sale_id in acks.values()}
        assert {r.number for r in receipts.values()} == {n for n, _ in acks.values()}
        refused_ids = {sale_id for _, sale_id in refused.values()}
        assert not refused_ids & set(receipts)
        assert all(
            r.coupons == () for r in receipts.values() if str(r.sale_id) != acks[kept_a[0]][1]
        )
        stored, _, problems = audit(url)
        assert not problems, "\n".join(problems[:20])
        assert set(stored) == {r.number for r in receipts.values()}
        report = store.verify_journal()
        assert report.ok, report.as_text()
    if url.startswith("sqlite:"):
        assert sqlite_integrity(Path(url.removeprefix("sqlite:///"))) == "ok"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sixteen_tills_spend_one_card_and_one_coupon_once(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = str(request.getfixturevalue("postgresql_url"))
    race_for_one_card_and_one_coupon(url, tmp_path)
