"""Register sessions: float, paid in/out, no-sale, X and Z reports, the count."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from possdk import Money, TenderKind, hookimpl
from possdk.core import CashMoved, DrawerOpened, RegisterSessionClosed, SessionState
from possdk.errors import (
    MoneyError,
    PermissionDeniedError,
    RegisterError,
    RegisterSessionStateError,
    SaleStateError,
)
from tests.conftest import make_store


def uah(v: str) -> Money:
    return Money(v, "UAH")


def sell(session, sku="BREAD", qty=1, kind=TenderKind.CASH, given=None):  # type: ignore[no-untyped-def]
    sale = session.new_sale()
    sale.add(sku, qty)
    sale.pay(kind, given)
    return sale.complete()


def test_a_day_adds_up(store, session):
    events = []

    class Spy:
        @hookimpl
        def possdk_event(self, event):  # type: ignore[no-untyped-def]
            events.append(event)

    store.plugins.register(Spy())
    sell(session, "GUM", 3, given="50")  # 24.03 -> 24.00 cash
    sell(session, "COFFEE", 1, TenderKind.CARD)  # 189.00 card
    receipt = sell(session, "BREAD", 2)  # 65.00 cash
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1, 1)
    ret.refund("cash")
    ret.complete()  # -32.50 cash
    session.paid_in("100.00", reason="change from the bank")
    session.paid_out("40.00", reason="window cleaner")
    session.open_drawer(reason="check a note", approved_by="super")
    x = session.x_report()
    assert (x.sale_count, x.return_count, x.number, x.is_final) == (3, 1, None, False)
    assert x.sales == uah("278.03") and x.returns == uah("32.50")
    assert x.net_sales == uah("245.53")
    assert x.cash_sales == uah("89.00") and x.cash_refunds == uah("32.50")
    assert x.cash_rounding == uah("-0.03")
    assert x.expected_cash == uah("616.50")  # 500 + 89 - 32.50 + 100 - 40
    cash = next(t for t in x.tenders if t.kind is TenderKind.CASH)
    assert (cash.count, cash.amount) == (3, uah("56.50"))
    assert x.no_sale_count == 1 and x.approval_count == 2
    assert sum((row.tax for row in x.tax_breakdown), uah("0")) == sum(
        (r.totals.tax for r in store.receipts()), uah("0")
    )
    z = session.close(counted_cash="615.00")
    assert z.is_final and z.number == 1 and z.variance == uah("-1.50")
    assert session.state is SessionState.CLOSED and session.z_report == z
    kinds = {type(e) for e in events}
    assert {CashMoved, DrawerOpened, RegisterSessionClosed} <= kinds
    text = z.as_text(width=42, locale="en_US")
    assert "Z REPORT No.1" in text and "-1.50" in text


def test_x_report_changes_nothing_and_z_only_once(session):
    sell(session)
    assert session.x_report().sale_count == session.x_report().sale_count == 1
    session.close(counted_cash="532.50")
    with pytest.raises(RegisterSessionStateError, match="closed"):
        session.close(counted_cash="532.50")
    with pytest.raises(RegisterSessionStateError):
        session.new_sale()
    with pytest.raises(RegisterSessionStateError):
        session.paid_in("1", reason="x")


def test_close_by_denominations(session):
    z = session.close(denominations={"200": 2, "50": 2, "0.50": 1})
    assert z.counted_cash == uah("500.50") and z.variance == uah("0.50")
    assert z.counted_denominations == (
        (Decimal("200"), 2),
        (Decimal("50"), 2),
        (Decimal("0.50"), 1),
    )


def test_close_needs_exactly_one_count_and_no_open_sales(session):
    with pytest.raises(RegisterSessionStateError, match="counted"):
        session.close()
    with pytest.raises(RegisterSessionStateError, match="not both"):
        session.close(counted_cash="1", denominations={"1": 1})
    with pytest.raises(MoneyError):
        session.close(denominations={"200": -1})
    with pytest.raises(MoneyError):
        session.close(counted_cash="-5")
    sale = session.new_sale()
    sale.add("BREAD")
    with pytest.raises(RegisterSessionStateError, match="in progress"):
        session.close(counted_cash="500")
    session.suspend(sale)
    session.close(counted_cash="500")  # a parked sale does not block the close


def test_a_sale_cannot_complete_on_a_closed_session(store, session):
    sale = session.new_sale()
    sale.add("BREAD")
    session.suspend(sale)
    session.close(counted_cash="500")
    other = store.register("till-1").open_session(operator="cashier", opening_float="500")
    resumed = other.resume(sale.id)
    resumed.pay("cash")
    assert resumed.complete().session_id == other.id


def test_one_open_session_per_register_and_z_numbers_count_up(store, session):
    with pytest.raises(RegisterError, match="already has an open session"):
        store.register("till-1").open_session(operator="cashier")
    assert session.close(counted_cash="500").number == 1
    again = store.register("till-1").open_session(operator="cashier", opening_float="500")
    assert again.close(counted_cash="500").number == 2


def test_paid_in_and_out_rules(session, store):
    with pytest.raises(MoneyError, match="reason"):
        session.paid_out("10", reason=" ")
    with pytest.raises(MoneyError, match="positive"):
        session.paid_out("0", reason="x")
    with pytest.raises(MoneyError, match="minor units"):
        session.paid_in("1.001", reason="x")
    with pytest.raises(MoneyError, match=r"only 500\.00 UAH"):
        session.paid_out("600", reason="too much")
    from possdk import Operator, Role

    store.add_operator(Operator("new", "New", Role.cashier()))
    other = store.register("till-9").open_session(operator="new", opening_float="100")
    with pytest.raises(PermissionDeniedError):
        other.paid_out("10", reason="x")
    other.paid_out("10", reason="x", approved_by="super")
    assert other.x_report().paid_out == uah("10")


def test_bad_float_and_unknown_operator(store):
    from possdk.errors import ConfigurationError

    with pytest.raises(MoneyError):
        store.register("till-3").open_session(operator="cashier", opening_float="-1")
    with pytest.raises(ConfigurationError, match="unknown operator"):
        store.register("till-3").open_session(operator="nobody")
    with pytest.raises(ConfigurationError):
        store.register("a/b")


def test_no_sale_needs_permission(session):
    with pytest.raises(PermissionDeniedError, match="open drawer without sale"):
        session.open_drawer(reason="look")
    with pytest.raises(SaleStateError):
        session.new_sale().suspend()  # nothing to park


@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["sale", "card", "return", "in", "out"]), st.integers(1, 4)),
        max_size=12,
    ),
    missing=st.integers(0, 500),
)
def test_expected_cash_matches_the_cash_that_moved(ops, missing):
    store = make_store()
    session = store.register("till-1").open_session(operator="cashier", opening_float="500")
    drawer = Decimal("500")
    last_cash_receipt = None
    for op, n in ops:
        if op in ("sale", "card"):
            kind = TenderKind.CASH if op == "sale" else TenderKind.CARD
            receipt = sell(session, "GUM", n, kind, "100" if op == "sale" else None)
            if op == "sale":
                drawer += receipt.tenders[0].tendered.amount - receipt.change.amount
                last_cash_receipt = receipt
        elif op == "return" and last_cash_receipt is not None:
            ret = session.new_return(last_cash_receipt, approved_by="super")
            try:
                ret.return_line(1, 1)
            except Exception:
                ret.void(approved_by="super")
                continue
            (tender,) = ret.refund("cash")
            ret.complete()
            drawer += tender.amount.amount
        elif op == "in":
            session.paid_in(str(n * 10), reason="float top-up")
            drawer += n * 10
        elif op == "out" and drawer >= n * 5:
            session.paid_out(str(n * 5), reason="petty cash")
            drawer -= n * 5
    assert session.expected_cash().amount == drawer
    counted = drawer - Decimal(missing).scaleb(-2)
    if counted >= 0:
        z = session.close(counted_cash=counted)
        assert z.variance.amount == -Decimal(missing).scaleb(-2)
