"""The Z report of any session equals the sums over that session's journal entries.

A session is generated (sales with random lines, quantities and discounts,
voided lines, voided sales, returns, cash, card, gift card and split tenders,
gift cards sold, paid in and out, no-sales) on an in-memory store, closed,
and its Z report compared figure by figure with what the register's journal
says happened between the session's opening and its closing entries. The
journal is read as kept: its JSON payloads and grand-total headers, not the
running totals the report is built from.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import event, given, settings
from hypothesis import strategies as st

from possdk import Money, Product, RegisterReport, RegisterSession, Store
from possdk.core import ProductKind, luhn_digit
from possdk.errors import PossdkError
from tests.conftest import make_store

GIFT = "GIFT"
GOODS = ("COFFEE", "BREAD", "MILK", "GUM", "CIGS", "BOOK", "BANANA")
TENDERS = ("cash", "card", "split", "gift_card", "gift_split")


# ---- what a session does -------------------------------------------------------------


@attrs.frozen
class Line:
    sku: str
    quantity: Decimal
    discount_percent: int  # 0 for none; above 5 % the supervisor approves


@attrs.frozen
class SaleOp:
    lines: tuple[Line, ...]
    voided_line: bool  # a GUM rung up and voided before paying
    sale_discount_percent: int
    tender: str
    cash_over: int  # whole hryvnias given beyond what is due (change)


@attrs.frozen
class GiftCardOp:
    amount_minor: int
    tender: str


@attrs.frozen
class VoidOp:
    lines: tuple[Line, ...]
    paid_first: bool  # a card payment taken, then the sale voided


@attrs.frozen
class ReturnOp:
    receipt: int  # which earlier sale (modulo how many there are)
    line: int  # which of its lines (modulo)
    to_cash: bool  # refunded in cash, or back to the tenders that paid


@attrs.frozen
class CashOp:
    paid_in: bool
    amount_minor: int


@attrs.frozen
class NoSaleOp:
    pass


def lines() -> st.SearchStrategy[tuple[Line, ...]]:
    def line(sku: str) -> st.SearchStrategy[Line]:
        quantity = (
            st.integers(1, 2500).map(lambda g: Decimal(g).scaleb(-3))
            if sku == "BANANA"
            else st.integers(1, 4).map(Decimal)
        )
        return st.builds(Line, st.just(sku), quantity, st.sampled_from([0, 0, 3, 5, 10]))

    return st.lists(st.sampled_from(GOODS).flatmap(line), min_size=1, max_size=4).map(tuple)


SALES = st.builds(
    SaleOp,
    lines(),
    st.booleans(),
    st.sampled_from([0, 0, 0, 5, 15]),
    st.sampled_from(TENDERS),
    st.integers(0, 50),
)
RETURNS = st.builds(ReturnOp, st.integers(0, 20), st.integers(0, 5), st.booleans())
OPS = st.one_of(  # sales and returns twice: the figures most of a day is made of
    SALES,
    SALES,
    RETURNS,
    RETURNS,
    st.builds(GiftCardOp, st.integers(1, 50_000), st.sampled_from(["cash", "card"])),
    st.builds(VoidOp, lines(), st.booleans()),
    st.builds(CashOp, st.booleans(), st.integers(1, 20_000)),
    st.just(NoSaleOp()),
)


def card_number(n: int) -> str:
    body = f"8{n:018d}"
    return body + luhn_digit(body)


def run(store: Store, session: RegisterSession, ops: list[Any], spend_card: str) -> None:
    """Ring the operations up; one the store refuses (nothing to return) is left out."""
    sold: list[Any] = []
    cards = 0
    for op in ops:
        event(type(op).__name__)
        if isinstance(op, SaleOp):
            sale = session.new_sale()
            for ln in op.lines:
                added = sale.add(ln.sku, ln.quantity)
                if ln.discount_percent:
                    sale.discount_line(
                        added.line_no, percent=ln.discount_percent, approved_by="super"
                    )
            if op.voided_line:
                gum = sale.add("GUM")
                sale.void_line(gum.line_no, approved_by="super")
            if op.sale_discount_percent:
                sale.discount_sale(percent=op.sale_discount_percent, approved_by="super")
            due = sale.totals.total
            half = Money.from_minor(due.minor // 2, due.currency)
            if op.tender == "cash":
                sale.pay("cash", due.amount + op.cash_over)
            elif op.tender == "card":
                sale.pay("card")
            elif op.tender == "split":
                if half:
                    sale.pay("card", half)
                sale.pay("cash", due.amount + op.cash_over)
            elif op.tender == "gift_card":
                sale.pay("gift_card", reference=spend_card)
            else:
                if half:
                    sale.pay("gift_card", half, reference=spend_card)
                sale.pay("cash", due.amount + op.cash_over)
            sold.append(sale.complete())
        elif isinstance(op, GiftCardOp):
            cards += 1
            sale = session.new_sale()
            sale.add_gift_card(GIFT, card_number(cards), Money.from_minor(op.amount_minor, "UAH"))
            sale.pay(op.tender)
            sold.append(sale.complete())
        elif isinstance(op, VoidOp):
            sale = session.new_sale()
            for ln in op.lines:
                sale.add(ln.sku, ln.quantity)
            if op.paid_first:
                sale.pay("card", Money.from_minor(1, "UAH"))
            sale.void(reason="customer left", approved_by="super")
        elif isinstance(op, ReturnOp) and sold:
            original = sold[op.receipt % len(sold)]
            ret = session.new_return(original, approved_by="super")
            try:
                line = original.lines[op.line % len(original.lines)].line
                ret.return_line(line.line_no)
                ret.refund("cash") if op.to_cash else ret.refund()
                kept = ret.complete()
                event(f"return kept, refunded to {sorted({t.kind.value for t in kept.tenders})}")
                event(f"{line.kind.value} returned")
            except PossdkError as exc:  # all of it returned already
                ret.void(reason="nothing to return", approved_by="super")
                event(f"return voided: {type(exc).__name__}")
        elif isinstance(op, CashOp):
            amount = Money.from_minor(op.amount_minor, "UAH")
            if op.paid_in:
                session.paid_in(amount, reason="change from the bank")
            elif amount <= session.expected_cash():
                session.paid_out(amount, reason="petty cash")
        elif isinstance(op, NoSaleOp):
            session.open_drawer(reason="change for a customer", approved_by="super")


# ---- what the journal says ---------------------------------------------------------------


def session_entries(store: Store, session: RegisterSession) -> list[Any]:
    """The register's entries from the session's opening to its closing, in order."""
    entries = [
        e
        for e in store._read(lambda uow: list(uow.journal_entries()))
        if e.terminal_id == session.register_id
    ]
    entries.sort(key=lambda e: e.seq)
    ids = [json.loads(e.payload).get("session_id") for e in entries]
    start = next(
        i
        for i, e in enumerate(entries)
        if e.type == "RegisterSessionOpened" and ids[i] == str(session.id)
    )
    end = next(
        i
        for i, e in enumerate(entries)
        if e.type == "RegisterSessionClosed" and ids[i] == str(session.id)
    )
    return entries[start : end + 1]


def journal_figures(entries: list[Any]) -> dict[str, Any]:
    """Every figure a Z report has, summed from the journal's payloads."""
    d = Decimal
    f: dict[str, Any] = defaultdict(lambda: d(0))
    f.update(sale_count=0, return_count=0, void_count=0, voided_line_count=0)
    f.update(no_sale_count=0, approval_count=0, gift_sold_count=0, gift_redeemed_count=0)
    tax: dict[str, list[Decimal]] = defaultdict(lambda: [d(0), d(0)])
    tender_count: Counter[str] = Counter()
    tender_amount: dict[str, Decimal] = defaultdict(lambda: d(0))
    gift_lines: set[tuple[str, int]] = set()  # (sale id, line no) of gift cards sold
    for e in entries:
        p = json.loads(e.payload)
        if e.type in ("SaleCompleted", "ReturnCompleted"):
            r = p["receipt"]
            total = d(r["totals"]["total"]["amount"])
            if e.type == "SaleCompleted":
                f["sale_count"] += 1
                f["sales"] += total
                f["discounts"] += d(r["totals"]["discount"]["amount"])
            else:
                f["return_count"] += 1
                f["returns"] -= total
            f["voided_line_count"] += len(r["voided_lines"])
            f["approval_count"] += len(r["approvals"])
            for row in r["totals"]["breakdown"]:
                tax[row["rate"]["code"]][0] += d(row["net"]["amount"])
                tax[row["rate"]["code"]][1] += d(row["tax"]["amount"])
            for priced in r["totals"]["lines"]:
                line, ref = priced["line"], priced["line"]["return_of"]
                if line["kind"] == "gift_card":
                    gift_lines.add((r["sale_id"], line["line_no"]))
                if line["kind"] == "gift_card" or (
                    ref is not None and (ref["sale_id"], ref["line_no"]) in gift_lines
                ):
                    f["gift_sold_count"] += -1 if d(line["quantity"]) < 0 else 1
                    f["gift_sold"] += d(priced["gross"])
            for t in r["tenders"]:
                amount = d(t["amount"]["amount"])
                tender_count[t["kind"]] += 1
                tender_amount[t["kind"]] += amount
                f["cash_rounding"] += d(t["rounding"]["amount"])
                if t["kind"] == "cash":
                    f["cash_sales" if amount >= 0 else "cash_refunds"] += abs(amount)
                if t["kind"] == "gift_card":
                    f["gift_redeemed_count"] += -1 if amount < 0 else 1
                    f["gift_redeemed"] += amount
        elif e.type == "SaleVoided":
            f["void_count"] += 1
            f["voided_total"] += d(p["total"]["amount"])
            f["approval_count"] += p["approval"] is not None
        elif e.type == "CashMoved":
            f[p["kind"]] += d(p["amount"]["amount"])  # "paid_in" or "paid_out"
            f["approval_count"] += p["approval"] is not None
        elif e.type == "DrawerOpened":
            f["no_sale_count"] += 1
            f["approval_count"] += p["approval"] is not None
        elif e.type == "RegisterSessionOpened":
            f["opening_float"] = d(p["opening_float"]["amount"])
    f["tax"] = {code: tuple(v) for code, v in tax.items()}
    f["tenders"] = {k: (tender_count[k], tender_amount[k]) for k in tender_count}
    return f


def assert_report_is_the_journal(z: RegisterReport, entries: list[Any]) -> None:
    j = journal_figures(entries)
    assert (z.sale_count, z.sales.amount) == (j["sale_count"], j["sales"])
    assert (z.return_count, z.returns.amount) == (j["return_count"], j["returns"])
    assert z.net_sales.amount == j["sales"] - j["returns"]
    assert z.discounts.amount == j["discounts"]
    assert (z.void_count, z.voided_total.amount) == (j["void_count"], j["voided_total"])
    assert z.voided_line_count == j["voided_line_count"]
    assert {t.rate.code: (t.net.amount, t.tax.amount) for t in z.tax_breakdown} == j["tax"]
    assert {t.kind.value: (t.count, t.amount.amount) for t in z.tenders} == j["tenders"]
    assert (z.cash_sales.amount, z.cash_refunds.amount) == (j["cash_sales"], j["cash_refunds"])
    assert (z.paid_in.amount, z.paid_out.amount) == (j["paid_in"], j["paid_out"])
    assert z.cash_rounding.amount == j["cash_rounding"]
    assert z.opening_float.amount == j["opening_float"]
    expected = (
        j["opening_float"] + j["cash_sales"] - j["cash_refunds"] + j["paid_in"] - j["paid_out"]
    )
    assert z.expected_cash.amount == expected
    assert (z.gift_cards_sold_count, z.gift_cards_sold.amount) == (
        j["gift_sold_count"],
        j["gift_sold"],
    )
    assert (z.gift_cards_redeemed_count, z.gift_cards_redeemed.amount) == (
        j["gift_redeemed_count"],
        j["gift_redeemed"],
    )
    assert (z.no_sale_count, z.approval_count) == (j["no_sale_count"], j["approval_count"])
    # The journal's own headers agree: what each sale and return added to the grand totals.
    minor = {"SaleCompleted": 0, "ReturnCompleted": 0}
    for e in entries:
        if e.type in minor:
            minor[e.type] += e.amount_minor
    assert (z.sales.minor, z.returns.minor) == (minor["SaleCompleted"], minor["ReturnCompleted"])
    if z.grand_total_sales is not None:  # a Store that reports its grand totals
        last = entries[-1]
        assert z.grand_total_sales.minor == last.gt_sales_minor
        assert z.grand_total_returns is not None
        assert z.grand_total_returns.minor == last.gt_returns_minor


# ---- the property ------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(OPS, min_size=1, max_size=16), short=st.integers(-300, 300))
def test_z_totals_equal_the_sum_of_the_sessions_journal_entries(ops: list[Any], short: int) -> None:
    store = make_store()
    try:
        store.catalog.add(
            Product(GIFT, "Gift card", Money("25.00", "UAH"), "exempt", kind=ProductKind.GIFT_CARD)
        )
        spend = store.loyalty.gift_cards.issue("1000000.00", number=card_number(0)).number
        # An earlier shift on the same register: its entries are not this session's.
        before = store.register("till-1").open_session(operator="cashier", opening_float="100")
        run(store, before, [SaleOp((Line("BREAD", Decimal(1), 0),), False, 0, "card", 0)], spend)
        before.close(counted_cash="100")

        session = store.register("till-1").open_session(operator="cashier", opening_float="500")
        run(store, session, ops, spend)
        counted = session.expected_cash() + Money.from_minor(short, "UAH")
        z = session.close(counted_cash=max(counted, Money("0", "UAH")))
        assert_report_is_the_journal(z, session_entries(store, session))
        assert store.z_reports()[-1] == z
        assert z.variance == z.counted_cash - z.expected_cash  # type: ignore[operator]
    finally:
        store.close()
