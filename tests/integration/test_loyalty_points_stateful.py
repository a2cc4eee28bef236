"""The points ledger under random sequences of earning, burning, returning and expiring.

A Hypothesis state machine drives one store with two customers (one of them
never below zero, the programme's default) through sales with or without a
customer, paid partly in points or not, partial and full returns of earlier
receipts (refunded to their original tenders, points first), manual
adjustments of either sign, expiry runs, and a programme change that allows
negative balances. Alongside, a model keeps each customer's expected balance
from what the operations returned; after every step:

- each cached balance equals the sum of the customer's ledger and the model;
- ``check()`` finds the cache and the ledger in agreement;
- no balance is below zero while negative balances are not allowed;
- for every original line, the points taken back (and waived) by its returns
  never exceed what it earned, and equal it exactly once it is fully returned;
- for every points tender, the points given back never exceed those burnt,
  and equal them exactly once the tender is fully refunded.

CI runs it on an in-memory store, and briefly on a SQLite file and PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from possdk import FixedClock, Receipt, Store
from possdk.loyalty._loyalty_model import (
    InsufficientPointsError,
    LoyaltyProgramme,
    PointsKind,
)
from possdk.payments._model import PaymentStatus
from tests.conftest import CASHIER, START, SUPERVISOR
from tests.integration.conftest import shop_settings
from tests.integration.test_loyalty_points import shop_catalog

SOAK = os.environ.get("POSSDK_SOAK") == "1"
SKUS = ("COFFEE", "BREAD", "MILK", "CIGS")
PROGRAMME = LoyaltyProgramme(
    category_multipliers={"coffee": Decimal("2")},
    excluded_categories={"tobacco"},
    point_value=Decimal("0.10"),
    min_redemption=5,
    expiry_months=3,
)

UrlFactory = Callable[[], tuple[str, Callable[[], None]]]


class PointsMachine(RuleBasedStateMachine):
    make_url: UrlFactory

    def __init__(self) -> None:
        super().__init__()
        url, self._cleanup = self.make_url()
        self.clock = FixedClock(START, step=timedelta(seconds=1))
        self.store = Store.open(
            url,
            settings=shop_settings(),
            catalog=shop_catalog(),
            operators=[CASHIER, SUPERVISOR],
            clock=self.clock,
            load_entry_points=False,
        )
        self.store.loyalty.points.configure(PROGRAMME)
        self.allow_negative = False
        customers = self.store.loyalty.customers
        self.customers = [
            customers.add("Olha", phone="0671111111"),
            customers.add("Taras", phone="0672222222"),
        ]
        self.model = {c.id: 0 for c in self.customers}
        self.session = self.store.register("till-1").open_session(
            operator="cashier", opening_float="500.00"
        )
        self.receipts: list[Receipt] = []

    def teardown(self) -> None:
        self.store.close()
        self._cleanup()

    # ---- helpers ------------------------------------------------------------------

    def booked(self, kinds: set[PointsKind] | None = None) -> dict[str, int]:
        moves = self.store.loyalty.points.movements()
        out = {c.id: 0 for c in self.customers}
        for m in moves:
            if kinds is None or m.kind in kinds:
                out[m.customer_id] += m.points
        return out

    def apply_delta(self, before: dict[str, int]) -> None:
        after = self.booked()
        for cid in self.model:
            self.model[cid] += after[cid] - before[cid]

    # ---- rules --------------------------------------------------------------------

    @rule(
        lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1, max_size=3),
        who=st.sampled_from([None, 0, 1]),
        points_share=st.sampled_from([None, Decimal("0.25"), Decimal("0.5"), Decimal(1)]),
    )
    def sell(
        self, lines: list[tuple[str, int]], who: int | None, points_share: Decimal | None
    ) -> None:
        sale = self.session.new_sale()
        for sku, qty in lines:
            sale.add(sku, qty)
        if who is not None:
            self.store.loyalty.identify(sale, self.customers[who].phone or "")
        before = self.booked()
        burnt = 0
        if who is not None and points_share is not None:
            balance = self.store.loyalty.points.balance(self.customers[who].id)
            wanted = int(sale.total.amount * points_share * 10)  # points at 0.10
            points = min(wanted, balance)
            if points >= PROGRAMME.min_redemption:
                sale.pay("points", PROGRAMME.value_of(points))
                burnt = points
        if sale.balance_due.amount > 0:
            sale.pay("cash", "10000")
        receipt = sale.complete()
        self.receipts.append(receipt)
        self.apply_delta(before)
        booked = self.store.loyalty.points.movements(sale_id=receipt.sale_id)
        assert sum(m.points for m in booked if m.kind is PointsKind.BURN) == -burnt
        earned = [m for m in booked if m.kind is PointsKind.EARN]
        assert all(m.points > 0 for m in earned)
        if who is None:
            assert not earned

    @precondition(lambda self: self.receipts)
    @rule(data=st.data())
    def give_back(self, data: st.DataObject) -> None:
        receipt = data.draw(st.sampled_from(self.receipts))
        left = {
            p.line.line_no: p.line.quantity
            - self.store.returned_quantities(receipt.sale_id).get(p.line.line_no, Decimal(0))
            for p in receipt.lines
        }
        open_lines = [n for n, q in left.items() if q > 0]
        if not open_lines:
            return
        chosen = data.draw(st.lists(st.sampled_from(open_lines), min_size=1, unique=True))
        ret = self.session.new_return(receipt, approved_by="super")
        for n in chosen:
            qty = data.draw(st.integers(1, int(left[n])))
            ret.return_line(n, qty)
        ret.refund()
        before = self.booked()
        ret.complete()
        self.apply_delta(before)

    @rule(who=st.sampled_from([0, 1]), points=st.integers(-60, 200).filter(bool))
    def adjust(self, who: int, points: int) -> None:
        cid = self.customers[who].id
        before = self.booked()
        try:
            self.store.loyalty.points.adjust(cid, points, "stateful")
        except InsufficientPointsError:
            assert not self.allow_negative
            assert self.model[cid] + points < 0
            return
        self.apply_delta(before)
        assert self.booked()[cid] - before[cid] == points

    @rule(days=st.integers(1, 60))
    def time_passes_and_points_expire(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))
        before = self.booked()
        self.store.loyalty.points.expire()
        self.apply_delta(before)
        again = self.booked()
        assert self.store.loyalty.points.expire() == ()  # idempotent
        assert self.booked() == again

    @precondition(lambda self: not self.allow_negative)
    @rule()
    def allow_negative_balances(self) -> None:
        self.store.loyalty.points.configure(attrs.evolve(PROGRAMME, allow_negative=True))
        self.allow_negative = True

    # ---- invariants ------------------------------------------------------------------

    @invariant()
    def balances_equal_ledger_and_model(self) -> None:
        ledger = self.booked()
        for c in self.customers:
            balance = self.store.loyalty.points.balance(c.id)
            assert balance == ledger[c.id] == self.model[c.id]
            if not self.allow_negative:
                assert balance >= 0
        assert self.store.loyalty.points.check().ok

    @invariant()
    def returns_reverse_exactly_what_was_earned_and_burnt(self) -> None:
        moves = self.store.loyalty.points.movements()
        earned = {(m.sale_id, m.line_no): m.points for m in moves if m.kind is PointsKind.EARN}
        reversed_: dict[tuple[Any, Any], int] = {}
        for m in moves:
            if m.kind is PointsKind.RETURN_EARN:
                key = (m.of_sale_id, m.of_line_no)
                reversed_[key] = reversed_.get(key, 0) - m.points + m.waived
        for r in self.receipts:
            returned = self.store.returned_quantities(r.sale_id)
            for p in r.lines:
                key = (r.sale_id, p.line.line_no)
                got, back = earned.get(key, 0), reversed_.get(key, 0)
                assert 0 <= back <= got
                if returned.get(p.line.line_no, Decimal(0)) == p.line.quantity:
                    assert back == got
        burnt: dict[str, int] = {}
        given: dict[str, int] = {}
        for m in moves:
            if m.kind is PointsKind.BURN:
                burnt[m.reference] = burnt.get(m.reference, 0) - m.points
            elif m.kind is PointsKind.RETURN_BURN:
                given[m.reference] = given.get(m.reference, 0) + m.points
        for ref, points in burnt.items():
            assert 0 <= given.get(ref, 0) <= points
            payment = self.store.payments.payment(uuid.UUID(ref))
            if payment.status is PaymentStatus.REFUNDED:
                assert given.get(ref, 0) == points


def in_memory() -> tuple[str, Callable[[], None]]:
    return "sqlite://", lambda: None


def sqlite_files() -> tuple[str, Callable[[], None]]:
    folder = tempfile.mkdtemp(prefix="possdk-points-")
    return f"sqlite:///{folder}/shop.db", lambda: shutil.rmtree(folder, ignore_errors=True)


BUDGET = {"memory": (60, 25), "sqlite": (8, 15), "postgresql": (5, 15)}


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgresql"])
def test_points_ledger_agrees_with_the_model(backend: str, request: pytest.FixtureRequest) -> None:
    factory: UrlFactory
    if backend == "memory":
        factory = in_memory
    elif backend == "sqlite":
        factory = sqlite_files
    else:
        server = request.getfixturevalue("postgresql_server")

        def factory() -> tuple[str, Callable[[], None]]:
            return server.create_database(), lambda: None

    machine = type(
        f"PointsOn{backend.title()}", (PointsMachine,), {"make_url": staticmethod(factory)}
    )
    examples, steps = BUDGET[backend]
    if SOAK:
        examples *= 20
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
