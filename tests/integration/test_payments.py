"""Payments through a sale on real stores: every terminal behaviour, idempotency, split tenders,
gift cards, refunds, what is kept, and recovery after a till died mid-payment.

Most tests run on an in-memory store; those about what is kept, and about two
tills on one database, run on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import NullPool

from possdk import Money, RegisterSession, Sale, Store, TenderKind, hookimpl
from possdk.core import SaleState
from possdk.errors import (
    AccountError,
    IdempotencyError,
    PaymentDeclinedError,
    PaymentUnknownError,
    PluginError,
    RefundError,
    ReturnError,
    SaleStateError,
    TenderError,
)
from possdk.payments import (
    CardTerminalSimulator,
    Operation,
    Outcome,
    PaymentRequest,
    PaymentStatus,
    ProviderResult,
    Step,
)
from tests.integration.conftest import MEMORY, OpenStore, shop_settings

S = PaymentStatus

# COFFEE 189.00 + BOOK 250.00: a basket every split below can pay in parts.
BASKET = ("COFFEE", "BOOK")
BASKET_TOTAL = "439.00"


def uah(amount: str) -> Money:
    return Money(amount, "UAH")


def till(store: Store, register: str = "till-1") -> RegisterSession:
    return store.register(register).open_session(operator="cashier", opening_float="500.00")


def new_sale(session: RegisterSession, *skus: str) -> Sale:
    sale = session.new_sale()
    for sku in skus or ("COFFEE",):
        sale.add(sku)
    return sale


def net_captured(sim: CardTerminalSimulator) -> Money:
    """The money the simulated bank holds for the shop: captures minus voids and refunds."""
    return sum(sim.captured.values(), uah("0"))


def sale_calls(sim: CardTerminalSimulator) -> list[PaymentRequest]:
    return [c for c in sim.calls if c.operation is Operation.SALE]


def memory_store(open_store: OpenStore, *plugins: object, **kwargs: Any) -> Store:
    return open_store(MEMORY, plugins=list(plugins), **kwargs)


@contextmanager
def raw_db(url: str) -> Iterator[sa.Engine]:
    """An engine of our own beside possdk's: reads what was committed, nothing else."""
    scheme, rest = url.split("://", 1)
    if scheme == "postgresql":
        scheme = "postgresql+psycopg"
    engine = sa.create_engine(f"{scheme}://{rest}", poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


# ---- each terminal behaviour through sale.pay -------------------------------------------


def test_an_approved_card_becomes_a_tender_and_the_bank_holds_the_money(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator()
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))

    tender = sale.pay("card")

    assert tender.amount == uah("189.00")
    assert tender.provider == "sim-card"
    assert tender.card is not None and tender.card.last4 == "4242"
    assert sale.is_paid
    assert net_captured(sim) == uah("189.00")
    payment = store.payments.payment(tender.payment_id)  # type: ignore[arg-type]
    assert (payment.status, payment.captured, payment.sale_id) == (
        S.CAPTURED,
        uah("189.00"),
        sale.id,
    )
    receipt = sale.complete()
    assert [t.payment_id for t in receipt.tenders] == [tender.payment_id]


def test_a_declined_card_leaves_the_sale_as_it_was_and_keeps_the_decline(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator(script=[Step.decline("51", "insufficient funds")])
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))
    events_before = len(sale.events)

    with pytest.raises(PaymentDeclinedError) as declined:
        sale.pay("card")

    assert declined.value.code == "51"
    assert "insufficient funds" in str(declined.value)
    assert sale.state is SaleState.OPEN
    assert sale.tenders == ()
    assert sale.balance_due == uah("189.00")
    assert len(sale.events) == events_before  # no PaymentTaken
    assert net_captured(sim) == uah("0")
    kept = store.payments.payment(declined.value.payment_id)  # type: ignore[arg-type]
    assert (kept.status, kept.decline_code, kept.decline_message) == (
        S.DECLINED,
        "51",
        "insufficient funds",
    )
    assert kept.captured == uah("0") and kept.sale_id == sale.id

    sale.pay("cash")
    receipt = sale.complete()
    assert [t.kind for t in receipt.tenders] == [TenderKind.CASH]
    assert store.verify_journal().ok
    # The decline stays on record, after the sale too.
    statuses = {p.id: p.status for p in store.payments.all_payments()}
    assert statuses[declined.value.payment_id] is S.DECLINED


def test_a_partial_approval_covers_only_what_was_approved(open_store: OpenStore) -> None:
    sim = CardTerminalSimulator(script=[Step.partial(uah("100.00"))])
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))

    tender = sale.pay("card")

    assert tender.amount == uah("100.00")
    assert sale.balance_due == uah("89.00")
    assert sale.state is SaleState.TENDERING
    with pytest.raises(SaleStateError, match=r"89\.00"):
        sale.complete()
    payment = store.payments.payment(tender.payment_id)  # type: ignore[arg-type]
    assert (payment.requested, payment.approved, payment.captured) == (
        uah("189.00"),
        uah("100.00"),
        uah("100.00"),
    )
    assert net_captured(sim) == uah("100.00")

    sale.pay("cash", "100.00")
    receipt = sale.complete()
    assert receipt.change == uah("11.00")
    assert [(t.kind, t.amount) for t in receipt.tenders] == [
        (TenderKind.CARD, uah("100.00")),
        (TenderKind.CASH, uah("89.00")),
    ]


def test_a_card_removed_early_moves_nothing_and_another_card_can_be_tried(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator(script=[Step.card_removed()])
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))

    with pytest.raises(PaymentDeclinedError) as removed:
        sale.pay("card")

    assert removed.value.code == "CR"
    assert "removed" in str(removed.value)
    assert sale.tenders == () and sale.state is SaleState.OPEN
    assert net_captured(sim) == uah("0")
    assert store.payments.payment(removed.value.payment_id).status is S.DECLINED  # type: ignore[arg-type]

    sale.pay("card")
    sale.complete()
    assert net_captured(sim) == uah("189.00")


def test_a_timeout_the_bank_approved_is_found_by_check_payments_and_never_charged_twice(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator(script=[Step.timeout(then=Outcome.APPROVED)])
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))

    with pytest.raises(PaymentUnknownError) as unknown:
        sale.pay("card")

    payment_id = unknown.value.payment_id
    assert sale.unknown_payments == (payment_id,)
    assert sale.tenders == ()
    assert store.payments.payment(payment_id).status is S.UNKNOWN  # type: ignore[arg-type]

    # While the terminal cannot be asked, no other tender is taken and the sale cannot end.
    sim.online = False
    for attempt in (lambda: sale.pay("cash"), lambda: sale.pay("card"), sale.complete):
        with pytest.raises(PaymentUnknownError):
            attempt()
    assert sale.tenders == () and sale.unknown_payments == (payment_id,)

    sim.online = True
    found = sale.check_payments()

    assert [t.payment_id for t in found] == [payment_id]
    assert found[0].amount == uah("189.00")
    assert sale.unknown_payments == ()
    assert store.payments.payment(payment_id).status is S.CAPTURED  # type: ignore[arg-type]
    with pytest.raises(TenderError, match="nothing is due"):
        sale.pay("card")  # a cashier trying the card again: refused, not charged
    receipt = sale.complete()
    assert [t.payment_id for t in receipt.tenders] == [payment_id]
    assert list(sim.captured.values()) == [uah("189.00")]  # one charge
    assert len(sale_calls(sim)) == 1


def test_a_second_card_attempt_after_a_timeout_first_finds_the_first_payment(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator(script=[Step.timeout(then=Outcome.APPROVED)])
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))
    with pytest.raises(PaymentUnknownError):
        sale.pay("card")

    # pay() looks the unknown payment up first: it went through, so nothing is due.
    with pytest.raises(TenderError, match="nothing is due"):
        sale.pay("card")

    assert [t.kind for t in sale.tenders] == [TenderKind.CARD]
    assert len(sale_calls(sim)) == 1
    assert net_captured(sim) == uah("189.00")
    sale.complete()


def test_a_timeout_that_never_reached_the_bank_is_dropped_and_a_new_card_works(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator(script=[Step.timeout(then=None)])
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))
    with pytest.raises(PaymentUnknownError) as unknown:
        sale.pay("card")

    assert sale.check_payments() == ()

    assert sale.unknown_payments == ()
    assert sale.tenders == ()
    assert store.payments.payment(unknown.value.payment_id).status is S.FAILED  # type: ignore[arg-type]
    tender = sale.pay("card")
    assert tender.payment_id != unknown.value.payment_id
    sale.complete()
    assert list(sim.captured.values()) == [uah("189.00")]


def test_a_network_error_after_sending_that_the_bank_declined_is_dropped(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator(script=[Step.network_error(then=Outcome.DECLINED)])
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))
    with pytest.raises(PaymentUnknownError) as unknown:
        sale.pay("card")
    assert "connection lost" in str(unknown.value)

    assert sale.check_payments() == ()

    assert sale.tenders == () and sale.unknown_payments == ()
    assert store.payments.payment(unknown.value.payment_id).status is S.DECLINED  # type: ignore[arg-type]
    assert net_captured(sim) == uah("0")
    sale.pay("card")
    sale.complete()
    assert net_captured(sim) == uah("189.00")


def test_a_look_up_while_the_terminal_is_unreachable_keeps_the_payment_unknown(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator(script=[Step.network_error(then=Outcome.APPROVED)])
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))
    with pytest.raises(PaymentUnknownError) as unknown:
        sale.pay("card")
    payment_id = unknown.value.payment_id
    sim.online = False

    with pytest.raises(PaymentUnknownError, match="look-up failed"):
        sale.check_payments()
    assert sale.unknown_payments == (payment_id,)
    assert sale.state is SaleState.OPEN
    assert store.payments.payment(payment_id).status is S.UNKNOWN  # type: ignore[arg-type]
    with pytest.raises(SaleStateError, match="outcome is unknown"):  # lines are locked meanwhile
        sale.add("BREAD")

    # The customer walks away: the sale can still be voided; the money, if it moved,
    # goes back when the terminal answers again (recover()).
    sale.void(approved_by="super")
    assert sale.state is SaleState.VOIDED
    assert net_captured(sim) == uah("189.00")
    sim.online = True
    store.payments.recover()
    assert store.payments.payment(payment_id).status is S.VOIDED  # type: ignore[arg-type]
    assert net_captured(sim) == uah("0")
    assert len(sale_calls(sim)) == 1


# ---- idempotency ----------------------------------------------------------------------------


def _captured_card_payment(open_store: OpenStore) -> tuple[Store, CardTerminalSimulator, Any]:
    sim = CardTerminalSimulator()
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))
    tender = sale.pay("card")
    sale.complete()
    return store, sim, store.payments.payment(tender.payment_id)  # type: ignore[arg-type]


def test_an_idempotency_key_used_again_with_other_parameters_is_refused(
    open_store: OpenStore,
) -> None:
    store, sim, payment = _captured_card_payment(open_store)
    key = f"{payment.id}:refund:test"
    first = PaymentRequest(
        key, Operation.REFUND, uah("50.00"), payment.id, TenderKind.CARD, payment.reference
    )
    store.payments._call(sim, payment, first)
    calls = len(sim.calls)

    for changed in (
        attrs.evolve(first, amount=uah("60.00")),
        attrs.evolve(first, operation=Operation.VOID),
        attrs.evolve(first, reference="someone-else"),
    ):
        with pytest.raises(IdempotencyError, match=key):
            store.payments._call(sim, payment, changed)

    assert len(sim.calls) == calls  # refused before the provider was asked
    assert net_captured(sim) == uah("139.00")


def test_a_refund_repeated_with_its_key_returns_the_first_result_and_moves_no_more_money(
    open_store: OpenStore,
) -> None:
    store, sim, payment = _captured_card_payment(open_store)
    request = PaymentRequest(
        f"{payment.id}:refund:test",
        Operation.REFUND,
        uah("50.00"),
        payment.id,
        TenderKind.CARD,
        payment.reference,
    )

    first = store.payments._call(sim, payment, request)
    again = store.payments._call(sim, payment, request)

    assert first.outcome is Outcome.APPROVED
    assert again == first
    assert net_captured(sim) == uah("139.00")
    refunds = [c for c in sim.calls if c.operation is Operation.REFUND]
    assert len(refunds) == 1  # the repeat is a look-up, not a second refund


def test_a_void_repeated_with_its_key_returns_the_kept_result_without_asking_the_provider(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator()
    store = memory_store(open_store, sim)
    sale = new_sale(till(store))
    tender = sale.pay("card")
    payment_id = tender.payment_id
    assert payment_id is not None
    sale.remove_tender(tender.tender_no)  # voided through the provider
    assert net_captured(sim) == uah("0")
    calls = len(sim.calls)
    voided = store.payments.payment(payment_id)

    request = PaymentRequest(
        f"{payment_id}:void",
        Operation.VOID,
        uah("189.00"),
        payment_id,
        TenderKind.CARD,
        voided.reference,
        sale_id=sale.id,
    )
    result = store.payments._call(sim, voided, request)

    assert result.outcome is Outcome.APPROVED
    assert len(sim.calls) == calls
    assert store.payments.void(payment_id).status is S.VOIDED  # again: nothing happens
    assert len(sim.calls) == calls
    assert net_captured(sim) == uah("0")


# ---- split tenders ------------------------------------------------------------------------

SPLIT_KINDS = ("card", "gift_card", "cash", "voucher", "mobile")
PART = {  # what each tender pays when it is not the last
    "card": "100.00",
    "gift_card": "50.00",
    "cash": "60.00",
    "voucher": "20.00",
    "mobile": "30.00",
}


@pytest.fixture
def split_store(open_store: OpenStore) -> tuple[Store, CardTerminalSimulator]:
    card = CardTerminalSimulator()
    mobile = CardTerminalSimulator(id="sim-mobile", kind=TenderKind.MOBILE)
    store = memory_store(open_store, card, mobile)
    return store, card


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(SPLIT_KINDS))
def test_split_tenders_in_any_order_complete_only_when_covered_with_change_only_from_cash(
    split_store: tuple[Store, CardTerminalSimulator], order: list[str]
) -> None:
    store, _ = split_store
    number = f"GC-{uuid.uuid4().hex[:8]}"
    store.payments.open_account(TenderKind.GIFT_CARD, number, uah("500.00"))
    session = store.register("till-1").session or till(store)
    sale = new_sale(session, *BASKET)

    for i, kind in enumerate(order):
        last = i == len(order) - 1
        reference = number if kind == "gift_card" else ("MEAL-7" if kind == "voucher" else None)
        if not last:
            sale.pay(kind, PART[kind], reference=reference)
            assert not sale.is_paid
            with pytest.raises(SaleStateError):
                sale.complete()
            continue
        if kind != "cash":
            with pytest.raises(TenderError, match="only cash can give change"):
                sale.pay(kind, "1000.00", reference=reference)
        sale.pay(kind, "1000.00" if kind == "cash" else None, reference=reference)

    receipt = sale.complete()
    assert receipt.paid == uah(BASKET_TOTAL)
    assert [t.kind.value for t in receipt.tenders] == list(order)
    for t in receipt.tenders:
        assert t.change == uah("0") or t.kind is TenderKind.CASH
    assert receipt.change == (
        uah("1000.00") - receipt.tenders[-1].amount if order[-1] == "cash" else uah("0")
    )
    assert {t.provider for t in receipt.tenders} >= {"sim-card", "sim-mobile", "gift-card"}


def test_a_later_tender_failing_leaves_the_earlier_ones_recorded_and_voidable(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator(script=[Step.approve(), Step.decline("05", "do not honour")])
    store = memory_store(open_store, sim)
    store.payments.open_account(TenderKind.GIFT_CARD, "GC-1", uah("100.00"))
    sale = new_sale(till(store), *BASKET)
    sale.pay("gift_card", "50.00", reference="GC-1")
    sale.pay("card", "100.00")
    sale.pay("cash", "100.00")

    with pytest.raises(PaymentDeclinedError):
        sale.pay("card")

    assert [t.kind for t in sale.tenders] == [
        TenderKind.GIFT_CARD,
        TenderKind.CARD,
        TenderKind.CASH,
    ]
    assert sale.balance_due == uah("189.00")
    assert net_captured(sim) == uah("100.00")
    taken = [t.payment_id for t in sale.tenders]
    sale.void(reason="customer has no other card", approved_by="super")
    assert net_captured(sim) == uah("0")
    statuses = {p.id: p.status for p in store.payments.all_payments()}
    assert [statuses[pid] for pid in taken] == [S.VOIDED] * 3  # type: ignore[index]
    assert store.payments.balance("GC-1") == uah("100.00")


def test_a_tender_removed_from_the_middle_is_voided_and_the_sale_still_completes(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator()
    store = memory_store(open_store, sim)
    store.payments.open_account(TenderKind.GIFT_CARD, "GC-1", uah("100.00"))
    sale = new_sale(till(store), *BASKET)
    sale.pay("gift_card", "50.00", reference="GC-1")
    card = sale.pay("card", "100.00")
    sale.pay("cash", "100.00")

    sale.remove_tender(card.tender_no)

    assert net_captured(sim) == uah("0")
    assert store.payments.payment(card.payment_id).status is S.VOIDED  # type: ignore[arg-type]
    assert [t.kind for t in sale.tenders] == [TenderKind.GIFT_CARD, TenderKind.CASH]
    sale.pay("card")
    numbers = [t.tender_no for t in sale.tenders]
    assert len(set(numbers)) == len(numbers), f"tender numbers repeat: {numbers}"
    receipt = sale.complete()
    assert [t.kind for t in receipt.tenders] == [
        TenderKind.GIFT_CARD,
        TenderKind.CASH,
        TenderKind.CARD,
    ]
    assert store.payments.balance("GC-1") == uah("50.00")
    assert net_captured(sim) == uah("289.00")


def test_voiding_a_sale_gives_every_payment_back(open_store: OpenStore, durable_url: str) -> None:
    sim = CardTerminalSimulator()
    store = open_store(durable_url, plugins=[sim])
    store.payments.open_account(TenderKind.GIFT_CARD, "GC-1", uah("100.00"))
    sale = new_sale(till(store), *BASKET)
    tenders = [
        sale.pay("card", "200.00"),
        sale.pay("gift_card", "80.00", reference="GC-1"),
        sale.pay("cash", "100.00"),
    ]
    assert net_captured(sim) == uah("200.00")

    sale.void(reason="customer changed their mind", approved_by="super")

    assert sale.state is SaleState.VOIDED
    assert net_captured(sim) == uah("0")
    assert [c.operation for c in sim.calls] == [Operation.SALE, Operation.VOID]
    assert store.payments.balance("GC-1") == uah("100.00")
    kept = {p.id: p for p in store.payments.all_payments()}
    for t in tenders:
        assert kept[t.payment_id].status is S.VOIDED, t.kind  # type: ignore[index]
        assert kept[t.payment_id].sale_id == sale.id  # type: ignore[index]
    assert store.verify_journal().ok


# ---- gift cards and store credit -----------------------------------------------------------


def test_a_gift_card_is_redeemed_when_the_sale_completes(open_store: OpenStore) -> None:
    store = memory_store(open_store)
    store.payments.open_account(TenderKind.GIFT_CARD, "GC-1", uah("250.00"))
    sale = new_sale(till(store))

    tender = sale.pay("gift_card", reference="GC-1")

    assert tender.amount == uah("189.00")
    assert store.payments.balance("GC-1") == uah("250.00")  # moves with the sale, not before
    receipt = sale.complete()
    assert store.payments.balance("GC-1") == uah("61.00")
    assert "GC-1" in receipt.as_text()
    assert store.payments.payment(tender.payment_id).status is S.CAPTURED  # type: ignore[arg-type]


def test_an_empty_short_blocked_or_unknown_gift_card_is_refused(open_store: OpenStore) -> None:
    store = memory_store(open_store)
    store.payments.open_account(TenderKind.GIFT_CARD, "EMPTY", uah("0.00"))
    store.payments.open_account(TenderKind.GIFT_CARD, "SHORT", uah("50.00"))
    store.payments.open_account(TenderKind.GIFT_CARD, "BLOCKED", uah("500.00"))
    store.backend.run(lambda uow: uow.set_account_active("BLOCKED", False))
    sale = new_sale(till(store))

    with pytest.raises(AccountError, match="empty"):
        sale.pay("gift_card", reference="EMPTY")
    with pytest.raises(AccountError, match=r"has 50\.00") as short:
        sale.pay("gift_card", reference="SHORT")
    assert "189.00" in str(short.value)
    with pytest.raises(AccountError, match="blocked"):
        sale.pay("gift_card", reference="BLOCKED")
    with pytest.raises(AccountError, match="NOPE"):
        sale.pay("gift_card", reference="NOPE")

    assert sale.tenders == ()
    sale.pay("gift_card", "50.00", reference="SHORT")  # what it has, the rest otherwise
    sale.pay("cash")
    sale.complete()
    assert store.payments.balance("SHORT") == uah("0.00")
    assert store.payments.balance("BLOCKED") == uah("500.00")


class FailingPlugin:
    """Fails the next completion once, at one of two points of its transaction."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.armed = True

    def _maybe_fail(self, where: str) -> None:
        if self.armed and self.where == where:
            self.armed = False
            raise RuntimeError(f"{where} failed")

    @hookimpl
    def possdk_receipt_extra_lines(self, receipt: Any) -> list[str]:
        self._maybe_fail("receipt")
        return []

    @hookimpl
    def possdk_journal_sign(self, entry: Any) -> str | None:
        if entry.type == "SaleCompleted":
            self._maybe_fail("journal")
        return None


@pytest.mark.parametrize("where", ["receipt", "journal"])
def test_a_gift_card_redemption_is_undone_with_a_sale_that_fails_to_complete(
    open_store: OpenStore, where: str
) -> None:
    plugin = FailingPlugin(where)
    store = memory_store(open_store, plugin)
    store.payments.open_account(TenderKind.GIFT_CARD, "GC-1", uah("200.00"))
    sale = new_sale(till(store))
    sale.pay("gift_card", reference="GC-1")

    with pytest.raises(PluginError):
        sale.complete()

    assert sale.state is SaleState.TENDERING
    assert store.payments.balance("GC-1") == uah("200.00")
    assert store.receipts() == ()
    sale.complete()
    assert store.payments.balance("GC-1") == uah("11.00")  # debited once


def test_two_tills_spending_the_same_gift_card_at_once_only_one_completes(
    open_store: OpenStore, durable_url: str
) -> None:
    first = open_store(durable_url)
    second = open_store(durable_url, new=False)
    first.payments.open_account(TenderKind.GIFT_CARD, "GC-1", uah("189.00"))
    sales = [new_sale(till(first, "till-1")), new_sale(till(second, "till-2"))]
    for sale in sales:
        sale.pay("gift_card", reference="GC-1")  # both see enough on the card
    start = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def complete(i: int) -> None:
        try:
            start.wait(timeout=30)
            outcomes[i] = sales[i].complete()
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=complete, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    errors = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert len(outcomes) == 2 and len(errors) == 1, outcomes
    assert isinstance(errors[0], AccountError), repr(errors[0])
    assert "GC-1" in str(errors[0])
    states = sorted(s.state.value for s in sales)
    assert states == ["completed", "tendering"]
    assert first.payments.balance("GC-1") == uah("0.00")
    assert len(first.receipts()) == 1


def test_a_refund_to_the_gift_card_that_paid_credits_it(open_store: OpenStore) -> None:
    store = memory_store(open_store)
    store.payments.open_account(TenderKind.GIFT_CARD, "GC-1", uah("300.00"))
    session = till(store)
    sale = new_sale(session, *BASKET)
    sale.pay("gift_card", "200.00", reference="GC-1")
    sale.pay("cash")
    receipt = sale.complete()
    assert store.payments.balance("GC-1") == uah("100.00")

    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)  # the coffee, 189.00
    refunds = ret.refund()

    assert [(t.kind, t.amount) for t in refunds] == [(TenderKind.GIFT_CARD, uah("-189.00"))]
    assert store.payments.balance("GC-1") == uah("100.00")  # credited when the return completes
    ret.complete()
    assert store.payments.balance("GC-1") == uah("289.00")
    payment = store.payments.payment(refunds[0].payment_id)  # type: ignore[arg-type]
    assert (payment.status, payment.refunded) == (S.PARTIALLY_REFUNDED, uah("189.00"))


# ---- refunds ----------------------------------------------------------------------------------


def test_a_refund_goes_back_to_the_card_partly_then_fully(open_store: OpenStore) -> None:
    sim = CardTerminalSimulator()
    store = memory_store(open_store, sim)
    session = till(store)
    sale = new_sale(session, *BASKET)
    payment_id = sale.pay("card").payment_id
    assert payment_id is not None
    receipt = sale.complete()

    first = session.new_return(receipt, approved_by="super")
    first.return_line(1)  # 189.00
    assert [(t.kind, t.amount) for t in first.refund()] == [(TenderKind.CARD, uah("-189.00"))]
    first.complete()
    payment = store.payments.payment(payment_id)
    assert (payment.status, payment.refunded) == (S.PARTIALLY_REFUNDED, uah("189.00"))
    assert net_captured(sim) == uah("250.00")

    second = session.new_return(receipt, approved_by="super")
    second.return_line(2)  # 250.00
    second.refund()
    second.complete()
    payment = store.payments.payment(payment_id)
    assert (payment.status, payment.refunded) == (S.REFUNDED, uah(BASKET_TOTAL))
    assert net_captured(sim) == uah("0")
    assert [c.operation for c in sim.calls] == [Operation.SALE, Operation.REFUND, Operation.REFUND]


def test_no_tender_gives_back_more_than_it_captured(open_store: OpenStore) -> None:
    sim = CardTerminalSimulator()
    store = memory_store(open_store, sim)
    session = till(store)
    sale = new_sale(session, *BASKET)
    card = sale.pay("card", "200.00")
    sale.pay("cash")
    receipt = sale.complete()

    book = session.new_return(receipt, approved_by="super")
    book.return_line(2)  # 250.00, more than the card paid
    with pytest.raises(RefundError, match=r"50\.00"):
        book.refund("card")  # all or nothing: the card can take only 200.00 of it
    assert book.tenders == ()
    book.refund("card", "200.00")
    assert sum((t.amount for t in book.tenders), uah("0")) == uah("-200.00")
    book.refund("cash")
    book.complete()

    coffee = session.new_return(receipt, approved_by="super")
    coffee.return_line(1)
    with pytest.raises(RefundError):
        coffee.refund("card")  # the card has nothing left
    assert coffee.tenders == ()
    with pytest.raises(RefundError):
        store.payments.refund(card.payment_id, uah("0.01"), sale_id=coffee.id)  # type: ignore[arg-type]
    coffee.refund()
    assert [t.kind for t in coffee.tenders] == [TenderKind.CASH]
    coffee.complete()

    payment = store.payments.payment(card.payment_id)  # type: ignore[arg-type]
    assert (payment.status, payment.captured, payment.refunded) == (
        S.REFUNDED,
        uah("200.00"),
        uah("200.00"),
    )
    assert net_captured(sim) == uah("0")


def test_a_card_refund_of_a_return_that_cannot_be_kept_is_not_left_paid_out(
    open_store: OpenStore, durable_url: str
) -> None:
    """Two tills take back the same coffee: the store keeps only one return, so only one
    refund of it may leave the shop."""
    sim = CardTerminalSimulator()
    first = open_store(durable_url, plugins=[sim])
    second = open_store(durable_url, new=False, plugins=[sim])
    session = till(first, "till-1")
    sale = new_sale(session, *BASKET)
    sale.pay("card")
    receipt = sale.complete()
    here = session.new_return(receipt, approved_by="super")
    there = till(second, "till-2").new_return(second.receipt(receipt.number), approved_by="super")
    for ret in (here, there):
        ret.return_line(1)  # the coffee, 189.00
        ret.refund()

    here.complete()
    with pytest.raises(ReturnError):
        there.complete()  # the coffee came back at the other till meanwhile

    assert net_captured(sim) == uah("250.00"), (
        f"the card got {uah(BASKET_TOTAL) - net_captured(sim)} back for one 189.00 coffee"
    )


def test_a_split_tender_refund_goes_to_non_cash_tenders_latest_first_then_cash(
    open_store: OpenStore,
) -> None:
    card = CardTerminalSimulator()
    mobile = CardTerminalSimulator(id="sim-mobile", kind=TenderKind.MOBILE)
    store = memory_store(open_store, card, mobile)
    store.payments.open_account(TenderKind.GIFT_CARD, "GC-1", uah("100.00"))
    session = till(store)
    sale = new_sale(session, *BASKET)
    sale.pay("cash", "100.00")
    sale.pay("gift_card", "50.00", reference="GC-1")
    sale.pay("card", "150.00")
    sale.pay("mobile", "139.00")  # the latest
    receipt = sale.complete()

    coffee = session.new_return(receipt, approved_by="super")
    coffee.return_line(1)  # 189.00: the mobile payment (139), then the card (50)
    assert [(t.kind, t.amount) for t in coffee.refund()] == [
        (TenderKind.MOBILE, uah("-139.00")),
        (TenderKind.CARD, uah("-50.00")),
    ]
    coffee.complete()

    book = session.new_return(receipt, approved_by="super")
    book.return_line(2)  # 250.00: the card's other 100, the gift card, then cash
    assert [(t.kind, t.amount) for t in book.refund()] == [
        (TenderKind.CARD, uah("-100.00")),
        (TenderKind.GIFT_CARD, uah("-50.00")),
        (TenderKind.CASH, uah("-100.00")),
    ]
    book.complete()

    assert net_captured(card) == uah("0") and net_captured(mobile) == uah("0")
    assert store.payments.balance("GC-1") == uah("100.00")
    by_kind = {p.kind: p for p in store.payments.all_payments() if p.sale_id == receipt.sale_id}
    assert by_kind[TenderKind.CASH].status is S.CAPTURED  # cash went back from the drawer
    for kind in (TenderKind.CARD, TenderKind.MOBILE, TenderKind.GIFT_CARD):
        assert by_kind[kind].status is S.REFUNDED, kind
        assert by_kind[kind].refunded == by_kind[kind].captured


def test_a_refund_goes_to_store_credit_when_the_original_tender_cannot_refund(
    open_store: OpenStore,
) -> None:
    store = memory_store(open_store)
    store.payments.open_account(TenderKind.STORE_CREDIT, "SC-1", uah("5.00"))
    session = till(store)
    sale = new_sale(session, "BREAD")
    sale.pay("voucher", reference="MEAL-7")
    receipt = sale.complete()
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)

    # A meal voucher takes no refunds: the money goes to store credit instead.
    refunds = ret.refund("store_credit", reference="SC-1")

    assert [(t.kind, t.amount) for t in refunds] == [(TenderKind.STORE_CREDIT, uah("-32.50"))]
    ret.complete()
    assert store.payments.balance("SC-1") == uah("37.50")


def test_a_refund_to_a_new_empty_store_credit_account_credits_it(open_store: OpenStore) -> None:
    """Store credit usually starts at zero: a refund is what puts money on it."""
    store = memory_store(open_store)
    store.payments.open_account(TenderKind.STORE_CREDIT, "SC-NEW", uah("0.00"))
    session = till(store)
    sale = new_sale(session, "BREAD")
    sale.pay("voucher", reference="MEAL-7")
    receipt = sale.complete()
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)

    ret.refund("store_credit", reference="SC-NEW")
    ret.complete()

    assert store.payments.balance("SC-NEW") == uah("32.50")


def test_refunds_go_only_to_the_tender_kinds_the_merchant_allows(open_store: OpenStore) -> None:
    settings_ = attrs.evolve(shop_settings(), refund_kinds=frozenset({TenderKind.CASH}))
    store = memory_store(open_store, settings=settings_)
    store.payments.open_account(TenderKind.STORE_CREDIT, "SC-1", uah("5.00"))
    session = till(store)
    sale = new_sale(session, "BREAD")
    sale.pay("cash")
    receipt = sale.complete()
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)

    with pytest.raises(RefundError, match="store_credit refunds are not allowed"):
        ret.refund("store_credit", reference="SC-1")
    assert ret.tenders == ()
    ret.refund("cash")
    ret.complete()
    assert store.payments.balance("SC-1") == uah("5.00")


def test_a_return_cannot_pay_out_to_a_card_it_did_not_take_when_card_refunds_are_not_allowed(
    open_store: OpenStore,
) -> None:
    """pay() on a return pays money out: it must obey refund_kinds like refund() does, and
    must never send the card terminal a *sale* of a negative amount."""
    sim = CardTerminalSimulator()
    settings_ = attrs.evolve(shop_settings(), refund_kinds=frozenset({TenderKind.CASH}))
    store = memory_store(open_store, sim, settings=settings_)
    session = till(store)
    sale = new_sale(session, "BREAD")
    sale.pay("cash")
    receipt = sale.complete()
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)

    with pytest.raises(RefundError):
        ret.pay("card")

    assert [c for c in sim.calls if c.amount.amount < 0] == []
    assert ret.tenders == ()


# ---- what is kept -----------------------------------------------------------------------------


class WatchedTerminal:
    """A card terminal that, as each call arrives, reads the database through its own
    connection: the call's idempotency key and its payment must already be there."""

    id = "watched-terminal"
    kinds = frozenset({TenderKind.CARD})

    def __init__(self, sim: CardTerminalSimulator, url: str) -> None:
        self.sim = sim
        self.url = url
        self.capabilities = sim.capabilities
        self.seen: list[tuple[str, str, tuple[Any, ...] | None]] = []

    @hookimpl
    def possdk_payment_providers(self, store: Any) -> list[Any]:
        return [self]

    def call(self, request: PaymentRequest) -> ProviderResult:
        with raw_db(self.url) as engine, engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT a.operation, a.fingerprint, a.result, p.status FROM payment_attempts a "
                    "JOIN payments p ON p.id = a.payment_id WHERE a.key = :key"
                ),
                {"key": request.idempotency_key},
            ).first()
        self.seen.append(
            (request.operation.value, request.idempotency_key, None if row is None else tuple(row))
        )
        return self.sim.call(request)

    def status(self, idempotency_key: str) -> ProviderResult:
        return self.sim.status(idempotency_key)


def test_the_idempotency_key_is_kept_before_the_terminal_is_called(
    open_store: OpenStore, durable_url: str
) -> None:
    sim = CardTerminalSimulator(id="watched-terminal")
    terminal = WatchedTerminal(sim, durable_url)
    store = open_store(durable_url, plugins=[terminal])
    session = till(store)
    sale = new_sale(session, *BASKET)
    sale.pay("card", "100.00")
    voided = sale.pay("card", "39.00")
    sale.remove_tender(voided.tender_no)
    sale.pay("card")
    receipt = sale.complete()
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)
    ret.refund()
    ret.complete()

    operations = [op for op, _, _ in terminal.seen]
    assert operations == ["sale", "sale", "void", "sale", "refund"]
    for operation, key, row in terminal.seen:
        assert row is not None, f"{operation} {key} was called before its key was kept"
        kept_operation, fingerprint, result, status = row
        assert kept_operation == operation
        assert fingerprint.startswith(operation)
        assert result is None  # the answer comes after the call
        assert status in ("pending", "captured", "partially_refunded")
    with raw_db(durable_url) as engine, engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT key, result FROM payment_attempts")).all()
    kept = {str(key): result for key, result in rows}
    assert set(kept) == {key for _, key, _ in terminal.seen}
    for operation, key, _ in terminal.seen:
        if operation in ("void", "refund"):  # the answer is kept with the key it was asked with
            assert kept[key] is not None, key


def test_every_completed_sales_payments_are_kept_with_it_after_a_reopen(
    open_store: OpenStore, durable_url: str
) -> None:
    sim = CardTerminalSimulator(script=[Step.decline("05"), Step.partial(uah("100.00"))])
    store = open_store(durable_url, plugins=[sim])
    store.payments.open_account(TenderKind.GIFT_CARD, "GC-1", uah("100.00"))
    session = till(store)
    expected: dict[uuid.UUID, list[tuple[TenderKind, Money]]] = {}
    declined_id = None

    sale = new_sale(session, *BASKET)
    with pytest.raises(PaymentDeclinedError) as declined:
        sale.pay("card")
    declined_id = declined.value.payment_id
    sale.pay("card")  # partial: 100.00
    sale.pay("gift_card", "39.00", reference="GC-1")
    sale.pay("voucher", "100.00", reference="MEAL-7")
    sale.pay("cash", "500.00")
    receipts = [sale.complete()]
    for skus in (("BREAD",), ("MILK", "GUM")):
        sale = new_sale(session, *skus)
        sale.pay("card")
        receipts.append(sale.complete())
    for receipt in receipts:
        expected[receipt.sale_id] = [(t.kind, t.amount) for t in receipt.tenders]
    store.close()

    reopened = open_store(durable_url, new=False, plugins=[CardTerminalSimulator()])
    payments = reopened.payments.all_payments()
    by_id = {p.id: p for p in payments}
    for receipt in receipts:
        kept = reopened.receipt(receipt.number)
        for tender in kept.tenders:
            assert tender.payment_id is not None
            payment = by_id[tender.payment_id]
            assert payment.sale_id == receipt.sale_id
            assert payment.status is S.CAPTURED
            assert (payment.kind, payment.captured) == (tender.kind, tender.amount)
        kept_here = [(p.kind, p.captured) for p in payments if p.sale_id == receipt.sale_id]
        assert Counter(kept_here) == Counter(expected[receipt.sale_id]) + (
            Counter({(TenderKind.CARD, uah("0.00")): 1}) if receipt is receipts[0] else Counter()
        )
    assert by_id[declined_id].status is S.DECLINED  # type: ignore[index]
    assert by_id[declined_id].decline_code == "05"  # type: ignore[index]
    with raw_db(durable_url) as engine, engine.connect() as conn:
        keys = [str(k) for (k,) in conn.execute(sa.text("SELECT key FROM payment_attempts"))]
    card_ids = {p.id for p in payments if p.provider == "sim-card"}
    assert {f"{pid}:sale" for pid in card_ids} == set(keys)
    assert reopened.verify_journal().ok


# ---- recovery ----------------------------------------------------------------------------------


def test_recover_gives_back_money_taken_for_sales_a_dead_till_never_completed(
    open_store: OpenStore, durable_url: str, tmp_path: Path
) -> None:
    bank = tmp_path / "bank.jsonl"
    sim = CardTerminalSimulator(
        bank_path=bank,
        script=[Step.approve(), Step.approve(), Step.timeout(then=Outcome.APPROVED)],
    )
    store = open_store(durable_url, plugins=[sim])
    session = till(store)
    done = new_sale(session, "BOOK")
    done.pay("card")
    done.complete()
    taken = new_sale(session, "COFFEE")
    taken.pay("card")  # approved, but the till dies before the sale completes
    unknown = new_sale(session, "BREAD")
    with pytest.raises(PaymentUnknownError):
        unknown.pay("card")  # no answer, and the till dies
    assert net_captured(sim) == uah("471.50")
    store.close()

    restarted = CardTerminalSimulator(bank_path=bank)
    reopened = open_store(durable_url, new=False, plugins=[restarted])
    changed = reopened.payments.recover()

    assert {p.sale_id for p in changed} == {taken.id, unknown.id}
    assert all(p.status is S.VOIDED for p in changed)
    assert net_captured(restarted) == uah("250.00")  # only the completed sale's money
    statuses = Counter(p.status for p in reopened.payments.all_payments())
    assert statuses == Counter({S.CAPTURED: 1, S.VOIDED: 2})
    assert reopened.payments.recover() == []  # nothing left to do
    assert net_captured(CardTerminalSimulator(bank_path=bank)) == uah("250.00")  # the bank's books
