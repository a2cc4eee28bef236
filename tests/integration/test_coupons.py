"""Coupons through the store: create, generate, apply, redeem once, limits and refusals.

Redemption is written in the sale's own transaction, so what depends on the
database runs on memory, a SQLite file and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import cycle
from typing import Any

import pytest

from possdk import FixedClock, Money, RegisterSession, Store
from possdk.core import SaleState
from possdk.loyalty._coupons import CODE_ALPHABET, CouponError, coupon_check_char
from possdk.loyalty._gift_cards import LOYALTY_TERMINAL
from possdk.loyalty._promo_model import CouponPresent, PercentOff, Promotion
from tests.conftest import START
from tests.integration.conftest import OpenStore


def uah(amount: str) -> Money:
    return Money(amount, "UAH")


def till(store: Store, register: str = "till-1") -> RegisterSession:
    return store.register(register).open_session(operator="cashier", opening_float="500.00")


def sell_with(
    store: Store, session: RegisterSession, code: str, customer: str | None = None
) -> Any:
    sale = session.new_sale()
    sale.add("GUM")
    if customer is not None:
        sale.identify_customer(customer)
    store.loyalty.coupons.apply(sale, code)
    sale.pay("cash")
    return sale.complete()


def test_a_single_use_coupon_is_redeemed_once(open_store: OpenStore, store_url: str) -> None:
    store = open_store(store_url)
    coupons = store.loyalty.coupons
    created = coupons.create(" welcome-10 ", campaign="welcome")
    assert (created.code, created.campaign, created.max_uses) == ("WELCOME-10", "WELCOME", 1)
    session = till(store)
    ann = store.loyalty.customers.add("Ann").id
    receipt = sell_with(store, session, "Welcome-10", customer=ann)
    assert receipt.coupons == ("WELCOME-10",)
    [used] = coupons.redemptions("welcome-10")
    assert (used.sale_id, used.customer_id, used.register_id) == (
        receipt.sale_id,
        ann,
        "till-1",
    )
    assert coupons.get("WELCOME-10").uses == 1
    assert coupons.get("WELCOME-10").uses_left == 0
    sale = session.new_sale()
    sale.add("GUM")
    with pytest.raises(CouponError, match="used already"):
        coupons.apply(sale, "WELCOME-10")
    assert sale.coupons == ()


def test_the_till_that_loses_the_race_keeps_nothing(open_store: OpenStore, store_url: str) -> None:
    store = open_store(store_url)
    store.loyalty.coupons.create("LAST")
    first, second = till(store, "till-1").new_sale(), till(store, "till-2").new_sale()
    for sale in (first, second):
        sale.add("COFFEE")
        store.loyalty.coupons.apply(sale, "LAST")
        sale.pay("cash")  # both checked before the first tender: the coupon was unused
    first.complete()
    with pytest.raises(CouponError, match="LAST has been used already"):
        second.complete()
    assert second.state is SaleState.TENDERING
    assert [r.sale_id for r in store.receipts()] == [first.id]
    assert [r.sale_id for r in store.loyalty.coupons.redemptions("LAST")] == [first.id]
    assert store.loyalty.coupons.get("LAST").uses == 1
    second.void(reason="coupon gone", approved_by="super")
    assert store.verify_journal().ok


def test_multi_use_and_unlimited_coupons(open_store: OpenStore) -> None:
    store = open_store("sqlite://")
    coupons = store.loyalty.coupons
    coupons.create("THREE", max_uses=3)
    coupons.create("ALWAYS", max_uses=None)
    session = till(store)
    for _ in range(3):
        sell_with(store, session, "THREE")
    for _ in range(5):
        sell_with(store, session, "ALWAYS")
    with pytest.raises(CouponError, match=r"used already \(3 times\)"):
        sell_with(store, session, "THREE")
    assert (coupons.get("ALWAYS").uses, coupons.get("ALWAYS").uses_left) == (5, None)
    assert len(coupons.redemptions("THREE")) == 3


def test_the_per_customer_limit(open_store: OpenStore, store_url: str) -> None:
    store = open_store(store_url)
    coupons = store.loyalty.coupons
    coupons.create("TWICE-EACH", max_uses=None, per_customer=2)
    session = till(store)
    ann = store.loyalty.customers.add("Ann").id
    bob = store.loyalty.customers.add("Bob").id
    sell_with(store, session, "TWICE-EACH", customer=ann)
    sell_with(store, session, "TWICE-EACH", customer=ann)
    with pytest.raises(CouponError, match=f"{ann} has used coupon TWICE-EACH 2 time"):
        sell_with(store, session, "TWICE-EACH", customer=ann)
    sell_with(store, session, "TWICE-EACH", customer=bob)
    with pytest.raises(CouponError, match="identify the customer"):
        sell_with(store, session, "TWICE-EACH")
    # Two sales of one customer entered while both were allowed: the second is refused
    # inside its transaction.
    a, b = session.new_sale(), till(store, "till-2").new_sale()
    for sale in (a, b):
        sale.add("GUM")
        sale.identify_customer(bob)
        coupons.apply(sale, "TWICE-EACH")
        sale.pay("cash")
    a.complete()
    with pytest.raises(CouponError, match="its limit per customer"):
        b.complete()
    assert [r.customer_id for r in coupons.redemptions("TWICE-EACH")] == [ann, ann, bob, bob]


def test_dates_unknown_and_deactivated_codes_are_refused(
    open_store: OpenStore, clock: FixedClock
) -> None:
    store = open_store("sqlite://")
    coupons = store.loyalty.coupons
    coupons.create("LATER", valid_from=START + timedelta(days=1))
    coupons.create("SOON-OVER", valid_until=START + timedelta(hours=1), max_uses=None)
    coupons.create("STOPPED", max_uses=None)
    session = till(store)
    sale = session.new_sale()
    sale.add("GUM")
    with pytest.raises(CouponError, match="no coupon NOPE"):
        coupons.apply(sale, "nope")
    with pytest.raises(CouponError, match="valid from 2026-11-28"):
        coupons.apply(sale, "later")
    coupons.apply(sale, "soon-over")
    coupons.apply(sale, "stopped")
    clock.advance(timedelta(hours=2))
    with pytest.raises(CouponError, match="SOON-OVER expired"):
        sale.pay("cash")  # checked again before the first tender
    sale.remove_coupon("SOON-OVER")
    sale.pay("cash")
    coupons.deactivate("STOPPED")
    with pytest.raises(CouponError, match="deactivated"):
        sale.complete()  # and inside the completing transaction
    assert sale.state is SaleState.TENDERING
    assert coupons.redemptions("STOPPED") == ()
    with pytest.raises(CouponError, match="letters, digits"):
        coupons.create("two words")
    with pytest.raises(CouponError, match="not after valid_from"):
        coupons.create("BACKWARDS", valid_from=START, valid_until=START)
    with pytest.raises(CouponError, match="max_uses"):
        coupons.create("ZERO", max_uses=0)


def test_a_return_does_not_give_a_use_back(open_store: OpenStore) -> None:
    store = open_store("sqlite://")
    store.loyalty.coupons.create("ONCE")
    session = till(store)
    receipt = sell_with(store, session, "ONCE")
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1)
    ret.refund("cash")
    ret.complete()
    coupon = store.loyalty.coupons.get("ONCE")
    assert (coupon.uses, coupon.uses_left) == (1, 0)


def test_generated_codes_are_unique_checked_and_kept(
    open_store: OpenStore, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(store_url)
    coupons = store.loyalty.coupons
    codes = coupons.generate("xmas", 200, prefix="XM-", length=6, per_customer=1)
    assert len(set(codes)) == 200
    for code in codes:
        assert code.startswith("XM-") and len(code) == 10
        body, check = code[3:-1], code[-1]
        assert set(body) <= set(CODE_ALPHABET)
        assert coupon_check_char(body) == check
    kept = coupons.all("XMAS")
    assert {c.code for c in kept} == set(codes)
    assert {(c.campaign, c.max_uses, c.per_customer) for c in kept} == {("XMAS", 1, 1)}
    # A draw that repeats itself, and repeats a code kept already: drawn again.
    coupons.create("XM-CCCC" + coupon_check_char("CCCC"))
    draws = cycle([*"CCCC", *"AAAA", *"AAAA", *"BBBB"])
    monkeypatch.setattr("possdk.loyalty._coupons.secrets.choice", lambda alphabet: next(draws))
    more = coupons.generate("xmas", 2, prefix="XM-", length=4)
    assert sorted(more) == sorted(
        ["XM-AAAA" + coupon_check_char("AAAA"), "XM-BBBB" + coupon_check_char("BBBB")]
    )
    monkeypatch.undo()
    with pytest.raises(CouponError, match="exists already"):
        coupons.create(codes[1])
    with pytest.raises(CouponError, match="longer length"):
        coupons.generate("tiny", 20, length=1)
    journal = [e.type for e in store._read(lambda uow: list(uow.journal_entries()))
               if e.terminal_id == LOYALTY_TERMINAL]  # fmt: skip
    assert journal == ["CouponsGenerated", "CouponCreated", "CouponsGenerated"]


def test_a_generated_coupon_triggers_its_campaigns_promotion(open_store: OpenStore) -> None:
    store = open_store("sqlite://")
    store.loyalty.promotions.add(
        Promotion("xmas", "Christmas 10 %", PercentOff("10"), conditions=(CouponPresent("XMAS"),))
    )
    [code] = store.loyalty.coupons.generate("xmas", 1)
    sale = till(store).new_sale()
    sale.add("BOOK")
    assert sale.total == uah("250.00")
    coupon = store.loyalty.coupons.apply(sale, code.lower())
    assert coupon.campaign == "XMAS"
    assert sale.total == uah("225.00")
    sale.pay("cash")
    assert sale.complete().coupons == (code,)
    assert store.loyalty.coupons.get(code).uses == 1
