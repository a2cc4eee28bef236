"""A coupon is used up only when it gave something (or when no promotion names it)."""

from __future__ import annotations

from possdk import Money
from possdk.loyalty import CouponPresent, MinimumSpend, PercentOff, Promotion
from tests.conftest import make_store


def test_a_coupon_whose_promotion_did_not_apply_stays_unused() -> None:
    store = make_store()
    store.loyalty.promotions.add(
        Promotion(
            "welcome",
            "Welcome -10% over 100",
            PercentOff(10),
            conditions=(CouponPresent("WELCOME"), MinimumSpend(100)),
        )
    )
    store.loyalty.coupons.create("W-1", campaign="WELCOME")
    store.loyalty.coupons.create("HANDSHAKE")  # no promotion names it: the cashier honours it
    session = store.register("till-1").open_session(operator="cashier")

    small = session.new_sale()
    small.add("MILK")  # 41.90: under the threshold, the coupon gives nothing
    store.loyalty.coupons.apply(small, "w-1")
    store.loyalty.coupons.apply(small, "handshake")
    small.pay("cash", "50")
    small.complete()
    assert store.loyalty.coupons.get("W-1").uses == 0
    assert store.loyalty.coupons.redemptions("W-1") == ()
    assert store.loyalty.coupons.get("HANDSHAKE").uses == 1

    big = session.new_sale()
    big.add("COFFEE")  # 189.00: the coupon's promotion applies, so it is used up
    store.loyalty.coupons.apply(big, "W-1")
    assert big.total == Money("170.10", "UAH")
    big.pay("cash", "200")
    receipt = big.complete()
    assert store.loyalty.coupons.get("W-1").uses == 1
    assert [r.sale_id for r in store.loyalty.coupons.redemptions("W-1")] == [receipt.sale_id]
    store.close()
