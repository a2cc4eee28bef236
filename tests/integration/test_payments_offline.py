"""Store-and-forward: card payments taken while the terminal cannot reach the bank.

The merchant's OfflinePolicy refuses them (the default) or queues them within
limits, checked at the edge; the queue survives a restart and is forwarded
exactly once; a decline or an expired payment lands in the exceptions list.
The kill test SIGKILLs tills while they queue and while they forward (CI: a
bounded number of kills; ``POSSDK_SOAK=1``: 200), then forwards what is left and
checks the bank's books against the store's.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import uuid
from collections import Counter
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from possdk import FixedClock, Money, RegisterSession, Sale, Settings, Store
from possdk.core import SaleState, TenderKind
from possdk.errors import OfflineLimitError
from possdk.payments import (
    CardTerminalSimulator,
    OfflinePolicy,
    Operation,
    PaymentStatus,
    Step,
)
from tests.conftest import CASHIER, START, SUPERVISOR, make_catalog
from tests.integration._payment_workers import Tills
from tests.integration.conftest import MEMORY, OpenStore, shop_settings, sqlite_file_url

S = PaymentStatus
SEED = int(os.environ.get("POSSDK_SEED", "20261127"))
SOAK = os.environ.get("POSSDK_SOAK") == "1"


def uah(amount: str) -> Money:
    return Money(amount, "UAH")


def accepting(**limits: object) -> Settings:
    return attrs.evolve(shop_settings(), offline=OfflinePolicy(accept=True, **limits))  # type: ignore[arg-type]


def till(store: Store) -> RegisterSession:
    return store.register("till-1").session or store.register("till-1").open_session(
        operator="cashier", opening_float="500.00"
    )


def new_sale(store: Store, *skus: str) -> Sale:
    sale = till(store).new_sale()
    for sku in skus or ("BOOK",):  # 250.00
        sale.add(sku)
    return sale


def offline_sim(**kwargs: object) -> CardTerminalSimulator:
    sim = CardTerminalSimulator(**kwargs)  # type: ignore[arg-type]
    sim.online = False
    return sim


def booked(sim: CardTerminalSimulator, payment_id: uuid.UUID | None) -> bool:
    """Whether the bank did anything with this payment's sale."""
    return f"{payment_id}:sale" in sim.bank


# ---- the policy ---------------------------------------------------------------------------


def test_offline_payments_are_refused_by_default_and_nothing_is_taken(
    open_store: OpenStore,
) -> None:
    sim = offline_sim()
    store = open_store(MEMORY, plugins=[sim])
    sale = new_sale(store)

    with pytest.raises(OfflineLimitError, match="no offline payments"):
        sale.pay("card")

    assert sale.tenders == () and sale.state is SaleState.OPEN
    assert sim.bank == {} and sim.captured == {}
    assert store.payments.queued() == []
    assert [p.status for p in store.payments.all_payments()] == [S.FAILED]
    sale.pay("cash")
    sale.complete()


def test_an_offline_payment_is_queued_survives_a_restart_and_is_forwarded_once(
    open_store: OpenStore, durable_url: str, tmp_path: Path
) -> None:
    bank = tmp_path / "bank.jsonl"
    store = open_store(durable_url, settings=accepting(), plugins=[offline_sim(bank_path=bank)])
    sale = new_sale(store)

    tender = sale.pay("card")

    assert tender.offline is True
    assert tender.amount == uah("250.00")
    receipt = sale.complete()
    assert "(offline)" in receipt.as_text()
    [queued] = store.payments.queued()
    assert (queued.id, queued.status, queued.offline) == (tender.payment_id, S.PENDING, True)
    store.close()

    sim = CardTerminalSimulator(bank_path=bank)  # the terminal is back
    reopened = open_store(durable_url, new=False, plugins=[sim])
    assert [p.id for p in reopened.payments.queued()] == [tender.payment_id]
    forwarded = reopened.payments.forward()

    assert [(p.id, p.status, p.captured) for p in forwarded] == [
        (tender.payment_id, S.CAPTURED, uah("250.00"))
    ]
    assert forwarded[0].forwarded_at is not None and forwarded[0].exception is None
    assert reopened.payments.queued() == []
    assert reopened.payments.forward() == []  # again: nothing to send
    assert read_bank(bank) == Counter({(f"{tender.payment_id}:sale", "sale"): 1})
    assert [c.operation for c in sim.calls] == [Operation.SALE]
    assert list(CardTerminalSimulator(bank_path=bank).captured.values()) == [uah("250.00")]
    kept = reopened.payments.payment(tender.payment_id)  # type: ignore[arg-type]
    assert (kept.status, kept.sale_id) == (S.CAPTURED, receipt.sale_id)


def test_a_decline_on_forwarding_lands_in_the_exceptions_list(open_store: OpenStore) -> None:
    sim = offline_sim()
    store = open_store(MEMORY, settings=accepting(), plugins=[sim])
    good, bad = new_sale(store), new_sale(store, "COFFEE")
    good_id = good.pay("card").payment_id
    good.complete()
    bad_id = bad.pay("card").payment_id
    bad.complete()
    sim.online = True
    sim.add(Step.approve(), Step.decline("54", "expired card"))
    calls = len(sim.calls)  # the two tried while offline

    store.payments.forward()

    [exception] = store.payments.exceptions()
    assert exception.id == bad_id
    assert exception.status is S.DECLINED
    assert "declined" in (exception.exception or "") and "54" in (exception.exception or "")
    assert store.payments.payment(good_id).status is S.CAPTURED  # type: ignore[arg-type]
    assert store.payments.queued() == []
    assert list(sim.captured.values()) == [uah("250.00")]
    store.payments.forward()
    assert len(sim.calls) == calls + 2  # each sent once, the declined one not again


@pytest.mark.parametrize(("amount", "accepted"), [("100.00", True), ("100.01", False)])
def test_the_amount_limit_takes_exactly_the_limit_and_refuses_a_minor_unit_more(
    open_store: OpenStore, amount: str, accepted: bool
) -> None:
    sim = offline_sim()
    store = open_store(MEMORY, settings=accepting(max_amount=uah("100.00")), plugins=[sim])
    sale = new_sale(store)

    if accepted:
        assert sale.pay("card", amount).offline
        assert [p.requested for p in store.payments.queued()] == [uah(amount)]
    else:
        with pytest.raises(OfflineLimitError, match=r"100\.00"):
            sale.pay("card", amount)
        assert sale.tenders == () and store.payments.queued() == []
    assert sim.bank == {}


def test_the_total_limit_counts_what_is_already_queued(open_store: OpenStore) -> None:
    sim = offline_sim()
    store = open_store(MEMORY, settings=accepting(max_total=uah("400.00")), plugins=[sim])
    first = new_sale(store)
    first.pay("card")  # 250.00 queued
    first.complete()
    sale = new_sale(store)

    with pytest.raises(OfflineLimitError, match=r"400\.00"):
        sale.pay("card", "150.01")
    assert sale.tenders == ()
    assert sale.pay("card", "150.00").offline  # exactly at the limit
    with pytest.raises(OfflineLimitError):
        sale.pay("card", "0.01")  # nothing more fits

    assert sum((p.requested for p in store.payments.queued()), uah("0")) == uah("400.00")
    sale.pay("cash")
    sale.complete()
    sim.online = True
    store.payments.forward()
    assert sum(sim.captured.values(), uah("0")) == uah("400.00")
    after = new_sale(store)
    sim.online = False
    assert after.pay("card").offline  # forwarded: room in the queue again


@pytest.mark.parametrize(
    ("age", "forwarded"), [(timedelta(0), True), (timedelta(seconds=1), False)]
)
def test_a_payment_older_than_the_age_limit_is_not_forwarded_but_listed(
    open_store: OpenStore, age: timedelta, forwarded: bool
) -> None:
    clock = FixedClock(START)  # stands still: the payment's age is exactly what we advance
    sim = offline_sim()
    store = open_store(
        MEMORY, settings=accepting(max_age=timedelta(hours=24)), plugins=[sim], clock=clock
    )
    sale = new_sale(store)
    payment_id = sale.pay("card").payment_id
    sale.complete()

    clock.advance(timedelta(hours=24) + age)
    sim.online = True
    calls = len(sim.calls)  # the one tried while offline
    store.payments.forward()

    if forwarded:
        assert booked(sim, payment_id)
        assert len(sim.calls) == calls + 1
        assert store.payments.exceptions() == []
        return
    [expired] = store.payments.exceptions()
    assert expired.id == payment_id
    assert (expired.exception or "").startswith("expired")
    assert expired.status is S.PENDING and expired.forwarded_at is None
    assert len(sim.calls) == calls and sim.bank == {}  # never sent
    assert store.payments.queued() == []
    store.payments.forward()
    assert len(sim.calls) == calls


def test_tender_kinds_the_policy_does_not_name_are_refused_offline(open_store: OpenStore) -> None:
    wallet = offline_sim(id="sim-mobile", kind=TenderKind.MOBILE)
    card = offline_sim()
    store = open_store(MEMORY, settings=accepting(), plugins=[wallet, card])
    sale = new_sale(store)

    with pytest.raises(OfflineLimitError, match="mobile payments are not taken offline"):
        sale.pay("mobile")

    assert sale.tenders == ()
    assert sale.pay("card").offline  # the default policy names cards only
    assert wallet.bank == {}


def test_an_offline_payment_of_a_sale_that_never_completed_is_not_charged(
    open_store: OpenStore, durable_url: str, tmp_path: Path
) -> None:
    """A till dies after queueing a card payment and before completing its sale: there is
    no receipt and no sale, so forwarding must not take the customer's money (recover()
    gives back online payments of such sales in the same way)."""
    bank = tmp_path / "bank.jsonl"
    store = open_store(durable_url, settings=accepting(), plugins=[offline_sim(bank_path=bank)])
    done = new_sale(store, "COFFEE")
    done.pay("card")
    done.complete()
    orphan = new_sale(store)
    orphan_id = orphan.pay("card").payment_id
    store.close()  # the till dies with the sale open

    sim = CardTerminalSimulator(bank_path=bank)
    reopened = open_store(durable_url, new=False, plugins=[sim])
    reopened.payments.recover()
    reopened.payments.forward()

    assert [r.sale_id for r in reopened.receipts()] == [done.id]
    assert sum(sim.captured.values(), uah("0")) == uah("189.00"), (
        f"the bank charged {sim.captured} for a sale that never completed"
    )
    assert reopened.payments.payment(orphan_id).status is not S.CAPTURED  # type: ignore[arg-type]


# ---- the kill test -------------------------------------------------------------------------


def kill_rounds(rng: random.Random, kills: int) -> list[tuple[str, float]]:
    """Alternate a queueing till and a forwarding till, each killed after a random delay.

    A sale with its offline payment takes a few milliseconds and forwarding one
    payment one or two, so the short delays land in the middle of the work and
    the longer ones let a till finish.
    """
    plan = []
    for i in range(kills):
        if i % 2 == 0:
            plan.append(
                (f"queue {rng.randrange(10**6)} {rng.randint(5, 20)}", rng.uniform(0, 0.08))
            )
        else:
            plan.append(("forward", rng.uniform(0, 0.015)))
    return plan


def read_bank(path: Path) -> Counter[tuple[str, str]]:
    """Records per (idempotency key, operation) in the bank's books."""
    books: Counter[tuple[str, str]] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        key, operation, _ = json.loads(line)  # a torn line would fail here: none may be
        books[(key, operation)] += 1
    return books


def run_kill_test(tmp_path: Path, kills: int) -> None:
    url = sqlite_file_url(tmp_path)
    bank = tmp_path / "bank.jsonl"
    with Store.open(
        url,
        settings=accepting(),
        catalog=make_catalog(),
        operators=[CASHIER, SUPERVISOR],
        load_entry_points=False,
    ):
        pass
    rng = random.Random(SEED)
    queued: dict[uuid.UUID, int] = {}  # payment -> minor units, as a till said it queued them
    acked: dict[uuid.UUID, uuid.UUID] = {}  # payment -> its completed sale
    tills = Tills(url, bank, tmp_path / "tills.stderr")
    try:
        for command, delay in kill_rounds(rng, kills):
            for line in tills.run(command, delay):
                word, *rest = line.split()
                if word == "queued":
                    queued[uuid.UUID(rest[0])] = int(rest[2])
                elif word == "ack":
                    acked[uuid.UUID(rest[0])] = uuid.UUID(rest[1])
        tills.run("forward", 60)  # one till finishes the job
    finally:
        tills.close()

    books = read_bank(bank)
    sim = CardTerminalSimulator(bank_path=bank)
    with Store.open(url, plugins=[sim], load_entry_points=False) as store:
        assert store.payments.forward() == []  # nothing was left behind
        # Killed between keeping a payment and learning the terminal was offline: never sent.
        # Queued offline for a sale that was never completed: dropped, never sent either.
        for payment in store.payments.recover():
            if payment.offline:
                assert payment.status is S.VOIDED and payment.sale_id not in acked.values()
                assert payment.forwarded_at is None, payment
            else:
                assert payment.status is S.FAILED, payment
        payments = {p.id: p for p in store.payments.all_payments()}
        left = [p for p in payments.values() if p.status in (S.PENDING, S.UNKNOWN)]
        assert left == [], left
        receipts = {r.sale_id: r for r in store.receipts()}
        problems = []
        for payment_id, minor in queued.items():  # none lost, none at the bank twice
            payment = payments.get(payment_id)
            if payment is None:
                problems.append(f"queued payment {payment_id} is not in the store")
                continue
            times = books[(f"{payment_id}:sale", "sale")]
            if payment.sale_id not in receipts:  # its till died before the sale completed
                if times > 1:
                    problems.append(f"{payment_id} (no sale): at the bank {times} times")
                continue
            if times != 1 or payment.status is not S.CAPTURED:
                problems.append(f"{payment_id}: at the bank {times} times, {payment.status.value}")
            elif sim.captured.get(payment.reference or "") != Money.from_minor(minor, "UAH"):
                problems.append(
                    f"{payment_id}: the bank holds {sim.captured.get(payment.reference or '')}"
                )
        for payment_id, sale_id in acked.items():  # every acknowledged sale is kept, paid
            receipt = receipts.get(sale_id)
            if receipt is None or [t.payment_id for t in receipt.tenders] != [payment_id]:
                problems.append(f"acknowledged sale {sale_id} is lost or lost its payment")
        for receipt in receipts.values():  # and so is every completed sale
            for tender in receipt.tenders:
                payment = payments[tender.payment_id]  # type: ignore[index]
                if payment.status is not S.CAPTURED or payment.captured != tender.amount:
                    problems.append(f"receipt {receipt.number}: payment {payment.status.value}")
        extra = [key for (key, _), n in books.items() if n != 1]
        if extra:
            problems.append(f"keys booked more than once: {extra}")
        in_store = sum((p.captured for p in payments.values() if p.status is S.CAPTURED), uah("0"))
        at_bank = sum(sim.captured.values(), uah("0"))
        if in_store != at_bank:
            problems.append(f"the store has {in_store} captured, the bank {at_bank}")
        assert not problems, "\n".join(problems)
        assert store.payments.queued() == [] and store.payments.exceptions() == []
        assert acked, "no till completed a sale: the kills came too early to test anything"
        assert store.verify_journal().ok
    with closing(sqlite3.connect(tmp_path / "shop.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_killed_tills_queue_and_forward_every_payment_exactly_once(tmp_path: Path) -> None:
    run_kill_test(tmp_path, 16)


@pytest.mark.slow
@pytest.mark.skipif(not SOAK, reason="the 200-kill soak runs with POSSDK_SOAK=1")
def test_killed_tills_queue_and_forward_every_payment_exactly_once_soak(tmp_path: Path) -> None:
    run_kill_test(tmp_path, 200)
