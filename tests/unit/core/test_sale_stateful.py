"""A hypothesis state machine drives a sale through random valid and invalid operations.

After every step the sale's invariants must hold, and an operation that was
refused must have changed nothing.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from possdk import Money, SaleState, TenderKind
from possdk.errors import PossdkError
from tests.conftest import make_store

SKUS = ["COFFEE", "BREAD", "MILK", "BANANA", "CIGS", "GUM", "BOOK"]
CODES = [
    "4820000000017",
    "4820000000024",
    "4820000000018",
    "2100123013473",
    "2200456187330",
    "abc",
    "",
    "9780306406157",
]
APPROVERS = [None, "super"]


def snapshot(sale):  # type: ignore[no-untyped-def]
    return (sale.state, sale.lines, sale.tenders, sale.sale_discounts, sale.total)


class SaleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = make_store()
        self.session = self.store.register("till-1").open_session(
            operator="cashier", opening_float="100"
        )
        self.sale = self.session.new_sale()
        self.refused = 0

    def attempt(self, action):  # type: ignore[no-untyped-def]
        before = snapshot(self.sale)
        try:
            action()
        except PossdkError:
            self.refused += 1
            assert snapshot(self.sale) == before, "a refused operation changed the sale"

    @rule(sku=st.sampled_from(SKUS), qty=st.sampled_from(["1", "2", "0.5", "1.25", "0", "-1"]))
    def add(self, sku, qty):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.add(sku, qty))

    @rule(code=st.sampled_from(CODES))
    def scan(self, code):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.scan(code))

    @rule(
        line=st.integers(1, 6),
        qty=st.sampled_from(["1", "3", "0"]),
        approver=st.sampled_from(APPROVERS),
    )
    def set_quantity(self, line, qty, approver):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.set_quantity(line, qty, approved_by=approver))

    @rule(line=st.integers(1, 6), approver=st.sampled_from(APPROVERS))
    def void_line(self, line, approver):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.void_line(line, approved_by=approver))

    @rule(
        line=st.integers(1, 6),
        price=st.sampled_from(["0", "9.99", "150"]),
        approver=st.sampled_from(APPROVERS),
    )
    def override(self, line, price, approver):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.override_price(line, price, approved_by=approver))

    @rule(
        line=st.integers(1, 6),
        pct=st.sampled_from(["0", "3", "5", "50", "100", "120"]),
        approver=st.sampled_from(APPROVERS),
    )
    def discount_line(self, line, pct, approver):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.discount_line(line, percent=pct, approved_by=approver))

    @rule(
        amount=st.sampled_from(["1.00", "10.00", "0.01", "1000.00"]),
        approver=st.sampled_from(APPROVERS),
    )
    def discount_sale(self, amount, approver):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.discount_sale(amount=amount, approved_by=approver))

    @rule(
        kind=st.sampled_from(list(TenderKind)),
        amount=st.none() | st.sampled_from(["0", "0.05", "10", "100", "1000", "-5"]),
    )
    def pay(self, kind, amount):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.pay(kind, amount))

    @rule(n=st.integers(1, 3))
    def remove_tender(self, n):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.remove_tender(n))

    @rule()
    def suspend_and_resume(self):  # type: ignore[no-untyped-def]
        if self.sale.state is SaleState.OPEN and self.sale.active_lines:
            before = (self.sale.lines, self.sale.sale_discounts, self.sale.total)
            self.session.suspend(self.sale)
            assert self.sale.state is SaleState.SUSPENDED
            self.sale = self.session.resume(self.sale.id)  # brought back from the store
            assert self.sale.state is SaleState.OPEN
            assert (self.sale.lines, self.sale.sale_discounts, self.sale.total) == before
        else:
            self.attempt(self.sale.suspend)

    @rule(approver=st.sampled_from(APPROVERS))
    def void(self, approver):  # type: ignore[no-untyped-def]
        self.attempt(lambda: self.sale.void(approved_by=approver))

    @rule()
    def complete(self):  # type: ignore[no-untyped-def]
        self.attempt(self.sale.complete)

    @rule(kind=st.sampled_from([TenderKind.CASH, TenderKind.CARD]))
    def settle_and_complete(self, kind):  # type: ignore[no-untyped-def]
        # The common path at a real till: pay the balance and finish.
        if self.sale.state in (SaleState.OPEN, SaleState.TENDERING) and self.sale.active_lines:
            if self.sale.balance_due.amount > 0:
                self.sale.pay(kind)
            if self.sale.is_paid:
                receipt = self.sale.complete()
                assert receipt.number and self.sale.state is SaleState.COMPLETED
        else:
            self.attempt(self.sale.complete)

    @precondition(lambda self: self.sale.state in (SaleState.COMPLETED, SaleState.VOIDED))
    @rule()
    def next_sale(self):  # type: ignore[no-untyped-def]
        self.sale = self.session.new_sale()

    @invariant()
    def totals_add_up(self):  # type: ignore[no-untyped-def]
        t = self.sale.totals
        assert t.net + t.tax == t.total
        assert t.subtotal - t.discount == t.total  # prices include tax
        assert t.total.amount >= 0 and t.discount.amount >= 0
        for p in t.lines:
            assert p.amount >= 0 and p.net + p.tax == p.gross
        assert [p.line for p in t.lines] == list(self.sale.active_lines)

    @invariant()
    def tenders_add_up(self):  # type: ignore[no-untyped-def]
        sale = self.sale
        zero = Money.zero("UAH")
        assert sale.balance_due == sale.total + sale.cash_rounding - sale.paid
        for t in sale.tenders:
            assert t.change.amount >= 0
            if t.kind is not TenderKind.CASH:
                assert t.change == zero and t.rounding == zero
            assert abs(t.rounding.amount) < Decimal("0.05") + Decimal("0.001")
        if sale.state is SaleState.COMPLETED:
            receipt = sale.receipt
            assert receipt is not None and sale.balance_due == zero
            assert receipt.total + receipt.cash_rounding == receipt.paid
        if sale.state is SaleState.OPEN:
            assert sale.tenders == ()
        if sale.state is SaleState.TENDERING:
            assert sale.tenders != ()

    @invariant()
    def session_counts_match(self):  # type: ignore[no-untyped-def]
        x = self.session.x_report()
        receipts = self.store.receipts()
        assert x.sale_count == len(receipts)
        assert x.sales == sum((r.total for r in receipts), Money.zero("UAH"))
        assert x.expected_cash == (
            x.opening_float + x.cash_sales - x.cash_refunds + x.paid_in - x.paid_out
        )


SaleMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
TestSaleMachine = SaleMachine.TestCase


def test_the_machine_reaches_every_state():
    # Guard against a machine that only ever gets refused: drive it and count.
    reached: set[SaleState] = set()

    class Probe(SaleMachine):
        @invariant()
        def note(self):  # type: ignore[no-untyped-def]
            reached.add(self.sale.state)

    Probe.TestCase.settings = settings(
        max_examples=150, stateful_step_count=40, deadline=None, derandomize=True
    )
    Probe.TestCase("runTest").runTest()
    assert {SaleState.OPEN, SaleState.TENDERING, SaleState.COMPLETED, SaleState.VOIDED} <= reached
