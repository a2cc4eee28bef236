"""Returns never give back more than was sold or more than was paid."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from possdk import Money, TenderKind
from possdk.errors import InvalidQuantityError, ReturnError
from tests.conftest import make_store

SKUS = ["COFFEE", "BREAD", "GUM", "CIGS", "BANANA", "BOOK"]


@st.composite
def baskets(draw: st.DrawFn) -> list[tuple[str, str]]:
    items = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=5))
    return [(sku, "0.757" if sku == "BANANA" else str(draw(st.integers(1, 7)))) for sku in items]


@given(
    basket=baskets(),
    line_pct=st.sampled_from([None, "3", "33.33", "100"]),
    sale_pct=st.sampled_from([None, "5", "12.5"]),
    returns=st.lists(
        st.tuples(st.integers(1, 5), st.sampled_from(["1", "2", "0.1", "all"])), max_size=8
    ),
)
def test_returns_never_exceed_what_was_sold_or_paid(basket, line_pct, sale_pct, returns):
    store = make_store()
    session = store.register("t").open_session(operator="cashier")
    sale = session.new_sale()
    for sku, qty in basket:
        sale.add(sku, qty)
    if line_pct:
        sale.discount_line(1, percent=line_pct, approved_by="super")
    if sale_pct:
        sale.discount_sale(percent=sale_pct, approved_by="super")
    if not sale.is_paid:  # an all-free sale needs no tender
        sale.pay(TenderKind.CARD)
    receipt = sale.complete()

    returned = {p.line.line_no: Decimal(0) for p in receipt.lines}
    refunded = {p.line.line_no: Decimal(0) for p in receipt.lines}
    taxes = {p.line.line_no: Decimal(0) for p in receipt.lines}
    for line_no, qty in returns:
        if line_no not in returned:
            continue
        ret = session.new_return(receipt, approved_by="super")
        try:
            ret.return_line(line_no, None if qty == "all" else qty)
        except (ReturnError, InvalidQuantityError):  # too much, or finer than the unit
            ret.void(approved_by="super")
            continue
        if not ret.is_paid:
            ret.refund("card")
        done = ret.complete()
        back = done.lines[0]
        returned[line_no] -= back.line.quantity
        refunded[line_no] -= back.gross
        taxes[line_no] -= back.tax
        assert done.total == Money(back.gross, "UAH")

    for p in receipt.lines:
        n = p.line.line_no
        assert 0 <= returned[n] <= p.line.quantity  # never more than sold
        assert 0 <= refunded[n] <= p.gross  # never more than paid
        assert 0 <= taxes[n] <= p.tax
        if returned[n] == p.line.quantity:  # all back: exactly what was paid
            assert refunded[n] == p.gross and taxes[n] == p.tax
